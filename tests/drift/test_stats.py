"""Tests for the drift statistics engine (DESIGN.md §5)."""

import dataclasses
import json
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from scipy.spatial.distance import jensenshannon

from drift.stats import (
    CATEGORICAL,
    CHISQUARE,
    JENSENSHANNON,
    KS,
    NUMERIC,
    OTHER_CATEGORY,
    PSI,
    SEVERITY_CRITICAL,
    SEVERITY_OK,
    SEVERITY_WARNING,
    WASSERSTEIN,
    DriftInputError,
    DriftPayloadTooLargeError,
    FeatureInput,
    FeatureResult,
    RawSample,
    analyse_feature,
    analyse_features,
    compute_statistics,
    parse_feature,
    parse_features,
    select_method,
    severity_for,
    summarise_report,
    worst_severity,
)

TOLERANCE = 1e-9
FEW_EXAMPLES = settings(max_examples=40, deadline=None)


def raw_feature(
    kind: str, reference: Any, current: Any, **options: Any
) -> FeatureInput:
    payload = {
        "name": "x",
        "kind": kind,
        "reference": {"values": reference},
        "current": {"values": current},
        **options,
    }
    return parse_feature(payload)


def numeric(reference: Any, current: Any, **options: Any) -> FeatureInput:
    return raw_feature(NUMERIC, reference, current, **options)


def categorical(reference: Any, current: Any, **options: Any) -> FeatureInput:
    return raw_feature(CATEGORICAL, reference, current, **options)


def binned(
    edges: Sequence[float | None],
    reference: Sequence[int],
    current: Sequence[int],
    **options: Any,
) -> FeatureInput:
    return parse_feature(
        {
            "name": "x",
            "kind": NUMERIC,
            "reference": {"bin_edges": edges, "counts": reference},
            "current": {"bin_edges": edges, "counts": current},
            **options,
        }
    )


def category_counts(
    reference: dict[str, int], current: dict[str, int], **options: Any
) -> FeatureInput:
    return parse_feature(
        {
            "name": "x",
            "kind": CATEGORICAL,
            "reference": {"categories": reference},
            "current": {"categories": current},
            **options,
        }
    )


def close(expected: float) -> Any:
    return pytest.approx(expected, rel=TOLERANCE, abs=TOLERANCE)


@st.composite
def numeric_samples(draw: st.DrawFn, max_size: int = 600) -> tuple[np.ndarray, ...]:
    """Two samples of assorted sizes and shapes: continuous, shifted, tied, skewed."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    sizes = (draw(st.integers(1, max_size)), draw(st.integers(1, max_size)))
    shape = draw(st.sampled_from(["normal", "shifted", "ties", "skewed", "narrow"]))
    shift = draw(st.floats(-2, 2))
    if shape == "ties":
        levels = draw(st.integers(1, 30))
        return tuple(rng.integers(0, levels, size).astype(float) for size in sizes)
    if shape == "skewed":
        return rng.lognormal(0, 1, sizes[0]), rng.lognormal(shift / 4, 1, sizes[1])
    if shape == "narrow":
        return rng.normal(0, 1e-5, sizes[0]), rng.normal(1e-5, 1e-5, sizes[1])
    offset = shift if shape == "shifted" else 0.0
    return rng.normal(0, 1, sizes[0]), rng.normal(offset, 1, sizes[1])


@st.composite
def category_samples(draw: st.DrawFn) -> tuple[list[str | None], list[str | None]]:
    """Two samples of letters, with missing values, categories may be one-sided."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    letters = [None, *"abcdefgh"[: draw(st.integers(1, 8))]]

    def sample(size: int) -> list[str | None]:
        weights = rng.dirichlet(np.ones(len(letters)))
        return [letters[i] for i in rng.choice(len(letters), size, p=weights)]

    return sample(draw(st.integers(1, 400))), sample(draw(st.integers(1, 400)))


def letter_counts(values: list[str | None], letters: list[str]) -> np.ndarray:
    return np.array([values.count(letter) for letter in letters])


# --- each statistic equals SciPy's --------------------------------------------


@FEW_EXAMPLES
@given(numeric_samples())
def test_ks_equals_scipy_ks_2samp(samples: tuple[np.ndarray, np.ndarray]) -> None:
    reference, current = samples
    expected = stats.ks_2samp(reference, current)

    result = compute_statistics(numeric(reference, current), [KS])[KS]

    assert result.statistic == close(expected.statistic)
    assert result.p_value == close(expected.pvalue)


@pytest.mark.parametrize("shift", [0.0, 0.02, 0.05, 0.3])
def test_ks_equals_scipy_above_the_exact_p_value_limit(shift: float) -> None:
    rng = np.random.default_rng(7)
    reference = rng.normal(0, 1, 12_000)
    current = np.round(rng.normal(shift, 1, 10_500), 2)
    expected = stats.ks_2samp(reference, current)

    result = compute_statistics(numeric(reference, current), [KS])[KS]

    assert result.statistic == close(expected.statistic)
    assert result.p_value == close(expected.pvalue)


@FEW_EXAMPLES
@given(numeric_samples())
def test_wasserstein_equals_scipy_normed_by_reference_std(
    samples: tuple[np.ndarray, np.ndarray],
) -> None:
    reference, current = samples
    expected = stats.wasserstein_distance(reference, current) / max(
        np.std(reference), 0.001
    )

    result = compute_statistics(numeric(reference, current), [WASSERSTEIN])

    assert result[WASSERSTEIN].statistic == close(expected)
    assert result[WASSERSTEIN].p_value is None


@FEW_EXAMPLES
@given(category_samples())
def test_chisquare_equals_scipy_chi2_contingency_over_union_of_categories(
    samples: tuple[list[str | None], list[str | None]],
) -> None:
    reference, current = samples
    letters = sorted({value for value in reference + current if value is not None})
    feature = categorical(reference, current, method=CHISQUARE)

    result = analyse_feature(feature)

    if not result.evaluable:
        assert None in reference or None in current
        return
    table = [letter_counts(reference, letters), letter_counts(current, letters)]
    if len(letters) == 1:
        assert (result.statistic, result.p_value) == (0.0, 1.0)
    else:
        expected = stats.chi2_contingency(table)
        assert result.statistic == close(expected.statistic)
        assert result.p_value == close(expected.pvalue)
    assert result.bins == f"categories:{len(letters)}"


@FEW_EXAMPLES
@given(category_samples())
def test_jensenshannon_equals_scipy_on_category_proportions(
    samples: tuple[list[str | None], list[str | None]],
) -> None:
    reference, current = samples
    letters = sorted({value for value in reference + current if value is not None})
    reference_counts = letter_counts(reference, letters)
    current_counts = letter_counts(current, letters)

    result = analyse_feature(categorical(reference, current, method=JENSENSHANNON))

    if result.evaluable:
        expected = jensenshannon(
            reference_counts / reference_counts.sum(),
            current_counts / current_counts.sum(),
        )
        assert result.statistic == close(expected)


@FEW_EXAMPLES
@given(numeric_samples())
def test_jensenshannon_equals_scipy_on_sturges_or_value_bins(
    samples: tuple[np.ndarray, np.ndarray],
) -> None:
    reference, current = samples
    if np.unique(reference).size > 20:
        edges = np.histogram_bin_edges(np.concatenate((reference, current)), "sturges")
        reference_counts = np.histogram(reference, edges)[0]
        current_counts = np.histogram(current, edges)[0]
    else:
        values = np.union1d(reference, current)
        reference_counts = (reference[:, None] == values).sum(axis=0)
        current_counts = (current[:, None] == values).sum(axis=0)
    expected = jensenshannon(
        reference_counts / reference.size, current_counts / current.size
    )

    result = compute_statistics(numeric(reference, current), [JENSENSHANNON])

    assert result[JENSENSHANNON].statistic == close(expected)


@FEW_EXAMPLES
@given(numeric_samples(max_size=300))
def test_psi_on_numeric_values_uses_reference_deciles_with_open_ends(
    samples: tuple[np.ndarray, np.ndarray],
) -> None:
    reference, current = samples
    inner = np.unique(np.quantile(reference, np.arange(1, 10) / 10))

    def shares(values: np.ndarray) -> np.ndarray:
        bins = np.searchsorted(inner, values, side="right")
        proportions = np.bincount(bins, minlength=inner.size + 1) / values.size
        return np.where(proportions == 0, 1e-4, proportions)

    expected = np.sum(
        (shares(current) - shares(reference))
        * np.log(shares(current) / shares(reference))
    )
    feature = numeric(reference, current)

    result = compute_statistics(feature, [PSI])[PSI]

    if analyse_feature(feature).kind == NUMERIC:
        assert result.statistic == close(expected)
        assert result.bins == f"deciles:{inner.size + 1}"


def test_numeric_charts_count_values_like_numpy_histogram_on_sturges_edges() -> None:
    rng = np.random.default_rng(3)
    reference, current = rng.normal(0, 1, 5000), rng.normal(0.3, 1, 4000)
    edges = np.histogram_bin_edges(np.concatenate((reference, current)), "sturges")

    result = analyse_feature(numeric(reference, current))

    assert result.reference_histogram == {
        "bin_edges": edges.tolist(),
        "counts": np.histogram(reference, edges)[0].tolist(),
    }
    assert (
        result.current_histogram["counts"] == np.histogram(current, edges)[0].tolist()
    )


# --- PSI worked by hand ---------------------------------------------------------


def test_psi_floors_a_new_category_at_one_in_ten_thousand() -> None:
    feature = category_counts({"a": 50, "b": 50}, {"a": 40, "b": 40, "c": 20})
    # a, b: 0.5 -> 0.4 each; c: 0 (floored to 1e-4) -> 0.2
    expected = 2 * (0.4 - 0.5) * math.log(0.4 / 0.5) + (0.2 - 1e-4) * math.log(
        0.2 / 1e-4
    )

    result = analyse_feature(feature)

    assert expected == pytest.approx(1.564049, abs=1e-6)
    assert result.psi == close(expected)


def test_psi_floors_empty_decile_bins_without_renormalising() -> None:
    reference = list(range(100))  # deciles put exactly ten values in each bin
    current = list(range(10)) * 10  # every value in the first bin
    expected = (1.0 - 0.1) * math.log(1.0 / 0.1) + 9 * (1e-4 - 0.1) * math.log(
        1e-4 / 0.1
    )

    result = analyse_feature(numeric(reference, current))

    assert expected == pytest.approx(8.283089, abs=1e-6)
    assert result.psi == close(expected)


def test_psi_on_given_bins_uses_the_bins_as_sent() -> None:
    feature = binned([None, 0, 10, None], [25, 25, 50], [50, 25, 25])
    # (0.5 - 0.25) ln 2 + 0 + (0.25 - 0.5) ln 0.5 = 0.5 ln 2
    result = analyse_feature(feature)

    assert result.psi == close(0.5 * math.log(2))


# --- the method table -----------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "n_reference", "method"),
    [
        (NUMERIC, 1000, KS),
        (NUMERIC, 1001, WASSERSTEIN),
        (CATEGORICAL, 1000, CHISQUARE),
        (CATEGORICAL, 1001, JENSENSHANNON),
    ],
)
def test_select_method_follows_the_table(
    kind: str, n_reference: int, method: str
) -> None:
    assert select_method(kind, n_reference) == method


@pytest.mark.parametrize(
    ("size", "method", "threshold"), [(1000, KS, 0.05), (1001, WASSERSTEIN, 0.1)]
)
def test_numeric_default_method_switches_above_1000_reference_values(
    size: int, method: str, threshold: float
) -> None:
    result = analyse_feature(numeric(list(range(size)), list(range(500))))

    assert (result.kind, result.method, result.threshold) == (
        NUMERIC,
        method,
        threshold,
    )


def test_sample_size_for_the_method_is_counted_after_cleaning() -> None:
    result = analyse_feature(numeric([*range(1000), None], list(range(500))))

    assert (result.n_reference, result.method) == (1000, KS)


@pytest.mark.parametrize(
    ("size", "method", "threshold"),
    [(1000, CHISQUARE, 0.05), (1001, JENSENSHANNON, 0.1)],
)
def test_categorical_default_method_switches_above_1000_reference_values(
    size: int, method: str, threshold: float
) -> None:
    reference = ["a", "b"] * (size // 2) + ["a"] * (size % 2)

    result = analyse_feature(categorical(reference, ["a", "b", "b"]))

    assert (result.method, result.threshold, result.n_reference) == (
        method,
        threshold,
        size,
    )


@pytest.mark.parametrize(
    ("a_count", "method"), [(500, CHISQUARE), (501, JENSENSHANNON)]
)
def test_category_summary_sample_size_is_the_reference_total(
    a_count: int, method: str
) -> None:
    result = analyse_feature(category_counts({"a": a_count, "b": 500}, {"a": 10}))

    assert result.method == method


@pytest.mark.parametrize(
    ("total", "method", "approximation"),
    [(1000, KS, "binned-cdf"), (1001, WASSERSTEIN, "binned-midpoint")],
)
def test_binned_summary_defaults_to_the_approximated_numeric_method(
    total: int, method: str, approximation: str
) -> None:
    result = analyse_feature(binned([0, 1, 2], [500, total - 500], [300, 300]))

    assert (result.method, result.approximation, result.bins) == (
        method,
        approximation,
        "given:2",
    )


@pytest.mark.parametrize(
    ("current", "kind", "method"),
    [([4, 5], CATEGORICAL, CHISQUARE), ([4, 5, 6], NUMERIC, KS)],
)
def test_numeric_feature_with_at_most_five_distinct_values_is_categorical(
    current: list[int], kind: str, method: str
) -> None:
    result = analyse_feature(numeric([1, 2, 3, 1, 2, 3], current))

    assert (result.kind, result.method) == (kind, method)


def test_few_valued_numeric_feature_reports_its_values_as_categories() -> None:
    result = analyse_feature(numeric([1, 2, 2.5, 2.5], [1.0, 1, 2]))

    assert result.bins == "categories:3"
    assert result.reference_histogram == {"categories": {"1": 1, "2": 1, "2.5": 2}}
    assert result.current_histogram == {"categories": {"1": 2, "2": 1, "2.5": 0}}


@pytest.mark.parametrize(("levels", "bins"), [(20, "values:20"), (21, "sturges:")])
def test_jensenshannon_bins_by_value_up_to_20_distinct_reference_values(
    levels: int, bins: str
) -> None:
    reference = [level for level in range(levels) for _ in range(5)]

    result = analyse_feature(numeric(reference, reference[::-1], method=JENSENSHANNON))

    assert (result.bins or "").startswith(bins)


# --- cleaning and edge cases ----------------------------------------------------


def test_missing_and_infinite_values_are_excluded_and_counted() -> None:
    reference = [1.0, None, math.nan, 2.0, 3.0, 4.0, 5.0, 6.0]
    current = [math.inf, -math.inf, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, None]

    result = analyse_feature(numeric(reference, current))

    assert (result.n_reference, result.n_current) == (6, 6)
    assert (result.excluded_reference, result.excluded_current) == (2, 3)
    assert result.excluded == 5
    assert result.statistic == close(0.0)


def test_missing_categories_are_excluded_and_counted() -> None:
    result = analyse_feature(categorical(["a", None, "b"], [None, None, "a"]))

    assert (result.excluded_reference, result.excluded_current) == (1, 2)
    assert (result.n_reference, result.n_current) == (2, 1)


@pytest.mark.parametrize(
    "feature",
    [
        numeric([None, None], [1.0, 2.0]),
        numeric([], [1.0]),
        categorical(["a"], [None]),
        category_counts({"a": 3}, {}),
        binned([0, 1, 2], [0, 0], [1, 1]),
    ],
)
def test_a_side_without_usable_values_is_not_evaluable(feature: FeatureInput) -> None:
    result = analyse_feature(feature)

    assert not result.evaluable
    assert not result.drifted
    assert result.severity == SEVERITY_OK
    assert (result.statistic, result.p_value, result.psi) == (None, None, None)
    assert "drift cannot be measured" in (result.reason or "")


def test_not_evaluable_reason_names_the_empty_side_and_its_missing_values() -> None:
    result = analyse_feature(numeric([1.0, 2.0], [None, math.nan]))

    assert result.reason == (
        "No usable values on the current side (2 missing values excluded); "
        "drift cannot be measured."
    )


def test_constant_reference_divides_wasserstein_by_the_std_floor() -> None:
    reference, current = [5.0] * 10, [5.0, 5.1, 5.2, 5.3, 5.4, 5.5, 5.6]

    result = analyse_feature(numeric(reference, current, method=WASSERSTEIN))

    assert result.statistic == close(
        stats.wasserstein_distance(reference, current) / 0.001
    )
    assert result.drifted


def test_categories_on_one_side_only_give_finite_statistics() -> None:
    feature = categorical(["a"] * 30 + ["b"] * 30, ["c"] * 20 + ["a"] * 5)

    results = compute_statistics(feature)

    assert set(results) == {CHISQUARE, JENSENSHANNON, PSI}
    assert all(math.isfinite(result.statistic) for result in results.values())
    assert results[JENSENSHANNON].statistic <= math.sqrt(math.log(2))


def test_one_value_on_each_side_is_evaluable() -> None:
    result = analyse_feature(numeric([1.0], [2.0]))

    assert result.evaluable
    assert (result.kind, result.method) == (CATEGORICAL, CHISQUARE)
    assert result.statistic == close(stats.chi2_contingency([[1, 0], [0, 1]])[0])


def test_a_single_category_in_total_is_no_evidence_of_drift() -> None:
    result = analyse_feature(categorical(["a"] * 3, ["a"]))

    assert (result.statistic, result.p_value, result.drifted) == (0.0, 1.0, False)


def test_one_value_on_each_side_with_ks_named_matches_scipy() -> None:
    result = analyse_feature(numeric([1.0], [2.0], method=KS))

    assert (result.statistic, result.p_value) == (1.0, 1.0)


def test_caller_named_method_and_threshold_are_honoured() -> None:
    reference, current = list(range(100)), [value + 5 for value in range(100)]
    p_value = stats.ks_2samp(reference, current).pvalue

    loose = analyse_feature(numeric(reference, current, method=KS, threshold=1.0))
    strict = analyse_feature(numeric(reference, current, method=KS, threshold=0.0))

    assert (loose.method, loose.threshold, loose.p_value) == (KS, 1.0, close(p_value))
    assert loose.drifted
    assert not strict.drifted


@pytest.mark.parametrize(
    ("options", "drifted"),
    [({}, True), ({"threshold": 0.6}, True), ({"threshold": 0.61}, False)],
)
def test_psi_drifts_above_its_threshold_default_02(
    options: dict[str, float], drifted: bool
) -> None:
    feature = category_counts(
        {"a": 50, "b": 50}, {"a": 85, "b": 15}, method=PSI, **options
    )
    psi = (0.85 - 0.5) * math.log(0.85 / 0.5) + (0.15 - 0.5) * math.log(0.15 / 0.5)

    result = analyse_feature(feature)

    assert psi == pytest.approx(0.6071, abs=1e-4)
    assert result.statistic == close(psi)
    assert result.drifted is drifted
    assert result.threshold == options.get("threshold", 0.2)


def test_distance_methods_drift_when_the_statistic_equals_the_threshold() -> None:
    rng = np.random.default_rng(11)
    reference, current = rng.normal(0, 1, 300), rng.normal(0.1, 1, 300)
    distance = analyse_feature(numeric(reference, current, method=WASSERSTEIN))

    at_threshold = analyse_feature(
        numeric(reference, current, method=WASSERSTEIN, threshold=distance.statistic)
    )

    assert at_threshold.drifted


def test_binned_wasserstein_puts_mass_at_midpoints_and_open_bins_at_their_edge() -> (
    None
):
    edges = [None, 0, 10, 20, None]
    reference, current = [5, 40, 40, 15], [0, 20, 50, 30]
    positions = np.array([0.0, 5.0, 15.0, 20.0])
    mean = np.average(positions, weights=reference)
    std = math.sqrt(np.average((positions - mean) ** 2, weights=reference))
    expected = stats.wasserstein_distance(positions, positions, reference, current)

    result = analyse_feature(binned(edges, reference, current, method=WASSERSTEIN))

    assert result.statistic == close(expected / std)
    assert result.approximation == "binned-midpoint"


def test_binned_ks_is_the_largest_cdf_gap_with_scipys_asymptotic_p_value() -> None:
    reference, current = (
        [20_000, 30_000, 30_000, 20_000],
        [19_000, 30_500, 30_000, 20_500],
    )
    gap = np.abs(np.cumsum(reference) / 100_000 - np.cumsum(current) / 100_000).max()
    expected_p = stats.kstwo.sf(gap, 50_000)

    result = analyse_feature(binned([0, 1, 2, 3, 4], reference, current, method=KS))

    assert result.statistic == close(gap)
    assert result.p_value == close(expected_p)
    assert result.approximation == "binned-cdf"


@FEW_EXAMPLES
@given(
    st.lists(st.integers(0, 40_000), min_size=2, max_size=12).flatmap(
        lambda counts: st.tuples(
            st.just(counts),
            st.lists(
                st.integers(0, 40_000), min_size=len(counts), max_size=len(counts)
            ),
        )
    )
)
def test_binned_ks_p_value_equals_scipy_kstwo_for_any_totals(
    counts: tuple[list[int], list[int]],
) -> None:
    reference, current = counts
    edges = list(range(len(reference) + 1))
    n_reference, n_current = sum(reference), sum(current)
    if not n_reference or not n_current:
        return
    gap = np.abs(
        np.cumsum(reference) / n_reference - np.cumsum(current) / n_current
    ).max()
    larger, smaller = max(n_reference, n_current), min(n_reference, n_current)
    n = max(np.round(larger * smaller / (larger + smaller)), 1)

    result = analyse_feature(binned(edges, reference, current, method=KS))

    assert result.p_value == close(np.clip(stats.kstwo.sf(gap, n), 0, 1))


def test_chisquare_and_jensenshannon_on_given_bins_use_the_counts_as_sent() -> None:
    reference, current = [10, 0, 30, 60], [20, 0, 30, 50]
    feature = binned([0, 1, 2, 3, 4], reference, current)

    results = compute_statistics(feature, [CHISQUARE, JENSENSHANNON])

    expected = stats.chi2_contingency([[10, 30, 60], [20, 30, 50]])
    assert results[CHISQUARE].statistic == close(expected.statistic)
    assert results[JENSENSHANNON].statistic == close(
        jensenshannon(np.array(reference) / 100, np.array(current) / 100)
    )


def test_labels_merge_numbers_text_and_booleans_that_print_alike() -> None:
    result = analyse_feature(categorical([1, 1.0, "1", True, "x"], ["1", "true"]))

    assert result.reference_histogram == {"categories": {"1": 3, "true": 1, "x": 1}}


# --- refusals -------------------------------------------------------------------


def valid_payload() -> dict[str, Any]:
    return {
        "name": "income",
        "kind": "numeric",
        "reference": {"bin_edges": [None, 0, 10, None], "counts": [1, 2, 3]},
        "current": {"bin_edges": [None, 0, 10, None], "counts": [3, 2, 1]},
    }


def with_changes(**changes: Any) -> dict[str, Any]:
    payload = valid_payload()
    for path, value in changes.items():
        target = payload
        *parents, last = path.split("__")
        for parent in parents:
            target = target[parent]
        if value is ...:
            del target[last]
        else:
            target[last] = value
    return payload


@pytest.mark.parametrize(
    ("payload", "field", "words"),
    [
        ({}, "features[2]", "must be an object"),
        (with_changes(name=""), "features[2].name", "needs a name"),
        (with_changes(kind="ordinal"), "features[2].kind", "Unknown kind"),
        (with_changes(colour="red"), "features[2].colour", "Unknown field"),
        (with_changes(method="t-test"), "features[2].method", "Unknown method"),
        (
            with_changes(threshold=0.3),
            "features[2].threshold",
            "A threshold needs a method",
        ),
        (
            with_changes(method="psi", threshold=-0.1),
            "features[2].threshold",
            "zero or more",
        ),
        (
            with_changes(method="psi", threshold=math.inf),
            "features[2].threshold",
            "finite",
        ),
        (
            with_changes(method="ks", threshold=5),
            "features[2].threshold",
            "at most 1",
        ),
        (
            with_changes(method="psi", threshold="high"),
            "features[2].threshold",
            "number",
        ),
        (with_changes(current={}), "features[2].current", "must be an object"),
        (with_changes(current=...), "features[2].current", "must be an object"),
        (
            with_changes(current__counts=...),
            "features[2].current",
            "both bin_edges and counts",
        ),
        (
            with_changes(current__bin_edges=[None, 0, 11, None]),
            "features[2].current.bin_edges",
            "identical edges",
        ),
        (
            with_changes(current__counts=[1, 2]),
            "features[2].current.counts",
            "one count per bin",
        ),
        (
            with_changes(current__counts=[1, -2, 3]),
            "features[2].current.counts",
            "is negative",
        ),
        (
            with_changes(current__counts=[1, 2.5, 3]),
            "features[2].current.counts",
            "whole number",
        ),
        (
            with_changes(current__counts=[1, math.nan, 3]),
            "features[2].current.counts",
            "not finite",
        ),
        (
            with_changes(current__counts=[1, "2", 3]),
            "features[2].current.counts",
            "is text",
        ),
        (
            with_changes(reference__bin_edges=[None, 10, 0, None]),
            "features[2].reference.bin_edges",
            "increase strictly",
        ),
        (
            with_changes(reference__bin_edges=[0, None, 10, 20]),
            "features[2].reference.bin_edges",
            "only the first and last edge may be null",
        ),
        (
            with_changes(reference__bin_edges=[None, None]),
            "features[2].reference.bin_edges",
            "one finite edge",
        ),
        (
            with_changes(current={"values": [1, 2, 3]}),
            "features[2].current",
            "same form",
        ),
        (
            with_changes(kind="categorical"),
            "features[2].reference.bin_edges",
            "numeric feature",
        ),
        (
            with_changes(reference={"values": [1, "two", 3]}, current={"values": [1]}),
            "features[2].reference.values",
            "Item 1 ('two') is text",
        ),
        (
            with_changes(reference={"values": [1, True]}, current={"values": [1]}),
            "features[2].reference.values",
            "is a boolean",
        ),
        (
            with_changes(reference={"values": "1,2,3"}, current={"values": [1]}),
            "features[2].reference.values",
            "must be a list",
        ),
        (
            with_changes(
                kind="numeric",
                reference={"categories": {"a": 1}},
                current={"categories": {"a": 1}},
            ),
            "features[2].reference.categories",
            "categorical feature",
        ),
        (
            with_changes(
                kind="categorical",
                method="ks",
                reference={"categories": {"a": 1}},
                current={"categories": {"a": 1}},
            ),
            "features[2].method",
            "compares ordered numbers",
        ),
        (
            with_changes(
                kind="categorical",
                reference={"categories": {"a": -1}},
                current={"categories": {"a": 1}},
            ),
            "features[2].reference.categories",
            "Count -1 for 'a' is negative",
        ),
        (
            with_changes(
                kind="categorical",
                reference={"values": ["a", ["b"]]},
                current={"values": ["a"]},
            ),
            "features[2].reference.values",
            "is a list",
        ),
    ],
)
def test_parse_feature_refuses_bad_payloads_naming_the_field(
    payload: dict[str, Any], field: str, words: str
) -> None:
    with pytest.raises(DriftInputError) as raised:
        parse_feature(payload, index=2)

    assert raised.value.field == field
    assert words in raised.value.message


def test_parse_feature_accepts_the_design_example() -> None:
    feature = parse_feature(valid_payload())

    assert feature.name == "income"
    assert feature.reference.edges.tolist() == [-math.inf, 0, 10, math.inf]  # type: ignore[union-attr]


def test_raw_values_above_the_cap_are_refused_as_too_large() -> None:
    payload = {
        "name": "age",
        "kind": "numeric",
        "reference": {"values": [1, 2, 3]},
        "current": {"values": [1, 2]},
    }

    with pytest.raises(DriftPayloadTooLargeError) as raised:
        parse_feature(payload, index=0, max_values=2)

    assert raised.value.field == "features[0].reference.values"
    assert "limit of 2" in raised.value.message


def test_parse_features_refuses_duplicate_names_and_empty_lists() -> None:
    with pytest.raises(DriftInputError, match="at least one feature"):
        parse_features([])
    with pytest.raises(DriftInputError) as raised:
        parse_features([valid_payload(), valid_payload()])

    assert raised.value.field == "features[1].name"


def test_compute_statistics_refuses_ordered_methods_for_categories() -> None:
    with pytest.raises(DriftInputError, match="compares ordered numbers"):
        compute_statistics(categorical(["a"], ["b"]), [WASSERSTEIN])


def test_analyse_feature_checks_features_built_in_code() -> None:
    feature = FeatureInput(
        name="x",
        kind=NUMERIC,
        reference=RawSample(np.array(["a"], dtype=object)),
        current=RawSample(np.array([1.0])),
    )

    with pytest.raises(DriftInputError, match="must be numbers"):
        analyse_feature(feature)


# --- severity and the report ------------------------------------------------------


@pytest.mark.parametrize(
    ("drifted", "psi", "severity"),
    [
        (False, 3.0, SEVERITY_OK),
        (True, 0.2499999, SEVERITY_WARNING),
        (True, 0.25, SEVERITY_CRITICAL),
        (True, None, SEVERITY_WARNING),
    ],
)
def test_severity_is_critical_from_psi_025_when_drifted(
    drifted: bool, psi: float | None, severity: str
) -> None:
    assert severity_for(drifted=drifted, psi=psi) == severity


def test_drifted_feature_with_small_psi_is_a_warning() -> None:
    # PSI 0.1·ln 1.2 + 0.1·ln 1.25 ≈ 0.0405, above the 0.04 threshold
    result = analyse_feature(
        category_counts(
            {"a": 50, "b": 50}, {"a": 60, "b": 40}, method=PSI, threshold=0.04
        )
    )

    assert (result.drifted, result.severity) == (True, SEVERITY_WARNING)


def test_drifted_feature_with_large_psi_is_critical() -> None:
    rng = np.random.default_rng(5)

    result = analyse_feature(numeric(rng.normal(0, 1, 3000), rng.normal(1, 1, 3000)))

    assert result.method == WASSERSTEIN
    assert result.psi is not None and result.psi >= 0.25
    assert (result.drifted, result.severity) == (True, SEVERITY_CRITICAL)


def test_worst_severity_orders_ok_warning_critical() -> None:
    assert worst_severity([]) == SEVERITY_OK
    assert worst_severity([SEVERITY_WARNING, SEVERITY_OK]) == SEVERITY_WARNING
    assert worst_severity([SEVERITY_WARNING, SEVERITY_CRITICAL]) == SEVERITY_CRITICAL


def feature_result(*, drifted: bool, evaluable: bool = True) -> FeatureResult:
    base = analyse_feature(numeric([1.0, 2.0], [1.0, 2.0]))
    severity = SEVERITY_WARNING if drifted else SEVERITY_OK
    return dataclasses.replace(
        base, drifted=drifted, evaluable=evaluable, severity=severity
    )


@pytest.mark.parametrize(
    ("drifted_flags", "share", "dataset_drift"),
    [
        ([True, True, False, False], 0.5, True),
        ([True, False, False], 1 / 3, False),
        ([True], 1.0, True),
        ([False], 0.0, False),
    ],
)
def test_dataset_drift_when_half_of_the_evaluable_features_drift(
    drifted_flags: list[bool], share: float, dataset_drift: bool
) -> None:
    results = [feature_result(drifted=flag) for flag in drifted_flags]

    summary = summarise_report(results)

    assert summary.drift_share == pytest.approx(share)
    assert summary.dataset_drift is dataset_drift
    assert summary.n_drifted == sum(drifted_flags)


def test_report_share_leaves_out_features_that_are_not_evaluable() -> None:
    results = [
        feature_result(drifted=True),
        feature_result(drifted=False),
        feature_result(drifted=False, evaluable=False),
        feature_result(drifted=False, evaluable=False),
    ]

    summary = summarise_report(results)

    assert (summary.n_features, summary.n_evaluable) == (4, 2)
    assert summary.drift_share == 0.5
    assert summary.dataset_drift
    assert summary.severity == SEVERITY_WARNING


def test_report_without_evaluable_features_has_no_drift() -> None:
    summary = summarise_report([feature_result(drifted=False, evaluable=False)])

    assert (summary.drift_share, summary.dataset_drift) == (0.0, False)


def test_report_uses_the_callers_dataset_drift_share() -> None:
    results = [feature_result(drifted=True)] + [feature_result(drifted=False)] * 2

    assert summarise_report(results, dataset_drift_share=0.3).dataset_drift
    with pytest.raises(DriftInputError):
        summarise_report(results, dataset_drift_share=1.5)


# --- JSON-safe results and compact charts ------------------------------------------


def test_results_are_json_safe_with_null_for_open_edges() -> None:
    result = analyse_feature(binned([None, 0, 10, None], [1, 2, 3], [3, 2, 1]))

    document = json.loads(json.dumps(result.to_dict(), allow_nan=False))

    assert document["reference_histogram"]["bin_edges"] == [None, 0.0, 10.0, None]
    assert all(
        type(document[name]) is float for name in ("threshold", "statistic", "psi")
    )


def test_numeric_charts_merge_adjacent_bins_down_to_thirty() -> None:
    edges = list(range(61))
    counts = [1] * 60

    result = analyse_feature(binned(edges, counts, counts))

    assert result.reference_histogram == {
        "bin_edges": [float(edge) for edge in range(0, 61, 2)],
        "counts": [2] * 30,
    }


def test_category_charts_keep_the_top_thirty_and_sum_the_rest() -> None:
    reference = {f"c{index:02d}": 100 - index for index in range(40)}
    current = {"c00": 5, "c39": 7}

    result = analyse_feature(category_counts(reference, current))

    reference_chart = result.reference_histogram["categories"]
    current_chart = result.current_histogram["categories"]
    assert len(reference_chart) == 31
    assert reference_chart[OTHER_CATEGORY] == sum(
        100 - index for index in range(30, 40)
    )
    assert current_chart["c00"] == 5
    assert current_chart[OTHER_CATEGORY] == 7


def test_analyse_features_on_threads_returns_the_serial_results_in_order() -> None:
    rng = np.random.default_rng(9)
    features = [
        numeric(rng.normal(0, 1, 2000), rng.normal(shift, 1, 2000))
        for shift in (0.0, 0.5, 1.0)
    ]

    threaded = analyse_features(features, max_workers=2)

    assert threaded == [analyse_feature(feature) for feature in features]


def test_compute_statistics_is_empty_when_not_evaluable() -> None:
    assert compute_statistics(numeric([None], [1.0, 2.0])) == {}
