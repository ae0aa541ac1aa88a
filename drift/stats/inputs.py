"""Input errors, the input dataclasses, and the checks a feature must pass."""

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from drift.stats.constants import (
    CATEGORICAL,
    KINDS,
    METHODS,
    NUMERIC,
    ORDERED_METHODS,
    P_VALUE_METHODS,
)


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
    """One side's histogram; ``edges`` use -inf/+inf for open outer edges.

    ``psi_edges`` and ``psi_counts``, when sent, are PSI's bins: the
    reference's deciles, with this side's counts in them."""

    edges: np.ndarray
    counts: np.ndarray
    psi_edges: np.ndarray | None = None
    psi_counts: np.ndarray | None = None


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


def check_feature(feature: FeatureInput, *, root: str = "") -> None:
    """Refuse a feature whose sides, method or threshold do not fit together."""
    kind, reference, current = feature.kind, feature.reference, feature.current
    if kind not in KINDS:
        raise DriftInputError(field_path(root, "kind"), f"Unknown kind {kind!r}.")
    if type(reference) is not type(current):
        raise DriftInputError(
            field_path(root, "current"),
            "Both sides must take the same form: raw values on both, or the same "
            "kind of summary on both.",
        )
    if isinstance(reference, RawSample) and isinstance(current, RawSample):
        for side, sample in (("reference", reference), ("current", current)):
            _check_raw(sample, kind, field_path(root, side, "values"))
    if isinstance(reference, BinnedSample) and isinstance(current, BinnedSample):
        _check_bins(reference, current, kind, root)
    if isinstance(reference, CategoryCounts) and kind != CATEGORICAL:
        raise DriftInputError(
            field_path(root, "reference", "categories"),
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
            field_path(root, "reference", "bin_edges"),
            "bin_edges summarise a numeric feature; a categorical feature sends "
            "categories.",
        )
    for side, sample in (("reference", reference), ("current", current)):
        n_bins = sample.edges.size - 1
        if sample.counts.shape != (n_bins,):
            raise DriftInputError(
                field_path(root, side, "counts"),
                f"counts has {sample.counts.size} entries but bin_edges define "
                f"{n_bins} bins; send one count per bin.",
            )
    if not np.array_equal(reference.edges, current.edges):
        raise DriftInputError(
            field_path(root, "current", "bin_edges"),
            "The current bin_edges differ from the reference bin_edges; both sides "
            "must use identical edges.",
        )
    _check_psi_bins(reference, current, root)


def _check_psi_bins(reference: BinnedSample, current: BinnedSample, root: str) -> None:
    """PSI's bins: on both sides or neither, the same edges, one count per
    bin, and the same values counted as in the histogram."""
    sides = (("reference", reference), ("current", current))
    carried = [side for side, sample in sides if sample.psi_edges is not None]
    if not carried:
        return
    if len(carried) == 1:
        other = "current" if carried == ["reference"] else "reference"
        raise DriftInputError(
            field_path(root, other, "psi_bin_edges"),
            f"The {carried[0]} side sends PSI's bins but the {other} side does "
            "not; send psi_bin_edges and psi_counts on both sides or neither.",
        )
    for side, sample in sides:
        assert sample.psi_edges is not None and sample.psi_counts is not None
        n_bins = sample.psi_edges.size - 1
        if sample.psi_counts.shape != (n_bins,):
            raise DriftInputError(
                field_path(root, side, "psi_counts"),
                f"psi_counts has {sample.psi_counts.size} entries but "
                f"psi_bin_edges define {n_bins} bins; send one count per bin.",
            )
        if int(sample.psi_counts.sum()) != int(sample.counts.sum()):
            raise DriftInputError(
                field_path(root, side, "psi_counts"),
                f"psi_counts add up to {int(sample.psi_counts.sum()):,} but counts "
                f"to {int(sample.counts.sum()):,}; both count the same values "
                "(PSI's bins are open at both ends: null first and last edges).",
            )
    if not np.array_equal(
        np.asarray(reference.psi_edges), np.asarray(current.psi_edges)
    ):
        raise DriftInputError(
            field_path(root, "current", "psi_bin_edges"),
            "The current psi_bin_edges differ from the reference psi_bin_edges; "
            "both sides must use identical edges.",
        )


def _check_method(
    method: object, threshold: float | None, kind: str, root: str
) -> None:
    if method is None:
        if threshold is not None:
            raise DriftInputError(
                field_path(root, "threshold"),
                "A threshold needs a method: the same number is a p-value for ks "
                "and chisquare but a distance for wasserstein, jensenshannon and "
                "psi.",
            )
        return
    check_method_name(method, kind, field_path(root, "method"))
    if threshold is None:
        return
    if not math.isfinite(threshold) or threshold < 0:
        raise DriftInputError(
            field_path(root, "threshold"),
            "threshold must be a finite number, zero or more.",
        )
    if method in P_VALUE_METHODS and threshold > 1:
        raise DriftInputError(
            field_path(root, "threshold"),
            f"The {method} threshold is a p-value, so it must be at most 1.",
        )


def check_method_name(method: object, kind: str, field: str) -> None:
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


def field_path(*parts: str) -> str:
    return ".".join(part for part in parts if part)
