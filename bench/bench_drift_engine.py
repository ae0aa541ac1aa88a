"""Benchmark the drift engine against calling SciPy directly.

Run by hand: ``python bench/bench_drift_engine.py [--size N] [--repeat R]``.

Ten numeric features with N values on each side (seeded; some shifted, one
with missing and infinite values, one with many ties). Each pass times, over
all ten features, serially and on two threads:

- ``analyse_feature``: the decision with the default method (wasserstein for
  n > 1000), PSI and the chart histograms (two threads: ``analyse_features``);
- ``compute_statistics``: all five statistics (ks, wasserstein, chisquare,
  jensenshannon, psi) from one cleaning and sorting;
- SciPy directly: ``ks_2samp``, ``wasserstein_distance`` (normed) and
  ``jensenshannon`` on Sturges histograms, after dropping missing values.

A first untimed pass warms up: on a fresh virtual machine the first touch of
memory costs far more than later passes, which would only measure the host.
"""

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats
from scipy.spatial.distance import jensenshannon

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from drift.stats import (
    FeatureInput,
    RawSample,
    analyse_feature,
    analyse_features,
    compute_statistics,
)


def make_features(size: int, seed: int) -> list[FeatureInput]:
    """Ten numeric features: some stable, some shifted, one with gaps, one tied."""
    rng = np.random.default_rng(seed)
    pairs = [
        (rng.normal(0, 1, size), rng.normal(0, 1, size)),
        (rng.normal(0, 1, size), rng.normal(0.05, 1, size)),
        (rng.normal(0, 1, size), rng.normal(0.5, 1, size)),
        (rng.normal(0, 1, size), rng.normal(0, 1.5, size)),
        (rng.lognormal(0, 1, size), rng.lognormal(0.2, 1, size)),
        (rng.exponential(2, size), rng.exponential(2.5, size)),
        (rng.uniform(0, 10, size), rng.uniform(1, 11, size)),
        (rng.gamma(2, 2, size), rng.gamma(2, 2, size)),
        (np.round(rng.normal(50, 10, size)), np.round(rng.normal(52, 10, size))),
        (rng.normal(0, 1, size), rng.normal(0.2, 1, size)),
    ]
    reference, current = pairs[-1]
    reference[rng.random(size) < 0.01] = np.nan
    current[rng.random(size) < 0.02] = np.inf
    return [
        FeatureInput(f"f{index}", "numeric", RawSample(ref), RawSample(cur))
        for index, (ref, cur) in enumerate(pairs)
    ]


def scipy_statistics(feature: FeatureInput) -> dict[str, float]:
    """The same statistics computed by calling SciPy directly."""
    assert isinstance(feature.reference, RawSample)
    assert isinstance(feature.current, RawSample)
    reference = feature.reference.values[np.isfinite(feature.reference.values)]
    current = feature.current.values[np.isfinite(feature.current.values)]
    ks = stats.ks_2samp(reference, current)
    wasserstein = stats.wasserstein_distance(reference, current) / max(
        np.std(reference), 0.001
    )
    edges = np.histogram_bin_edges(np.concatenate((reference, current)), "sturges")
    reference_counts = np.histogram(reference, edges)[0]
    current_counts = np.histogram(current, edges)[0]
    distance = jensenshannon(
        reference_counts / reference.size, current_counts / current.size
    )
    return {
        "ks": float(ks.statistic),
        "ks_p_value": float(ks.pvalue),
        "wasserstein": float(wasserstein),
        "jensenshannon": float(distance),
    }


Runner = Callable[[list[FeatureInput]], list[Any]]


def serially(run: Callable[[FeatureInput], Any]) -> Runner:
    """Run over the features one after the other."""
    return lambda features: [run(feature) for feature in features]


def on_threads(run: Callable[[FeatureInput], Any], workers: int) -> Runner:
    """Run over the features on a pool of threads."""

    def run_all(features: list[FeatureInput]) -> list[Any]:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            return list(pool.map(run, features))

    return run_all


def time_passes(
    run_all: Runner, features: list[FeatureInput], repeat: int
) -> tuple[list[float], list[Any]]:
    """Seconds per pass over all features after one warm-up pass, and the outputs."""
    outputs = run_all(features)
    seconds = []
    for _ in range(repeat):
        started = time.perf_counter()
        outputs = run_all(features)
        seconds.append(time.perf_counter() - started)
    return seconds, outputs


def main() -> None:
    """Run the benchmark and print the timings and the largest disagreement."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20261101)
    options = parser.parse_args()

    features = make_features(options.size, options.seed)
    runs: dict[str, Runner] = {
        "engine analyse_feature, serial": serially(analyse_feature),
        "engine analyse_features, 2 threads": lambda features: analyse_features(
            features, max_workers=2
        ),
        "engine compute_statistics (5 statistics), serial": serially(
            compute_statistics
        ),
        "engine compute_statistics (5 statistics), 2 threads": on_threads(
            compute_statistics, 2
        ),
        "SciPy direct, serial": serially(scipy_statistics),
        "SciPy direct, 2 threads": on_threads(scipy_statistics, 2),
    }
    print(
        f"{len(features)} numeric features x {options.size:,} values per side; "
        f"seconds per pass over all features, {options.repeat} passes after a "
        "warm-up pass"
    )
    outputs: dict[str, list[Any]] = {}
    for label, run_all in runs.items():
        seconds, outputs[label] = time_passes(run_all, features, options.repeat)
        print(
            f"  {label:52s} best {min(seconds):6.3f}  "
            f"median {statistics.median(seconds):6.3f}"
        )

    engine = outputs["engine compute_statistics (5 statistics), serial"]
    direct = outputs["SciPy direct, serial"]
    worst = max(
        abs(ours[method].statistic - theirs[method])
        for ours, theirs in zip(engine, direct, strict=True)
        for method in ("ks", "wasserstein", "jensenshannon")
    )
    worst_p = max(
        abs(ours["ks"].p_value - theirs["ks_p_value"])
        for ours, theirs in zip(engine, direct, strict=True)
    )
    print(f"  largest difference from SciPy: {worst:.3g}, KS p-values {worst_p:.3g}")
    for result in outputs["engine analyse_feature, serial"]:
        print(
            f"    {result.feature}: {result.method} {result.statistic:.4f}, "
            f"psi {result.psi:.4f}, {result.severity}, excluded {result.excluded}"
        )


if __name__ == "__main__":
    main()
