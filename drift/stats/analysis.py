"""Analysing features: statistics, drift decisions, report roll-up, charts."""

import dataclasses
import math
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from drift.stats.constants import (
    CHART_MAX_BINS,
    CHART_MAX_CATEGORIES,
    DEFAULT_DATASET_DRIFT_SHARE,
    DEFAULT_THRESHOLDS,
    OTHER_CATEGORY,
    P_VALUE_METHODS,
    PSI,
    PSI_CRITICAL,
    SEVERITY_CRITICAL,
    SEVERITY_OK,
    SEVERITY_ORDER,
    SEVERITY_WARNING,
    Histogram,
)
from drift.stats.inputs import (
    DriftInputError,
    FeatureInput,
    check_feature,
    check_method_name,
)
from drift.stats.methods import MEASURES, measure_psi, select_method, supported_methods
from drift.stats.preparation import CategoryTable, Prepared, prepare
from drift.stats.results import FeatureResult, ReportSummary, Statistic
from mlgov_client.binning import histogram_sorted


def compute_statistics(
    feature: FeatureInput, methods: Iterable[str] | None = None
) -> dict[str, Statistic]:
    """Several statistics from one cleaning and sorting; empty when not evaluable."""
    check_feature(feature)
    wanted = supported_methods(feature.kind) if methods is None else tuple(methods)
    for method in wanted:
        check_method_name(method, feature.kind, "method")
    prepared = prepare(feature)
    if not prepared.is_evaluable:
        return {}
    return {method: MEASURES[method](prepared) for method in wanted}


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
    prepared = prepare(feature)
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
    decision = MEASURES[method](prepared)
    psi = decision if method == PSI else measure_psi(prepared)
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


def _not_evaluable_reason(prepared: Prepared) -> str | None:
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


def _charts(prepared: Prepared) -> tuple[Histogram, Histogram]:
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
        histogram_sorted(numbers.reference, edges),
        histogram_sorted(numbers.current, edges),
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


def _category_charts(table: CategoryTable) -> tuple[Histogram, Histogram]:
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
