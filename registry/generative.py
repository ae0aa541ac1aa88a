"""Generative and vendor models: the checks on a version's provider, prompt
template and evaluation results that every way in (the API, the admin, the
MLflow import) goes through, and the diff of two prompt templates. Pure:
plain values in and out."""

import difflib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mlgov.exceptions import FieldError
from registry.constants import (
    DATASET_REF_MAX_LENGTH,
    EVALUATION_LABEL_MAX_LENGTH,
    EVALUATION_RESULTS_MAX,
    METRIC_NAME_MAX_LENGTH,
    PROMPT_TEMPLATE_MAX_LENGTH,
    PROVIDER_MODEL_MAX_LENGTH,
    PROVIDER_NAME_MAX_LENGTH,
    PROVIDER_OTHER,
    PROVIDERS,
)

EVALUATION_RESULT_KEYS = (
    "metric",
    "value",
    "suite",
    "judge",
    "sample_size",
    "dataset_ref",
)
_REQUIRED_KEYS = ("metric", "value", "suite", "judge", "sample_size")


def validate_prompt_template(template: Any) -> str:
    """A prompt template is text of at most PROMPT_TEMPLATE_MAX_LENGTH
    characters, kept exactly as sent (whitespace is part of a prompt)."""
    if not isinstance(template, str):
        raise FieldError("prompt_template", "Must be a string.")
    if len(template) > PROMPT_TEMPLATE_MAX_LENGTH:
        raise FieldError(
            "prompt_template",
            f"At most {PROMPT_TEMPLATE_MAX_LENGTH} characters ({len(template)} sent).",
        )
    return template


def _text(value: Any, field: str, max_length: int, *, required: bool) -> str:
    if not isinstance(value, str):
        raise FieldError(field, "Must be a string.")
    value = value.strip()
    if required and not value:
        raise FieldError(field, "This field may not be blank.")
    if len(value) > max_length:
        raise FieldError(field, f"At most {max_length} characters.")
    return value


def validate_provider(
    *, provider: str, provider_name: str, provider_model: str
) -> tuple[str, str, str]:
    """Provider, its name (only for "other", and then required) and the
    provider's model identifier (required with a provider, refused without)."""
    provider = _text(provider, "provider", 20, required=False)
    provider_name = _text(
        provider_name, "provider_name", PROVIDER_NAME_MAX_LENGTH, required=False
    )
    provider_model = _text(
        provider_model, "provider_model", PROVIDER_MODEL_MAX_LENGTH, required=False
    )
    if provider and provider not in PROVIDERS:
        raise FieldError(
            "provider",
            f"Unknown provider {provider!r}; use one of {', '.join(PROVIDERS)} "
            "(other with provider_name).",
        )
    if provider == PROVIDER_OTHER and not provider_name:
        raise FieldError("provider_name", "Name the provider when it is other.")
    if provider != PROVIDER_OTHER and provider_name:
        raise FieldError(
            "provider_name", "Only a provider of other is named; leave it blank."
        )
    if provider and not provider_model:
        raise FieldError(
            "provider_model",
            "Give the provider's model identifier (e.g. gpt-4.1-2025-04-14).",
        )
    if provider_model and not provider:
        raise FieldError("provider", "Say which provider serves this model.")
    return provider, provider_name, provider_model


def validate_evaluation_results(
    results: Any, *, metrics: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """A list of evaluation results, one per metric name, none named like one
    of the version's `metrics` (rules look both up by name)."""
    if not isinstance(results, list | tuple):
        raise FieldError("evaluation_results", "Must be a list.")
    if len(results) > EVALUATION_RESULTS_MAX:
        raise FieldError(
            "evaluation_results", f"At most {EVALUATION_RESULTS_MAX} results."
        )
    cleaned = []
    seen: set[str] = set()
    for index, result in enumerate(results):
        where = f"evaluation_results[{index}]"
        if not isinstance(result, Mapping):
            raise FieldError(where, "Must be an object.")
        unknown = sorted(set(result) - set(EVALUATION_RESULT_KEYS))
        if unknown:
            raise FieldError(
                f"{where}.{unknown[0]}",
                f"Unknown field; a result has {', '.join(EVALUATION_RESULT_KEYS)}.",
            )
        for key in _REQUIRED_KEYS:
            if key not in result:
                raise FieldError(f"{where}.{key}", "This field is required.")
        metric = _text(
            result["metric"], f"{where}.metric", METRIC_NAME_MAX_LENGTH, required=True
        )
        if metric in seen:
            raise FieldError(
                f"{where}.metric",
                f"{metric} is given twice; one result per metric "
                "(name the variants, e.g. groundedness_human).",
            )
        if metric in metrics:
            raise FieldError(
                f"{where}.metric",
                f"{metric} is also one of the version's metrics; rules read "
                "both by name, so use one or the other.",
            )
        seen.add(metric)
        value = result["value"]
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise FieldError(f"{where}.value", "Must be a number.")
        if not math.isfinite(value):
            raise FieldError(f"{where}.value", "Must be a finite number.")
        sample_size = result["sample_size"]
        if (
            isinstance(sample_size, bool)
            or not isinstance(sample_size, int)
            or sample_size < 1
        ):
            raise FieldError(
                f"{where}.sample_size", "Must be a whole number, 1 or more."
            )
        cleaned.append(
            {
                "metric": metric,
                "value": float(value),
                "suite": _text(
                    result["suite"],
                    f"{where}.suite",
                    EVALUATION_LABEL_MAX_LENGTH,
                    required=True,
                ),
                "judge": _text(
                    result["judge"],
                    f"{where}.judge",
                    EVALUATION_LABEL_MAX_LENGTH,
                    required=True,
                ),
                "sample_size": sample_size,
                "dataset_ref": _text(
                    result.get("dataset_ref", ""),
                    f"{where}.dataset_ref",
                    DATASET_REF_MAX_LENGTH,
                    required=False,
                ),
            }
        )
    return cleaned


@dataclass(frozen=True)
class DiffLine:
    """One line of a side-by-side diff: what each side shows, and how they differ
    (`equal`, `changed`, `removed` on the left only, `added` on the right only)."""

    change: str
    left_number: int | None
    left: str
    right_number: int | None
    right: str


def unified_prompt_diff(old: str, new: str, *, old_label: str, new_label: str) -> str:
    """A unified diff of two prompt templates (three lines of context)."""
    return "".join(
        difflib.unified_diff(
            _lines(old), _lines(new), fromfile=old_label, tofile=new_label
        )
    )


def _lines(text: str) -> list[str]:
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    return lines


def side_by_side_diff(old: str, new: str) -> list[DiffLine]:
    """Two prompt templates line against line, for a page."""
    left, right = old.splitlines(), new.splitlines()
    rows: list[DiffLine] = []
    matcher = difflib.SequenceMatcher(a=left, b=right, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            rows.extend(
                DiffLine("equal", i + 1, left[i], j + 1, right[j])
                for i, j in zip(range(i1, i2), range(j1, j2), strict=True)
            )
            continue
        olds: Sequence[int] = range(i1, i2)
        news: Sequence[int] = range(j1, j2)
        for offset in range(max(len(olds), len(news))):
            i = olds[offset] if offset < len(olds) else None
            j = news[offset] if offset < len(news) else None
            change = (
                "changed"
                if i is not None and j is not None
                else ("removed" if i is not None else "added")
            )
            rows.append(
                DiffLine(
                    change,
                    None if i is None else i + 1,
                    "" if i is None else left[i],
                    None if j is None else j + 1,
                    "" if j is None else right[j],
                )
            )
    return rows
