"""Preparing a feature: cleaned, sorted sides and the bins they share.

Which bins (and when a numeric feature counts as categorical) is decided by
`mlgov_client.binning`, the one writing of the rules that the client's
histogram helpers call too.
"""

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from drift.stats.constants import (
    CATEGORICAL,
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
from mlgov_client.binning import (
    NumericPlan,
    category_label,
    counts_between,
    decile_edges,
    histogram_sorted,
    plan_numeric,
    sturges_edges,
)


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
    """Both sides of a numeric summary on the same edges, and PSI's bins
    (the reference's deciles) when the client sent them."""

    edges: np.ndarray
    reference: np.ndarray
    current: np.ndarray
    psi: _Counts | None = None

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
    def plan(self) -> NumericPlan:
        """The bins mlgov_client.binning chooses for these values."""
        few = _count_distinct_sorted(self.reference) <= VALUE_BINS_MAX_DISTINCT
        reference_distinct = _distinct_sorted(self.reference) if few else None
        present = [side for side in (self.reference, self.current) if side.size]
        return plan_numeric(
            reference_distinct=reference_distinct,
            union=lambda: np.union1d(
                _distinct_sorted(self.reference), _distinct_sorted(self.current)
            ),
            low=min((float(side[0]) for side in present), default=0.0),
            high=max((float(side[-1]) for side in present), default=0.0),
            size=self.reference.size + self.current.size,
        )

    @property
    def is_few_valued(self) -> bool:
        return self.plan.kind == CATEGORICAL

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
        """The Sturges edges over both sides (the charts use them always)."""
        present = [side for side in (self.reference, self.current) if side.size]
        return sturges_edges(
            min(float(side[0]) for side in present),
            max(float(side[-1]) for side in present),
            self.reference.size + self.current.size,
        )

    def value_table(self) -> CategoryTable:
        values = self.plan.categories
        assert values is not None  # asked only of a few-valued feature
        labels = tuple(str(category_label(value)) for value in values.tolist())
        return CategoryTable(
            labels,
            _count_values(self.reference, values),
            _count_values(self.current, values),
        )

    def shared_counts(self) -> _Counts:
        edges = self.plan.edges
        assert edges is not None  # a numeric plan always has edges
        return _Counts(
            histogram_sorted(self.reference, edges),
            histogram_sorted(self.current, edges),
            self.plan.bins,
        )

    def decile_counts(self) -> _Counts:
        reference = self.reference
        inner = decile_edges(reference.size, lambda ranks: reference[ranks])
        return _Counts(
            counts_between(reference, inner),
            counts_between(self.current, inner),
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
            return self.binned.psi or self.binned.counts()
        return self.require_numbers().decile_counts()

    def require_numbers(self) -> _NumberSides:
        if self.numbers is None:
            raise DriftInputError("method", "This input has no raw numbers.")
        return self.numbers


def prepare(feature: FeatureInput) -> Prepared:
    reference, current = feature.reference, feature.current
    if isinstance(reference, BinnedSample) and isinstance(current, BinnedSample):
        binned = BinnedSides(
            reference.edges, reference.counts, current.counts, _given_psi_bins(feature)
        )
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


def _given_psi_bins(feature: FeatureInput) -> _Counts | None:
    """PSI's bins as the client sent them (the reference's deciles), if it did."""
    reference, current = feature.reference, feature.current
    assert isinstance(reference, BinnedSample) and isinstance(current, BinnedSample)
    if reference.psi_counts is None or current.psi_counts is None:
        return None
    return _Counts(
        reference.psi_counts,
        current.psi_counts,
        f"given-deciles:{reference.psi_counts.size}",
    )


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
