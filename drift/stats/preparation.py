"""Preparing a feature: cleaned, sorted sides and the bins they share."""

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from drift.stats.constants import (
    CATEGORICAL,
    CATEGORICAL_MAX_DISTINCT,
    NUMERIC,
    VALUE_BINS_MAX_DISTINCT,
)
from drift.stats.inputs import (
    BinnedSample,
    CategoryCounts,
    DriftInputError,
    FeatureInput,
    RawSample,
)
from drift.stats.parsing import category_label


@dataclass(frozen=True)
class _Counts:
    """Both sides counted over the same bins."""

    reference: np.ndarray
    current: np.ndarray
    bins: str


@dataclass(frozen=True)
class CategoryTable:
    labels: tuple[str, ...]
    reference: np.ndarray
    current: np.ndarray

    def counts(self) -> _Counts:
        return _Counts(self.reference, self.current, f"categories:{len(self.labels)}")


@dataclass(frozen=True)
class BinnedSides:
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

    def value_table(self) -> CategoryTable:
        values = self.distinct
        labels = tuple(str(category_label(value)) for value in values.tolist())
        return CategoryTable(
            labels,
            _count_values(self.reference, values),
            _count_values(self.current, values),
        )

    def shared_counts(self) -> _Counts:
        if self.n_reference_distinct > VALUE_BINS_MAX_DISTINCT:
            edges = self.sturges_edges
            return _Counts(
                histogram_sorted(self.reference, edges),
                histogram_sorted(self.current, edges),
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
class Prepared:
    """A feature after cleaning, in the one representation its input allows."""

    kind: str
    n_reference: int
    n_current: int
    excluded_reference: int
    excluded_current: int
    numbers: _NumberSides | None = None
    binned: BinnedSides | None = None
    categories: CategoryTable | None = None

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


def prepare(feature: FeatureInput) -> Prepared:
    reference, current = feature.reference, feature.current
    if isinstance(reference, BinnedSample) and isinstance(current, BinnedSample):
        binned = BinnedSides(reference.edges, reference.counts, current.counts)
        n_reference, n_current = int(reference.counts.sum()), int(current.counts.sum())
        return Prepared(NUMERIC, n_reference, n_current, 0, 0, binned=binned)
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
) -> Prepared:
    table = _category_table(reference, current)
    return Prepared(
        CATEGORICAL,
        int(table.reference.sum()),
        int(table.current.sum()),
        reference_missing,
        current_missing,
        categories=table,
    )


def _prepared_numbers(reference: np.ndarray, current: np.ndarray) -> Prepared:
    numbers = _NumberSides(_sorted_finite(reference), _sorted_finite(current))
    is_few_valued = numbers.is_few_valued
    return Prepared(
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
        label = category_label(value)
        if label is None:
            missing += count
        else:
            counts[label] = counts.get(label, 0) + count
    return counts, missing


def _category_table(
    reference: Mapping[str, int], current: Mapping[str, int]
) -> CategoryTable:
    labels = tuple(sorted(set(reference) | set(current)))
    return CategoryTable(
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


def histogram_sorted(sorted_values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """``np.histogram(values, edges)`` for sorted values, last bin closed."""
    below = np.searchsorted(sorted_values, edges, side="left")
    below[-1] = np.searchsorted(sorted_values, edges[-1], side="right")
    return np.diff(below)
