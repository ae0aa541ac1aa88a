"""drift.stats.preparation: cleaning the samples, and the edge cases."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats
from scipy.spatial.distance import jensenshannon

from drift.stats import (
    CATEGORICAL,
    CHISQUARE,
    JENSENSHANNON,
    KS,
    PSI,
    SEVERITY_OK,
    WASSERSTEIN,
    FeatureInput,
    analyse_feature,
    compute_statistics,
)
from tests.drift.stats.builders import (
    FEW_EXAMPLES,
    binned,
    categorical,
    category_counts,
    close,
    numeric,
)

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
