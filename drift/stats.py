"""Drift statistics engine: per-feature drift tests and the report roll-up.

Pure computation for DESIGN.md §5: plain values and NumPy arrays in, frozen
dataclasses out; no Django, no I/O. ``parse_feature`` turns one JSON feature
into a checked ``FeatureInput`` (or raises ``DriftInputError`` naming the
field), ``analyse_feature`` decides drift for it (``analyse_features`` for a
whole report, optionally on several threads), ``compute_statistics`` gives
every statistic at once, and ``summarise_report`` rolls the results up.

Choices the design leaves open:

- A side with nothing in it (``{}``, or none of ``values``, ``bin_edges`` with
  ``counts``, ``categories``) is refused. A side with no usable observations
  (``values: []``, only missing values, zero counts, ``categories: {}``) makes
  the feature not evaluable instead.
- A threshold must come with the method it is for: 0.05 is a p-value for ks
  and chisquare but a distance for wasserstein, jensenshannon and psi. A
  p-value threshold is at most 1.
- Categories are compared by label: strings as given, booleans as "true" and
  "false", numbers in their shortest form, so 1, 1.0 and "1" are one category
  (JSON object keys are strings, so summaries can only name them that way).
- ks and wasserstein need ordered numbers: a declared categorical feature
  refuses them. A numeric feature that became categorical (at most 5 distinct
  values) still computes them on its numbers when the caller names them.
- Chi-square on numeric values uses the Jensen-Shannon bins. Bins empty on
  both sides are left out (the test is undefined for them); with fewer than
  two bins left there is nothing to compare: statistic 0, p-value 1.
- Binned numeric summaries stay numeric: their distinct values are unknown.

Binned numeric summaries can only approximate ks and wasserstein; the result's
``approximation`` says which approximation was used:

- ``binned-midpoint`` (wasserstein): each bin's mass sits at its midpoint, an
  open outer bin's mass at its finite edge. The distance is normed by the
  standard deviation of the reference placed the same way.
- ``binned-cdf`` (ks): the statistic is the largest gap between the two
  cumulative bin proportions at the bin edges, the p-value SciPy's asymptotic
  one, ``kstwo.sf(D, round(n·m / (n + m)))`` as in ``ks_2samp(method="asymp")``.
  Bins hide differences inside them, so D never exceeds the raw-data
  statistic: this approximation errs towards "no drift".
"""

import dataclasses
import math
import reprlib
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cached_property
from types import MappingProxyType
from typing import Any, TypeGuard

import numpy as np
from scipy import stats
from scipy.spatial.distance import jensenshannon

NUMERIC = "numeric"
CATEGORICAL = "categorical"
KINDS = (NUMERIC, CATEGORICAL)

KS = "ks"
WASSERSTEIN = "wasserstein"
CHISQUARE = "chisquare"
JENSENSHANNON = "jensenshannon"
PSI = "psi"
METHODS = (KS, WASSERSTEIN, CHISQUARE, JENSENSHANNON, PSI)
P_VALUE_METHODS = frozenset({KS, CHISQUARE})
ORDERED_METHODS = frozenset({KS, WASSERSTEIN})
DEFAULT_THRESHOLDS: Mapping[str, float] = MappingProxyType(
    {KS: 0.05, CHISQUARE: 0.05, WASSERSTEIN: 0.1, JENSENSHANNON: 0.1, PSI: 0.2}
)

SEVERITY_OK = "ok"
SEVERITY_WARNING = "warning"
SEVERITY_CRITICAL = "critical"
SEVERITY_ORDER = (SEVERITY_OK, SEVERITY_WARNING, SEVERITY_CRITICAL)

SMALL_SAMPLE_MAX = 1000
CATEGORICAL_MAX_DISTINCT = 5
VALUE_BINS_MAX_DISTINCT = 20
KS_EXACT_MAX_N = 10_000
PSI_FLOOR = 1e-4
PSI_CRITICAL = 0.25
STD_FLOOR = 0.001
DEFAULT_DATASET_DRIFT_SHARE = 0.5
CHART_MAX_BINS = 30
CHART_MAX_CATEGORIES = 30
OTHER_CATEGORY = "__other__"

BINNED_MIDPOINT = "binned-midpoint"
BINNED_CDF = "binned-cdf"

Histogram = dict[str, Any]
ListLike = Sequence[Any] | np.ndarray


class DriftInputError(ValueError):
    """A drift payload the engine cannot use, with the dotted path of the field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class DriftPayloadTooLargeError(DriftInputError):
    """More raw values than the caller's cap allows (the API answers 413)."""


# --- inputs ----------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class RawSample:
    """One side's observations: floats with NaN/±inf for missing, or labels."""

    values: np.ndarray


@dataclass(frozen=True, eq=False)
class BinnedSample:
    """One side's histogram; ``edges`` use -inf/+inf for open outer edges."""

    edges: np.ndarray
    counts: np.ndarray


@dataclass(frozen=True)
class CategoryCounts:
    """One side's count per category label."""

    counts: Mapping[str, int]


Sample = RawSample | BinnedSample | CategoryCounts


@dataclass(frozen=True, eq=False)
class FeatureInput:
    """One feature of a drift report: both sides and the caller's choices."""

    name: str
    kind: str
    reference: Sample
    current: Sample
    method: str | None = None
    threshold: float | None = None


# --- results ---------------------------------------------------------------


@dataclass(frozen=True)
class Statistic:
    """One drift statistic and the bins it was computed on."""

    method: str
    statistic: float
    p_value: float | None
    bins: str
    approximation: str | None = None


@dataclass(frozen=True)
class FeatureResult:
    """The drift decision for one feature, JSON-safe throughout."""

    feature: str
    kind: str
    method: str
    threshold: float
    statistic: float | None
    p_value: float | None
    psi: float | None
    drifted: bool
    severity: str
    n_reference: int
    n_current: int
    excluded: int
    excluded_reference: int
    excluded_current: int
    evaluable: bool
    reason: str | None
    approximation: str | None
    bins: str | None
    reference_histogram: Histogram
    current_histogram: Histogram

    def to_dict(self) -> dict[str, Any]:
        """The result as plain JSON-ready data."""
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class ReportSummary:
    """Report-level drift: share of drifted features and the worst severity."""

    n_features: int
    n_evaluable: int
    n_drifted: int
    drift_share: float
    dataset_drift: bool
    dataset_drift_share: float
    severity: str


# --- parsing ---------------------------------------------------------------

_FEATURE_FIELDS = ("name", "kind", "reference", "current", "method", "threshold")
_NUMBER_TYPES = (int, float, np.integer, np.floating)
_BOOLEAN_TYPES = (bool, np.bool_)


def parse_features(
    payloads: Sequence[Mapping[str, Any]], *, max_values: int | None = None
) -> list[FeatureInput]:
    """Parse a report's ``features`` list; names must be unique."""
    if isinstance(payloads, str | bytes | Mapping) or not isinstance(
        payloads, Sequence
    ):
        raise DriftInputError("features", "features must be a list of features.")
    if not payloads:
        raise DriftInputError("features", "A drift report needs at least one feature.")
    features = [
        parse_feature(payload, index=index, max_values=max_values)
        for index, payload in enumerate(payloads)
    ]
    seen: set[str] = set()
    for index, feature in enumerate(features):
        if feature.name in seen:
            raise DriftInputError(
                f"features[{index}].name",
                f"Feature {feature.name!r} appears more than once; names must be "
                "unique within a report.",
            )
        seen.add(feature.name)
    return features


def parse_feature(
    payload: Mapping[str, Any],
    *,
    index: int | None = None,
    max_values: int | None = None,
) -> FeatureInput:
    """Turn one JSON feature into a checked ``FeatureInput``."""
    root = "" if index is None else f"features[{index}]"
    if not isinstance(payload, Mapping) or not payload:
        raise DriftInputError(
            root or "feature",
            "A feature must be an object with name, kind, reference and current.",
        )
    unknown = sorted(str(key) for key in payload if key not in _FEATURE_FIELDS)
    if unknown:
        raise DriftInputError(
            _path(root, unknown[0]),
            f"Unknown field {unknown[0]!r}; a feature has "
            f"{', '.join(_FEATURE_FIELDS)}.",
        )
    name = payload.get("name")
    if not isinstance(name, str) or not name.strip():
        raise DriftInputError(_path(root, "name"), "Every feature needs a name.")
    kind = payload.get("kind")
    if not isinstance(kind, str) or kind not in KINDS:
        raise DriftInputError(
            _path(root, "kind"),
            f"Unknown kind {kind!r}; a feature is 'numeric' or 'categorical'.",
        )
    threshold = payload.get("threshold")
    if threshold is not None:
        threshold = _parse_number(threshold, _path(root, "threshold"), "threshold")
    reference, current = (
        _parse_side(payload.get(side), kind, _path(root, side), max_values)
        for side in ("reference", "current")
    )
    feature = FeatureInput(
        name=name,
        kind=kind,
        reference=reference,
        current=current,
        method=payload.get("method"),
        threshold=threshold,
    )
    check_feature(feature, root=root)
    return feature


def check_feature(feature: FeatureInput, *, root: str = "") -> None:
    """Refuse a feature whose sides, method or threshold do not fit together."""
    kind, reference, current = feature.kind, feature.reference, feature.current
    if kind not in KINDS:
        raise DriftInputError(_path(root, "kind"), f"Unknown kind {kind!r}.")
    if type(reference) is not type(current):
        raise DriftInputError(
            _path(root, "current"),
            "Both sides must take the same form: raw values on both, or the same "
            "kind of summary on both.",
        )
    if isinstance(reference, RawSample) and isinstance(current, RawSample):
        for side, sample in (("reference", reference), ("current", current)):
            _check_raw(sample, kind, _path(root, side, "values"))
    if isinstance(reference, BinnedSample) and isinstance(current, BinnedSample):
        _check_bins(reference, current, kind, root)
    if isinstance(reference, CategoryCounts) and kind != CATEGORICAL:
        raise DriftInputError(
            _path(root, "reference", "categories"),
            "categories summarise a categorical feature; declare kind "
            "'categorical' or send bin_edges and counts.",
        )
    _check_method(feature.method, feature.threshold, kind, root)


def _check_raw(sample: RawSample, kind: str, field: str) -> None:
    values = sample.values
    if not isinstance(values, np.ndarray) or values.ndim != 1:
        raise DriftInputError(field, "values must be a flat list.")
    if kind == NUMERIC and values.dtype.kind not in "iuf":
        raise DriftInputError(field, "Numeric values must be numbers or null.")


def _check_bins(
    reference: BinnedSample, current: BinnedSample, kind: str, root: str
) -> None:
    if kind != NUMERIC:
        raise DriftInputError(
            _path(root, "reference", "bin_edges"),
            "bin_edges summarise a numeric feature; a categorical feature sends "
            "categories.",
        )
    for side, sample in (("reference", reference), ("current", current)):
        n_bins = sample.edges.size - 1
        if sample.counts.shape != (n_bins,):
            raise DriftInputError(
                _path(root, side, "counts"),
                f"counts has {sample.counts.size} entries but bin_edges define "
                f"{n_bins} bins; send one count per bin.",
            )
    if not np.array_equal(reference.edges, current.edges):
        raise DriftInputError(
            _path(root, "current", "bin_edges"),
            "The current bin_edges differ from the reference bin_edges; both sides "
            "must use identical edges.",
        )


def _check_method(
    method: object, threshold: float | None, kind: str, root: str
) -> None:
    if method is None:
        if threshold is not None:
            raise DriftInputError(
                _path(root, "threshold"),
                "A threshold needs a method: the same number is a p-value for ks "
                "and chisquare but a distance for wasserstein, jensenshannon and "
                "psi.",
            )
        return
    _check_method_name(method, kind, _path(root, "method"))
    if threshold is None:
        return
    if not math.isfinite(threshold) or threshold < 0:
        raise DriftInputError(
            _path(root, "threshold"),
            "threshold must be a finite number, zero or more.",
        )
    if method in P_VALUE_METHODS and threshold > 1:
        raise DriftInputError(
            _path(root, "threshold"),
            f"The {method} threshold is a p-value, so it must be at most 1.",
        )


def _check_method_name(method: object, kind: str, field: str) -> None:
    if not isinstance(method, str) or method not in METHODS:
        raise DriftInputError(
            field, f"Unknown method {method!r}; choose one of {', '.join(METHODS)}."
        )
    if method in ORDERED_METHODS and kind == CATEGORICAL:
        raise DriftInputError(
            field,
            f"{method} compares ordered numbers; a categorical feature supports "
            "chisquare, jensenshannon and psi.",
        )


def _parse_side(raw: object, kind: str, field: str, max_values: int | None) -> Sample:
    if not isinstance(raw, Mapping) or not raw:
        raise DriftInputError(
            field,
            "Each side must be an object with values, with bin_edges and counts, "
            "or with categories.",
        )
    keys = set(raw)
    if keys == {"values"}:
        values_field = f"{field}.values"
        values = raw["values"]
        if not _is_list(values):
            raise DriftInputError(values_field, "values must be a list.")
        if max_values is not None and len(values) > max_values:
            raise DriftPayloadTooLargeError(
                values_field,
                f"{len(values):,} values exceed the limit of {max_values:,} per "
                "side; send a bin_edges/counts or categories summary instead.",
            )
        if kind == NUMERIC:
            return RawSample(_parse_numbers(values, values_field))
        return RawSample(_parse_labels(values, values_field))
    if keys == {"bin_edges", "counts"}:
        return BinnedSample(
            edges=_parse_edges(raw["bin_edges"], f"{field}.bin_edges"),
            counts=_parse_counts(raw["counts"], f"{field}.counts"),
        )
    if keys == {"categories"}:
        return CategoryCounts(
            _parse_categories(raw["categories"], f"{field}.categories")
        )
    if keys & {"bin_edges", "counts"} and not keys - {"bin_edges", "counts"}:
        raise DriftInputError(
            field, "A numeric summary needs both bin_edges and counts."
        )
    raise DriftInputError(
        field,
        f"Unexpected fields {', '.join(sorted(map(str, keys)))}; send values, "
        "bin_edges with counts, or categories.",
    )


def _parse_numbers(values: ListLike, field: str) -> np.ndarray:
    if isinstance(values, np.ndarray):
        if values.ndim != 1:
            raise DriftInputError(field, "values must be a flat list.")
        if values.dtype.kind in "iuf":
            return values.astype(np.float64)
    _refuse_types(values, field, _is_number_or_none, "numbers or null")
    try:
        return np.array(values, dtype=np.float64)
    except OverflowError:
        raise DriftInputError(
            field, "A value is too large for a floating-point number."
        ) from None


def _parse_labels(values: ListLike, field: str) -> np.ndarray:
    if isinstance(values, np.ndarray) and values.ndim != 1:
        raise DriftInputError(field, "values must be a flat list.")
    _refuse_types(values, field, _is_label_or_none, "text, numbers, booleans or null")
    labels = np.empty(len(values), dtype=object)
    labels[:] = values
    return labels


def _parse_edges(raw: object, field: str) -> np.ndarray:
    if not _is_list(raw) or len(raw) < 2:
        raise DriftInputError(field, "bin_edges must be a list of at least two edges.")
    edges = list(raw)
    inner_missing = _first_position(edges[1:-1], lambda kind: kind is type(None))
    if inner_missing is not None:
        raise DriftInputError(
            field,
            f"Edge {inner_missing + 1} is null; only the first and last edge may be "
            "null (an open end).",
        )
    open_ends = (edges[0] is None, edges[-1] is None)
    edges[0] = -math.inf if open_ends[0] else edges[0]
    edges[-1] = math.inf if open_ends[1] else edges[-1]
    _refuse_types(edges, field, _is_number_type, "numbers (or null at either end)")
    array = _to_floats(edges, field)
    finite = np.isfinite(array)
    if np.isnan(array).any() or not finite[1:-1].all():
        raise DriftInputError(field, "Inner bin_edges must be finite numbers.")
    if array[0] == math.inf or array[-1] == -math.inf:
        raise DriftInputError(field, "bin_edges must run from low to high.")
    if not finite.any():
        raise DriftInputError(field, "bin_edges need at least one finite edge.")
    steps = np.diff(array)
    if (steps <= 0).any():
        position = int(np.argmax(steps <= 0)) + 1
        raise DriftInputError(
            field,
            f"bin_edges must increase strictly; edge {position} ({edges[position]!r}) "
            "is not above the edge before it.",
        )
    return array


def _parse_counts(
    raw: object, field: str, names: Sequence[str] | None = None
) -> np.ndarray:
    if not _is_list(raw):
        raise DriftInputError(field, "counts must be a list of whole numbers.")
    _refuse_types(raw, field, _is_number_type, "whole numbers")
    counts = _to_floats(raw, field)
    problems = (
        (~np.isfinite(counts), "is not finite"),
        (counts < 0, "is negative"),
        (counts != np.floor(counts), "is not a whole number"),
    )
    for bad, problem in problems:
        if bad.any():
            position = int(np.argmax(bad))
            where = f"for {names[position]!r}" if names else f"at position {position}"
            raise DriftInputError(
                field,
                f"Count {raw[position]!r} {where} {problem}; counts are whole "
                "numbers, zero or more.",
            )
    return counts.astype(np.int64)


def _parse_categories(raw: object, field: str) -> dict[str, int]:
    if not isinstance(raw, Mapping):
        raise DriftInputError(
            field, "categories must be an object mapping each category to its count."
        )
    keys = list(raw)
    _refuse_types(keys, field, _is_label_type, "text, numbers or booleans")
    labels = [_category_label(key) for key in keys]
    if None in labels:
        raise DriftInputError(
            field, "Category names must be text, numbers or booleans."
        )
    names = [str(label) for label in labels]
    counts = _parse_counts(list(raw.values()), field, names=names)
    merged: dict[str, int] = {}
    for name, count in zip(names, counts.tolist(), strict=True):
        merged[name] = merged.get(name, 0) + count
    return merged


def _parse_number(value: object, field: str, name: str) -> float:
    if isinstance(value, _BOOLEAN_TYPES) or not isinstance(value, _NUMBER_TYPES):
        raise DriftInputError(field, f"{name} must be a number.")
    try:
        return float(value)
    except OverflowError:
        raise DriftInputError(field, f"{name} is too large.") from None


def _to_floats(values: ListLike, field: str) -> np.ndarray:
    try:
        return np.array(values, dtype=np.float64)
    except OverflowError:
        raise DriftInputError(
            field, "A number is too large for a floating-point number."
        ) from None


def _refuse_types(
    values: ListLike,
    field: str,
    is_allowed: Callable[[type], bool],
    expected: str,
) -> None:
    position = _first_position(values, lambda kind: not is_allowed(kind))
    if position is not None:
        value = values[position]
        raise DriftInputError(
            field,
            f"Item {position} ({reprlib.repr(value)}) is {_type_name(value)}; "
            f"expected {expected}.",
        )


def _first_position(values: ListLike, is_wanted: Callable[[type], bool]) -> int | None:
    """Position of the first value whose type is wanted, testing each type once."""
    wanted = [kind for kind in set(map(type, values)) if is_wanted(kind)]
    if not wanted:
        return None
    value_types = list(map(type, values))
    return min(value_types.index(kind) for kind in wanted)


def _is_number_type(kind: type) -> bool:
    return issubclass(kind, _NUMBER_TYPES) and not issubclass(kind, _BOOLEAN_TYPES)


def _is_number_or_none(kind: type) -> bool:
    return kind is type(None) or _is_number_type(kind)


def _is_label_type(kind: type) -> bool:
    return issubclass(kind, (str, *_BOOLEAN_TYPES, *_NUMBER_TYPES))


def _is_label_or_none(kind: type) -> bool:
    return kind is type(None) or _is_label_type(kind)


def _is_list(value: object) -> TypeGuard[ListLike]:
    return isinstance(value, Sequence | np.ndarray) and not isinstance(
        value, str | bytes
    )


def _type_name(value: object) -> str:
    if isinstance(value, _BOOLEAN_TYPES):
        return "a boolean"
    if isinstance(value, str):
        return "text"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list | tuple):
        return "a list"
    return f"a {type(value).__name__}"


def _path(*parts: str) -> str:
    return ".".join(part for part in parts if part)


def _category_label(value: object) -> str | None:
    """The label a raw value counts under; None when the value is missing."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, _BOOLEAN_TYPES):
        return "true" if value else "false"
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        number = float(value)
        if not math.isfinite(number):
            return None
        return str(int(number)) if number.is_integer() else repr(number)
    return str(value)


# --- preparation: cleaned sides, shared bins --------------------------------


@dataclass(frozen=True)
class _Counts:
    """Both sides counted over the same bins."""

    reference: np.ndarray
    current: np.ndarray
    bins: str


@dataclass(frozen=True)
class _CategoryTable:
    labels: tuple[str, ...]
    reference: np.ndarray
    current: np.ndarray

    def counts(self) -> _Counts:
        return _Counts(self.reference, self.current, f"categories:{len(self.labels)}")


@dataclass(frozen=True)
class _BinnedSides:
    edges: np.ndarray
    reference: np.ndarray
    current: np.ndarray

    def counts(self) -> _Counts:
        return _Counts(self.reference, self.current, f"given:{self.reference.size}")


@dataclass(frozen=True)
class _EcdfDistances:
    """Distances between the two empirical CDFs of raw numbers."""

    ks: float
    wasserstein: float


@dataclass(frozen=True)
class _NumberSides:
    """Cleaned raw numbers of both sides, each sorted once and reused."""

    reference: np.ndarray
    current: np.ndarray

    @cached_property
    def n_reference_distinct(self) -> int:
        return _count_distinct_sorted(self.reference)

    @cached_property
    def distinct(self) -> np.ndarray:
        """Distinct values of both sides; only built when there are few."""
        return np.union1d(
            _distinct_sorted(self.reference), _distinct_sorted(self.current)
        )

    @cached_property
    def is_few_valued(self) -> bool:
        return (
            self.n_reference_distinct <= CATEGORICAL_MAX_DISTINCT
            and _count_distinct_sorted(self.current) <= CATEGORICAL_MAX_DISTINCT
            and self.distinct.size <= CATEGORICAL_MAX_DISTINCT
        )

    @cached_property
    def ecdf_distances(self) -> _EcdfDistances:
        """KS statistic and Wasserstein distance from one merge of the two sides."""
        n_reference, n_current = self.reference.size, self.current.size
        combined = np.concatenate((self.reference, self.current))
        # Both halves are sorted, so the stable sort is a single linear merge.
        order = np.argsort(combined, kind="stable")
        values = combined[order]
        reference_seen = np.cumsum(order < n_reference)
        current_seen = np.arange(1, values.size + 1)
        current_seen -= reference_seen
        gaps = reference_seen / n_reference
        gaps -= current_seen / n_current
        np.abs(gaps, out=gaps)
        # Within a run of equal values only the last position is a CDF step.
        is_step = np.append(values[1:] != values[:-1], True)
        return _EcdfDistances(
            ks=float(np.max(gaps, where=is_step, initial=0.0)),
            wasserstein=float(np.vecdot(gaps[:-1], np.diff(values))),
        )

    @cached_property
    def sturges_edges(self) -> np.ndarray:
        both = np.concatenate((self.reference, self.current))
        return np.histogram_bin_edges(both, bins="sturges")

    def value_table(self) -> _CategoryTable:
        values = self.distinct
        labels = tuple(str(_category_label(value)) for value in values.tolist())
        return _CategoryTable(
            labels,
            _count_values(self.reference, values),
            _count_values(self.current, values),
        )

    def shared_counts(self) -> _Counts:
        if self.n_reference_distinct > VALUE_BINS_MAX_DISTINCT:
            edges = self.sturges_edges
            return _Counts(
                _histogram_sorted(self.reference, edges),
                _histogram_sorted(self.current, edges),
                f"sturges:{edges.size - 1}",
            )
        values = self.distinct
        return _Counts(
            _count_values(self.reference, values),
            _count_values(self.current, values),
            f"values:{values.size}",
        )

    def decile_counts(self) -> _Counts:
        inner = np.unique(np.quantile(self.reference, np.arange(1, 10) / 10))
        return _Counts(
            _counts_between(self.reference, inner),
            _counts_between(self.current, inner),
            f"deciles:{inner.size + 1}",
        )


@dataclass(frozen=True)
class _Prepared:
    """A feature after cleaning, in the one representation its input allows."""

    kind: str
    n_reference: int
    n_current: int
    excluded_reference: int
    excluded_current: int
    numbers: _NumberSides | None = None
    binned: _BinnedSides | None = None
    categories: _CategoryTable | None = None

    @property
    def is_evaluable(self) -> bool:
        return self.n_reference > 0 and self.n_current > 0

    def shared_counts(self) -> _Counts:
        """Bins for chi-square and Jensen-Shannon."""
        if self.categories is not None:
            return self.categories.counts()
        if self.binned is not None:
            return self.binned.counts()
        return self.require_numbers().shared_counts()

    def psi_counts(self) -> _Counts:
        """Bins for PSI."""
        if self.categories is not None:
            return self.categories.counts()
        if self.binned is not None:
            return self.binned.counts()
        return self.require_numbers().decile_counts()

    def require_numbers(self) -> _NumberSides:
        if self.numbers is None:
            raise DriftInputError("method", "This input has no raw numbers.")
        return self.numbers


def _prepare(feature: FeatureInput) -> _Prepared:
    reference, current = feature.reference, feature.current
    if isinstance(reference, BinnedSample) and isinstance(current, BinnedSample):
        binned = _BinnedSides(reference.edges, reference.counts, current.counts)
        n_reference, n_current = int(reference.counts.sum()), int(current.counts.sum())
        return _Prepared(NUMERIC, n_reference, n_current, 0, 0, binned=binned)
    if isinstance(reference, CategoryCounts) and isinstance(current, CategoryCounts):
        return _prepared_categories(reference.counts, current.counts, 0, 0)
    if not isinstance(reference, RawSample) or not isinstance(current, RawSample):
        raise DriftInputError("current", "Both sides must take the same form.")
    if feature.kind == CATEGORICAL:
        reference_counts, reference_missing = _count_labels(reference.values)
        current_counts, current_missing = _count_labels(current.values)
        return _prepared_categories(
            reference_counts, current_counts, reference_missing, current_missing
        )
    return _prepared_numbers(reference.values, current.values)


def _prepared_categories(
    reference: Mapping[str, int],
    current: Mapping[str, int],
    reference_missing: int,
    current_missing: int,
) -> _Prepared:
    table = _category_table(reference, current)
    return _Prepared(
        CATEGORICAL,
        int(table.reference.sum()),
        int(table.current.sum()),
        reference_missing,
        current_missing,
        categories=table,
    )


def _prepared_numbers(reference: np.ndarray, current: np.ndarray) -> _Prepared:
    numbers = _NumberSides(_sorted_finite(reference), _sorted_finite(current))
    is_few_valued = numbers.is_few_valued
    return _Prepared(
        CATEGORICAL if is_few_valued else NUMERIC,
        numbers.reference.size,
        numbers.current.size,
        reference.size - numbers.reference.size,
        current.size - numbers.current.size,
        numbers=numbers,
        categories=numbers.value_table() if is_few_valued else None,
    )


def _sorted_finite(values: np.ndarray) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64)
    is_finite = np.isfinite(values)
    if is_finite.all():
        return np.sort(values)
    kept: np.ndarray = values[is_finite]
    kept.sort()
    return kept


def _count_labels(values: np.ndarray) -> tuple[dict[str, int], int]:
    """Count per label; the Python loop runs once per distinct value."""
    items = values.tolist()
    counts: dict[str, int] = {}
    missing = 0
    # Keyed by type too: True == 1 for a dict, but they are different categories.
    for (_, value), count in Counter(zip(map(type, items), items, strict=True)).items():
        label = _category_label(value)
        if label is None:
            missing += count
        else:
            counts[label] = counts.get(label, 0) + count
    return counts, missing


def _category_table(
    reference: Mapping[str, int], current: Mapping[str, int]
) -> _CategoryTable:
    labels = tuple(sorted(set(reference) | set(current)))
    return _CategoryTable(
        labels,
        np.array([reference.get(label, 0) for label in labels], dtype=np.int64),
        np.array([current.get(label, 0) for label in labels], dtype=np.int64),
    )


def _distinct_sorted(values: np.ndarray) -> np.ndarray:
    if values.size == 0:
        return values
    distinct: np.ndarray = values[np.append(True, values[1:] != values[:-1])]
    return distinct


def _count_distinct_sorted(values: np.ndarray) -> int:
    return int(np.count_nonzero(values[1:] != values[:-1])) + min(values.size, 1)


def _count_values(sorted_values: np.ndarray, points: np.ndarray) -> np.ndarray:
    return np.searchsorted(sorted_values, points, side="right") - np.searchsorted(
        sorted_values, points, side="left"
    )


def _counts_between(sorted_values: np.ndarray, inner_edges: np.ndarray) -> np.ndarray:
    """Counts per open-ended bin, a value going to searchsorted(inner, x, "right")."""
    below = np.searchsorted(sorted_values, inner_edges, side="left")
    return np.diff(np.concatenate(([0], below, [sorted_values.size])))


def _histogram_sorted(sorted_values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """``np.histogram(values, edges)`` for sorted values, last bin closed."""
    below = np.searchsorted(sorted_values, edges, side="left")
    below[-1] = np.searchsorted(sorted_values, edges[-1], side="right")
    return np.diff(below)


# --- statistics ------------------------------------------------------------


def select_method(kind: str, n_reference: int) -> str:
    """The default method for a feature kind and reference size (DESIGN §5)."""
    is_small = n_reference <= SMALL_SAMPLE_MAX
    if kind == CATEGORICAL:
        return CHISQUARE if is_small else JENSENSHANNON
    return KS if is_small else WASSERSTEIN


def _ks(prepared: _Prepared) -> Statistic:
    if prepared.binned is not None:
        return _ks_binned(prepared.binned)
    numbers = prepared.require_numbers()
    reference, current = numbers.reference, numbers.current
    if max(reference.size, current.size) <= KS_EXACT_MAX_N:
        result = stats.ks_2samp(reference, current)
        return Statistic(KS, float(result.statistic), float(result.pvalue), "raw")
    statistic = numbers.ecdf_distances.ks
    p_value = _ks_asymptotic_p_value(statistic, reference.size, current.size)
    return Statistic(KS, statistic, p_value, "raw")


def _ks_binned(binned: _BinnedSides) -> Statistic:
    n_reference, n_current = int(binned.reference.sum()), int(binned.current.sum())
    gaps = np.abs(
        np.cumsum(binned.reference) / n_reference
        - np.cumsum(binned.current) / n_current
    )
    statistic = float(gaps.max())
    p_value = _ks_asymptotic_p_value(statistic, n_reference, n_current)
    return Statistic(KS, statistic, p_value, binned.counts().bins, BINNED_CDF)


def _ks_asymptotic_p_value(statistic: float, n_reference: int, n_current: int) -> float:
    """Two-sided p-value as ``ks_2samp(method="asymp")`` computes it."""
    larger, smaller = sorted((float(n_reference), float(n_current)), reverse=True)
    n = max(float(np.round(larger * smaller / (larger + smaller))), 1.0)
    if 140 < n <= 1_000_000 and statistic < 0.5 and 2.2 <= n * statistic**2 < 370:
        p_value = 2 * _smirnov_sf(int(n), statistic)
    else:
        p_value = stats.kstwo.sf(statistic, n)
    return float(np.clip(p_value, 0.0, 1.0))


def _smirnov_sf(n: int, x: float) -> float:
    """One-sided Smirnov P(D+ ≥ x): Birnbaum and Tingey's exact sum, vectorised.

    Where the guard above holds, SciPy's ``kstwo.sf`` is ``2 * smirnov(n, x)``,
    which adds the same n terms in a scalar loop: half a second at n = 500,000.
    Term j, C(n, j)·(1 - x - j/n)^(n-j)·(x + j/n)^(j-1), is the binomial
    probability of j in n at rate x + j/n, divided by that rate.
    """
    j = np.arange(math.ceil(n * (1 - x)) + 1, dtype=np.float64)
    rate = x + j / n
    j, rate = j[rate < 1], rate[rate < 1]
    return float(x * np.sum(stats.binom.pmf(j, n, rate) / rate))


def _wasserstein(prepared: _Prepared) -> Statistic:
    if prepared.binned is not None:
        return _wasserstein_binned(prepared.binned)
    numbers = prepared.require_numbers()
    distance = numbers.ecdf_distances.wasserstein
    scale = max(float(np.std(numbers.reference)), STD_FLOOR)
    return Statistic(WASSERSTEIN, distance / scale, None, "raw")


def _wasserstein_binned(binned: _BinnedSides) -> Statistic:
    positions = _bin_positions(binned.edges)
    n_reference, n_current = binned.reference.sum(), binned.current.sum()
    gaps = np.abs(
        np.cumsum(binned.reference) / n_reference
        - np.cumsum(binned.current) / n_current
    )
    distance = float(np.vecdot(gaps[:-1], np.diff(positions)))
    mean = np.vecdot(binned.reference, positions) / n_reference
    variance = np.vecdot(binned.reference, (positions - mean) ** 2) / n_reference
    scale = max(math.sqrt(variance), STD_FLOOR)
    return Statistic(
        WASSERSTEIN, distance / scale, None, binned.counts().bins, BINNED_MIDPOINT
    )


def _bin_positions(edges: np.ndarray) -> np.ndarray:
    """Where each bin's mass sits: its midpoint, or the finite edge of an open bin."""
    lower, upper = edges[:-1], edges[1:]
    midpoints = (lower + upper) / 2
    return np.where(
        np.isneginf(lower), upper, np.where(np.isposinf(upper), lower, midpoints)
    )


def _chisquare(prepared: _Prepared) -> Statistic:
    counts = prepared.shared_counts()
    table = np.vstack((counts.reference, counts.current))
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2:
        return Statistic(CHISQUARE, 0.0, 1.0, counts.bins)
    result = stats.chi2_contingency(table)
    return Statistic(
        CHISQUARE, float(result.statistic), float(result.pvalue), counts.bins
    )


def _jensenshannon(prepared: _Prepared) -> Statistic:
    counts = prepared.shared_counts()
    distance = float(
        jensenshannon(
            counts.reference / counts.reference.sum(),
            counts.current / counts.current.sum(),
        )
    )
    # Rounding can leave a hair below zero under the square root for equal sides.
    distance = 0.0 if math.isnan(distance) else distance
    return Statistic(JENSENSHANNON, distance, None, counts.bins)


def _psi(prepared: _Prepared) -> Statistic:
    counts = prepared.psi_counts()
    reference = _floored_shares(counts.reference)
    current = _floored_shares(counts.current)
    value = float(np.sum((current - reference) * np.log(current / reference)))
    return Statistic(PSI, value, None, counts.bins)


def _floored_shares(counts: np.ndarray) -> np.ndarray:
    shares = counts / counts.sum()
    return np.where(shares == 0, PSI_FLOOR, shares)


_MEASURES: Mapping[str, Callable[[_Prepared], Statistic]] = MappingProxyType(
    {
        KS: _ks,
        WASSERSTEIN: _wasserstein,
        CHISQUARE: _chisquare,
        JENSENSHANNON: _jensenshannon,
        PSI: _psi,
    }
)


def supported_methods(kind: str) -> tuple[str, ...]:
    """Methods a declared kind supports, in ``METHODS`` order."""
    if kind == CATEGORICAL:
        return tuple(method for method in METHODS if method not in ORDERED_METHODS)
    return METHODS


def compute_statistics(
    feature: FeatureInput, methods: Iterable[str] | None = None
) -> dict[str, Statistic]:
    """Several statistics from one cleaning and sorting; empty when not evaluable."""
    check_feature(feature)
    wanted = supported_methods(feature.kind) if methods is None else tuple(methods)
    for method in wanted:
        _check_method_name(method, feature.kind, "method")
    prepared = _prepare(feature)
    if not prepared.is_evaluable:
        return {}
    return {method: _MEASURES[method](prepared) for method in wanted}


# --- decision ----------------------------------------------------------------


def severity_for(*, drifted: bool, psi: float | None) -> str:
    """ok when not drifted; critical when drifted with PSI ≥ 0.25; else warning."""
    if not drifted:
        return SEVERITY_OK
    if psi is not None and psi >= PSI_CRITICAL:
        return SEVERITY_CRITICAL
    return SEVERITY_WARNING


def worst_severity(severities: Iterable[str]) -> str:
    """The most severe of the given severities, ok when there are none."""
    return max(severities, key=SEVERITY_ORDER.index, default=SEVERITY_OK)


def is_drifted(statistic: Statistic, threshold: float) -> bool:
    """p-value methods drift below the threshold, distances at or above it."""
    if statistic.method in P_VALUE_METHODS:
        return statistic.p_value is not None and statistic.p_value < threshold
    return statistic.statistic >= threshold


def analyse_feature(feature: FeatureInput) -> FeatureResult:
    """Decide drift for one feature with its named or default method (DESIGN §5)."""
    check_feature(feature)
    prepared = _prepare(feature)
    method = feature.method or select_method(prepared.kind, prepared.n_reference)
    threshold = (
        DEFAULT_THRESHOLDS[method] if feature.threshold is None else feature.threshold
    )
    reference_histogram, current_histogram = _charts(prepared)
    not_evaluable = FeatureResult(
        feature=feature.name,
        kind=prepared.kind,
        method=method,
        threshold=float(threshold),
        statistic=None,
        p_value=None,
        psi=None,
        drifted=False,
        severity=SEVERITY_OK,
        n_reference=prepared.n_reference,
        n_current=prepared.n_current,
        excluded=prepared.excluded_reference + prepared.excluded_current,
        excluded_reference=prepared.excluded_reference,
        excluded_current=prepared.excluded_current,
        evaluable=False,
        reason=_not_evaluable_reason(prepared),
        approximation=None,
        bins=None,
        reference_histogram=reference_histogram,
        current_histogram=current_histogram,
    )
    if not prepared.is_evaluable:
        return not_evaluable
    decision = _MEASURES[method](prepared)
    psi = decision if method == PSI else _psi(prepared)
    drifted = is_drifted(decision, threshold)
    return dataclasses.replace(
        not_evaluable,
        statistic=_json_float(decision.statistic),
        p_value=_json_float(decision.p_value),
        psi=_json_float(psi.statistic),
        drifted=drifted,
        severity=severity_for(drifted=drifted, psi=psi.statistic),
        evaluable=True,
        approximation=decision.approximation,
        bins=decision.bins,
    )


def analyse_features(
    features: Sequence[FeatureInput], *, max_workers: int = 1
) -> list[FeatureResult]:
    """``analyse_feature`` for each feature, in order, on up to max_workers threads."""
    if max_workers <= 1 or len(features) <= 1:
        return [analyse_feature(feature) for feature in features]
    # The heavy steps (sorting, merging, histograms) release the GIL, so each
    # thread gets a core of its own.
    with ThreadPoolExecutor(max_workers=max_workers) as pool:
        return list(pool.map(analyse_feature, features))


def summarise_report(
    results: Sequence[FeatureResult],
    dataset_drift_share: float = DEFAULT_DATASET_DRIFT_SHARE,
) -> ReportSummary:
    """Drift share over evaluable features, dataset drift and the worst severity."""
    if not 0 < dataset_drift_share <= 1:
        raise DriftInputError(
            "dataset_drift_share", "dataset_drift_share must be above 0 and at most 1."
        )
    evaluable = [result for result in results if result.evaluable]
    n_drifted = sum(result.drifted for result in evaluable)
    drift_share = n_drifted / len(evaluable) if evaluable else 0.0
    return ReportSummary(
        n_features=len(results),
        n_evaluable=len(evaluable),
        n_drifted=n_drifted,
        drift_share=drift_share,
        dataset_drift=bool(evaluable) and drift_share >= dataset_drift_share,
        dataset_drift_share=float(dataset_drift_share),
        severity=worst_severity(result.severity for result in results),
    )


def _not_evaluable_reason(prepared: _Prepared) -> str | None:
    empty_sides = [
        f"{side} side ({excluded} missing values excluded)"
        if excluded
        else f"{side} side"
        for side, n, excluded in (
            ("reference", prepared.n_reference, prepared.excluded_reference),
            ("current", prepared.n_current, prepared.excluded_current),
        )
        if n == 0
    ]
    if not empty_sides:
        return None
    return (
        f"No usable values on the {' or the '.join(empty_sides)}; "
        "drift cannot be measured."
    )


def _json_float(value: float | None) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return float(value)


# --- charts ------------------------------------------------------------------


def _charts(prepared: _Prepared) -> tuple[Histogram, Histogram]:
    if prepared.categories is not None:
        return _category_charts(prepared.categories)
    if prepared.binned is not None:
        binned = prepared.binned
        return _numeric_charts(binned.edges, binned.reference, binned.current)
    numbers = prepared.require_numbers()
    if numbers.reference.size + numbers.current.size == 0:
        return _numeric_charts(np.empty(0), np.empty(0), np.empty(0))
    edges = numbers.sturges_edges
    return _numeric_charts(
        edges,
        _histogram_sorted(numbers.reference, edges),
        _histogram_sorted(numbers.current, edges),
    )


def _numeric_charts(
    edges: np.ndarray, reference: np.ndarray, current: np.ndarray
) -> tuple[Histogram, Histogram]:
    """Histograms on at most CHART_MAX_BINS bins, adjacent bins merged to fit."""
    if reference.size > CHART_MAX_BINS:
        starts = np.arange(
            0, reference.size, math.ceil(reference.size / CHART_MAX_BINS)
        )
        reference = np.add.reduceat(reference, starts)
        current = np.add.reduceat(current, starts)
        edges = edges[np.append(starts, edges.size - 1)]
    bin_edges = [value if math.isfinite(value) else None for value in edges.tolist()]
    return (
        {"bin_edges": bin_edges, "counts": [int(count) for count in reference]},
        {"bin_edges": list(bin_edges), "counts": [int(count) for count in current]},
    )


def _category_charts(table: _CategoryTable) -> tuple[Histogram, Histogram]:
    """Top categories by total count, the rest summed under OTHER_CATEGORY."""
    order = np.argsort(-(table.reference + table.current), kind="stable")
    top, rest = order[:CHART_MAX_CATEGORIES], order[CHART_MAX_CATEGORIES:]

    def chart(counts: np.ndarray) -> Histogram:
        categories = {table.labels[index]: int(counts[index]) for index in top}
        if rest.size:
            categories[OTHER_CATEGORY] = categories.get(OTHER_CATEGORY, 0) + int(
                counts[rest].sum()
            )
        return {"categories": categories}

    return chart(table.reference), chart(table.current)
