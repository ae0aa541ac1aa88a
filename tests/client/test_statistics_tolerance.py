"""What the server concludes from the client's histograms against what it
concludes from the raw values (docs/integrations.md states these tolerances).

On the server's own bins, Jensen-Shannon and chi-square are the same number.
Wasserstein and KS can only be approximated from bins; on unimodal data
without heavy tails they stay within 10 % and 15 % of the raw statistic.
PSI is not compared: the server computes it on the bins it is given, not on
reference deciles (docs/decisions.md, 2026-12-04)."""

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

        for method in ("jensenshannon", "chisquare"):
            assert actual[method].statistic == pytest.approx(
                expected[method].statistic, rel=1e-9
            )
        assert actual["wasserstein"].statistic == pytest.approx(
            expected["wasserstein"].statistic, rel=0.10
        )
        assert actual["ks"].statistic == pytest.approx(
            expected["ks"].statistic, rel=0.15
        )
        assert analyse_feature(binned).drifted == analyse_feature(raw).drifted
