"""PSI's bins sent with a numeric summary: the server uses them for PSI, so
a histogram gives the PSI raw values give; malformed ones are refused
naming the field."""

from typing import Any

import numpy as np
import pytest

from drift.stats import DriftInputError, analyse_feature, parse_feature
from tests.drift.stats.builders import numeric

EDGES = [None, 0, 10, None]
PSI_EDGES = [None, 2, 5, 8, None]


def summary(**changes: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "name": "income",
        "kind": "numeric",
        "reference": {
            "bin_edges": EDGES,
            "counts": [1, 6, 3],
            "psi_bin_edges": PSI_EDGES,
            "psi_counts": [3, 2, 2, 3],
        },
        "current": {
            "bin_edges": EDGES,
            "counts": [0, 2, 8],
            "psi_bin_edges": PSI_EDGES,
            "psi_counts": [0, 1, 1, 8],
        },
    }
    for path, value in changes.items():
        side, field = path.split("__")
        if value is None:
            del payload[side][field]
        else:
            payload[side][field] = value
    return payload


def test_psi_is_computed_on_the_bins_sent_for_it():
    reference, current = np.array([3, 2, 2, 3]) / 10, np.array([0, 1, 1, 8]) / 10
    current = np.where(current == 0, 1e-4, current)
    expected = float(np.sum((current - reference) * np.log(current / reference)))

    result = analyse_feature(parse_feature({**summary(), "method": "psi"}))

    assert result.psi == pytest.approx(expected, rel=1e-12)
    assert result.statistic == result.psi
    assert result.bins == "given-deciles:4"


def test_without_psi_bins_psi_is_computed_on_the_histogram_bins():
    payload = summary(
        reference__psi_bin_edges=None,
        reference__psi_counts=None,
        current__psi_bin_edges=None,
        current__psi_counts=None,
    )

    result = analyse_feature(parse_feature({**payload, "method": "psi"}))

    assert result.bins == "given:3"


def test_a_histogram_with_the_reference_deciles_gives_the_raw_values_psi():
    rng = np.random.default_rng(3)
    reference = np.floor(rng.uniform(0, 48, 20_000))
    current = np.floor(rng.uniform(3, 51, 15_000))
    inner = np.unique(np.quantile(reference, np.arange(1, 10) / 10))
    psi_edges = [None, *inner.tolist(), None]
    edges = np.arange(0.0, 52.0)

    def side(values: np.ndarray) -> dict[str, Any]:
        bins = np.searchsorted(inner, values, side="right")
        return {
            "bin_edges": edges.tolist(),
            "counts": np.histogram(values, edges)[0].tolist(),
            "psi_bin_edges": psi_edges,
            "psi_counts": np.bincount(bins, minlength=inner.size + 1).tolist(),
        }

    from_raw = analyse_feature(numeric(reference, current))
    from_summary = analyse_feature(
        parse_feature(
            {
                "name": "x",
                "kind": "numeric",
                "reference": side(reference),
                "current": side(current),
            }
        )
    )

    assert from_summary.psi == pytest.approx(from_raw.psi, rel=1e-12)
    assert from_summary.severity == from_raw.severity


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"reference__psi_counts": None}, "features[0].reference.psi_counts"),
        ({"current__psi_bin_edges": None}, "features[0].current.psi_bin_edges"),
        (
            {"current__psi_bin_edges": None, "current__psi_counts": None},
            "features[0].current.psi_bin_edges",
        ),
        ({"reference__psi_counts": [3, 2, 5]}, "features[0].reference.psi_counts"),
        ({"current__psi_counts": [0, 1, 1, 9]}, "features[0].current.psi_counts"),
        ({"current__psi_counts": [0, 1, -1, 10]}, "features[0].current.psi_counts"),
        (
            {"current__psi_bin_edges": [None, 2, 5, 9, None]},
            "features[0].current.psi_bin_edges",
        ),
        (
            {"reference__psi_bin_edges": [None, 5, 2, 8, None]},
            "features[0].reference.psi_bin_edges",
        ),
        (
            {"reference__psi_bin_edges": "deciles"},
            "features[0].reference.psi_bin_edges",
        ),
    ],
)
def test_malformed_psi_bins_are_refused_naming_the_field(changes, field):
    with pytest.raises(DriftInputError) as caught:
        parse_feature(summary(**changes), index=0)

    assert caught.value.field == field


def test_psi_bins_belong_to_numeric_summaries_only():
    payload = {
        "name": "plan",
        "kind": "categorical",
        "reference": {"categories": {"a": 1}, "psi_counts": [1]},
        "current": {"categories": {"a": 1}},
    }

    with pytest.raises(DriftInputError) as caught:
        parse_feature(payload, index=0)

    assert caught.value.field == "features[0].reference"
