"""drift.stats.results: JSON-safe results and compact charts."""

import json

import numpy as np

from drift.stats import (
    OTHER_CATEGORY,
    analyse_feature,
    analyse_features,
    compute_statistics,
)
from tests.drift.stats.builders import (
    binned,
    category_counts,
    numeric,
)

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
