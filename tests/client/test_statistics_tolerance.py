"""What the server concludes from the client's histograms against what it
concludes from the raw values (docs/integrations.md states these tolerances).

On the server's own bins, Jensen-Shannon and chi-square are the same number.
Wasserstein and KS can only be approximated from bins; on unimodal data
without heavy tails they stay within 10 % and 15 % of the raw statistic.
PSI, and so severity, is the same number: the payload carries PSI's bins
(the reference's deciles, computed exactly by the client)."""

import numpy as np
import pytest

from drift.stats import analyse_feature, compute_statistics, parse_feature
from mlgov_client.histograms import feature_payload

SHAPES = {
    "normal": lambda rng, shift, scale, n: (
        rng.normal(0, 1, n),
        rng.normal(shift, scale, n),
    ),
    "uniform": lambda rng, shift, scale, n: (
        rng.uniform(0, 100, n),
        rng.uniform(10 * shift, 100 * scale + 10 * shift, n),
    ),
    "gamma": lambda rng, shift, scale, n: (
        rng.gamma(2, 2, n),
        rng.gamma(2 + shift, 2 * scale, n),
    ),
}


@pytest.mark.parametrize("shape", SHAPES)
def test_binned_statistics_stay_within_the_stated_tolerance(shape):
    rng = np.random.default_rng(len(shape))
    for _ in range(6):
        shift, scale = rng.uniform(0, 1), rng.uniform(0.8, 1.5)
        reference, current = SHAPES[shape](rng, shift, scale, 50_000)
        raw = parse_feature(
            {
                "name": "f",
                "kind": "numeric",
                "reference": {"values": reference},
                "current": {"values": current},
            }
        )
        binned = parse_feature(feature_payload("f", reference, current))

        expected, actual = compute_statistics(raw), compute_statistics(binned)

        for method in ("jensenshannon", "chisquare", "psi"):
            assert actual[method].statistic == pytest.approx(
                expected[method].statistic, rel=1e-9
            )
        assert actual["wasserstein"].statistic == pytest.approx(
            expected["wasserstein"].statistic, rel=0.10
        )
        assert actual["ks"].statistic == pytest.approx(
            expected["ks"].statistic, rel=0.15
        )
        binned_result, raw_result = analyse_feature(binned), analyse_feature(raw)
        assert binned_result.drifted == raw_result.drifted
        assert binned_result.psi == pytest.approx(raw_result.psi, rel=1e-9)
        assert binned_result.severity == raw_result.severity


def test_whole_numbers_shifted_past_the_reference_get_the_raw_psi():
    """The case that once read critical from a histogram and warning from raw
    values (tenure, 50 M-row bench): empty reference bins inflate PSI on the
    histogram's own bins, not on the deciles."""
    rng = np.random.default_rng(23)
    reference = np.floor(rng.uniform(0, 48, 200_000))
    current = np.floor(rng.uniform(0, 48, 150_000) + 3)
    raw = parse_feature(
        {
            "name": "tenure",
            "kind": "numeric",
            "reference": {"values": reference},
            "current": {"values": current},
        }
    )
    payload = feature_payload("tenure", reference, current)
    without_psi_bins = {
        **payload,
        **{
            side: {
                "bin_edges": payload[side]["bin_edges"],
                "counts": payload[side]["counts"],
            }
            for side in ("reference", "current")
        },
    }

    expected = analyse_feature(raw)
    actual = analyse_feature(parse_feature(payload))
    on_histogram_bins = analyse_feature(parse_feature(without_psi_bins))

    assert actual.psi == pytest.approx(expected.psi, rel=1e-9)
    assert actual.severity == expected.severity
    assert on_histogram_bins.psi > 2 * expected.psi
