"""drift.stats.methods: each statistic against SciPy, PSI by hand, the method table."""

import math

import numpy as np
import pytest
from hypothesis import given
from scipy import stats
from scipy.spatial.distance import jensenshannon

from drift.stats import (
    CATEGORICAL,
    CHISQUARE,
    JENSENSHANNON,
    KS,
    NUMERIC,
    PSI,
    WASSERSTEIN,
    analyse_feature,
    compute_statistics,
    select_method,
)
from tests.drift.stats.builders import (
    FEW_EXAMPLES,
    binned,
    categorical,
    category_counts,
    category_samples,
    close,
    letter_counts,
    numeric,
    numeric_samples,
)

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
