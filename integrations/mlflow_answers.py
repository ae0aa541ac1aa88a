"""Reading MLflow's answers: JSON of any shape in, the import's dataclasses
out, or an `MlflowError` that names the field and the item at fault.
Standard library only, like the client that fetches the answers.

Every text that reaches the database passes `as_text`, which refuses what no
column can store (NUL, unpaired surrogates); every version number passes
`as_number` (ASCII digits, from 1)."""

import math
import re
from dataclasses import dataclass, field, replace
from typing import Any

# A JSON object as json.loads returns it.
Answer = dict[str, Any]
# MLflow writes version numbers as strings of ASCII digits.
VERSION_NUMBER = re.compile(r"^[1-9][0-9]{0,17}$")


class MlflowError(Exception):
    """MLflow could not be read; the message says what to do."""


# MLflow 3 keeps a registered prompt as a registered model with this tag, and
# each prompt version's template in a version tag (mlflow/prompt/constants.py).
IS_PROMPT_TAG = "mlflow.prompt.is_prompt"
PROMPT_TEXT_TAG = "mlflow.prompt.text"


@dataclass(frozen=True)
class MlflowVersion:
    """One registered model version, with its run's metrics and params."""

    name: str
    version: int
    source: str
    run_id: str
    status: str
    description: str
    tags: dict[str, str]
    aliases: list[str]
    metrics: dict[str, float] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    dropped_metrics: list[str] = field(default_factory=list)
    run_missing: bool = False

    @property
    def reference(self) -> str:
        """The MLflow URI of this version, e.g. models:/churn/3."""
        return f"models:/{self.name}/{self.version}"

    @property
    def prompt_template(self) -> str:
        """A registered prompt version's template ("" for a model version)."""
        return self.tags.get(PROMPT_TEXT_TAG, "")


@dataclass(frozen=True)
class MlflowModel:
    """One registered model and its versions, oldest first."""

    name: str
    description: str
    tags: dict[str, str]
    aliases: dict[str, int]
    versions: list[MlflowVersion] = field(default_factory=list)

    @property
    def is_prompt(self) -> bool:
        """Whether this is an MLflow 3 registered prompt, not a model."""
        return self.tags.get(IS_PROMPT_TAG, "").lower() == "true"


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def shown(value: Any, limit: int = 40) -> str:
    """`value` for a one-line message: its repr, cut short."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def malformed(item: str, detail: str) -> MlflowError:
    """The one-line error for a field of an item that MLflow got wrong."""
    return MlflowError(f"MLflow sent a malformed answer: {item}: {detail}.")


def _label(name: str) -> str:
    return repr(name) if name else "the answer"


def as_object(value: Any, item: str, name: str = "") -> Answer:
    """`value` if it is a JSON object."""
    if not isinstance(value, dict):
        raise malformed(item, f"{_label(name)} is {_kind(value)}, not a JSON object")
    return value


def as_list(value: Any, item: str, name: str) -> list[Any]:
    """`value` if it is a JSON array; missing (MLflow leaves empty lists
    out) is empty."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise malformed(item, f"{name!r} is {_kind(value)}, not a list")
    return value


def as_text(value: Any, item: str, name: str, *, required: bool = False) -> str:
    """`value` if it is text a database column can store; missing is ""
    unless required."""
    if value is None:
        if required:
            raise malformed(item, f"{name!r} is missing")
        return ""
    if not isinstance(value, str):
        raise malformed(item, f"{name!r} is {_kind(value)}, not text")
    if required and not value:
        raise malformed(item, f"{name!r} is empty")
    if "\x00" in value:
        raise malformed(item, f"{name!r} contains a NUL character")
    try:
        value.encode()
    except UnicodeEncodeError:
        raise malformed(item, f"{name!r} is not valid Unicode") from None
    return value


def as_number(value: Any, item: str, name: str) -> int:
    """A version number: a whole number from 1, as a JSON number or a string
    of ASCII digits."""
    if value is None:
        raise malformed(item, f"{name!r} is missing")
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
        return value
    if isinstance(value, str) and VERSION_NUMBER.match(value):
        return int(value)
    raise malformed(item, f"{name!r} is {shown(value)}, not a whole number from 1")


def _pairs(value: Any, item: str, name: str) -> dict[str, str]:
    """MLflow's [{key, value}, …] as a dict."""
    pairs = {}
    for index, pair in enumerate(as_list(value, item, name)):
        where = f"{name}[{index}]"
        pair = as_object(pair, item, where)
        key = as_text(pair.get("key"), item, f"{where}.key", required=True)
        pairs[key] = as_text(pair.get("value"), item, f"{where}.value")
    return pairs


def read_model(raw: Any, index: int) -> MlflowModel:
    """A registered model, its versions still to come."""
    item = f"registered model #{index}"
    raw = as_object(raw, item)
    name = as_text(raw.get("name"), item, "name", required=True)
    item = f"model {name!r}"
    aliases = {}
    for position, alias in enumerate(as_list(raw.get("aliases"), item, "aliases")):
        where = f"aliases[{position}]"
        alias = as_object(alias, item, where)
        label = as_text(alias.get("alias"), item, f"{where}.alias", required=True)
        aliases[label] = as_number(
            alias.get("version"), f"{item}: alias {label!r}", "version"
        )
    return MlflowModel(
        name=name,
        description=as_text(raw.get("description"), item, "description"),
        tags=_pairs(raw.get("tags"), item, "tags"),
        aliases=aliases,
    )


@dataclass(frozen=True)
class VersionRow:
    """A model version as model-versions/search lists it, before its run."""

    name: str
    version: int
    source: str
    run_id: str
    status: str
    description: str
    tags: dict[str, str]


def read_version_row(raw: Any, index: int) -> VersionRow:
    """One row of model-versions/search."""
    item = f"model-versions/search: version row #{index}"
    raw = as_object(raw, item)
    name = as_text(raw.get("name"), item, "name", required=True)
    number = as_number(
        raw.get("version"), f"model {name!r}, version row #{index}", "version"
    )
    item = f"model {name!r} version {number}"
    return VersionRow(
        name=name,
        version=number,
        source=as_text(raw.get("source"), item, "source"),
        run_id=as_text(raw.get("run_id"), item, "run_id"),
        status=as_text(raw.get("status"), item, "status") or "READY",
        description=as_text(raw.get("description"), item, "description"),
        tags=_pairs(raw.get("tags"), item, "tags"),
    )


@dataclass(frozen=True)
class ModelChange:
    """When a registered model or any of its versions last changed (epoch
    milliseconds), and where its aliases point now."""

    name: str
    changed_ms: int
    aliases: dict[str, int]


def read_change_time(raw: Answer) -> int:
    """The later of an item's creation and last update, in epoch
    milliseconds (0 when MLflow sends neither as a whole number)."""
    times = [
        raw.get("creation_timestamp"),
        raw.get("last_updated_timestamp"),
    ]
    return max(
        [int(t) for t in times if isinstance(t, int | str) and str(t).isdigit()],
        default=0,
    )


def read_run_id(raw: Any, item: str) -> str:
    """The id of a run as runs/search lists it."""
    info = as_object(as_object(raw, item).get("info"), item, "info")
    return as_text(info.get("run_id"), item, "run_id", required=True)


def read_experiment_id(raw: Any, index: int) -> str:
    """The id of an experiment as experiments/search lists it."""
    item = f"experiments/search: experiment #{index}"
    return as_text(
        as_object(raw, item).get("experiment_id"), item, "experiment_id", required=True
    )


def _run_data(
    run: Any, run_id: str
) -> tuple[dict[str, float], list[str], dict[str, str]]:
    """A run's finite metrics, the names of the others, and its params."""
    item = f"run {run_id!r}"
    data = as_object(as_object(run, item).get("data") or {}, item, "data")
    metrics: dict[str, float] = {}
    dropped = []
    for index, metric in enumerate(as_list(data.get("metrics"), item, "metrics")):
        where = f"metrics[{index}]"
        metric = as_object(metric, item, where)
        key = as_text(metric.get("key"), item, f"{where}.key", required=True)
        value = metric.get("value")
        # MLflow writes NaN and infinities as strings; they are left out.
        if (
            isinstance(value, int | float)
            and not isinstance(value, bool)
            and math.isfinite(value)
        ):
            metrics[key] = float(value)
        else:
            dropped.append(key)
    return metrics, sorted(dropped), _pairs(data.get("params"), item, "params")


def assemble(
    models: list[MlflowModel], rows: list[VersionRow], runs: dict[str, Any]
) -> list[MlflowModel]:
    """Each model with its versions, oldest first, and each version's run
    (None in `runs`: the run is gone)."""
    by_model: dict[str, dict[int, MlflowVersion]] = {m.name: {} for m in models}
    aliases_of = {m.name: m.aliases for m in models}
    for row in rows:
        versions = by_model.get(row.name)
        if versions is None:
            continue
        if row.version in versions:
            raise malformed(
                f"model {row.name!r} version {row.version}",
                "it appears twice in model-versions/search",
            )
        run = runs.get(row.run_id) if row.run_id else None
        metrics, dropped, params = (
            _run_data(run, row.run_id) if run is not None else ({}, [], {})
        )
        versions[row.version] = MlflowVersion(
            name=row.name,
            version=row.version,
            source=row.source,
            run_id=row.run_id,
            status=row.status,
            description=row.description,
            tags=row.tags,
            aliases=sorted(
                alias
                for alias, number in aliases_of[row.name].items()
                if number == row.version
            ),
            metrics=metrics,
            params=params,
            dropped_metrics=dropped,
            run_missing=bool(row.run_id) and run is None,
        )
    return [
        replace(model, versions=[v for _, v in sorted(by_model[model.name].items())])
        for model in models
    ]


def refuse_duplicate_models(models: list[MlflowModel]) -> None:
    """A model listed twice: paging that went wrong, or a server that lies."""
    seen: set[str] = set()
    for model in models:
        if model.name in seen:
            raise malformed(f"model {model.name!r}", "it is listed twice")
        seen.add(model.name)
