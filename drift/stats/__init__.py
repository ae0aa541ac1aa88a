"""Drift statistics engine: per-feature drift tests and the report roll-up.

Pure computation for DESIGN.md §5: plain values and NumPy arrays in, frozen
dataclasses out; no Django, no I/O. ``parse_feature`` turns one JSON feature
into a checked ``FeatureInput`` (or raises ``DriftInputError`` naming the
field), ``analyse_feature`` decides drift for it (``analyse_features`` for a
whole report, optionally on several threads), ``compute_statistics`` gives
every statistic at once, and ``summarise_report`` rolls the results up.

Choices the design leaves open:

- A side with nothing in it (``{}``, or none of ``values``, ``bin_edges`` with
  ``counts``, ``categories``) is refused. A side with no usable observations
  (``values: []``, only missing values, zero counts, ``categories: {}``) makes
  the feature not evaluable instead.
- A threshold must come with the method it is for: 0.05 is a p-value for ks
  and chisquare but a distance for wasserstein, jensenshannon and psi. A
  p-value threshold is at most 1.
- Categories are compared by label: strings as given, booleans as "true" and
  "false", numbers in their shortest form, so 1, 1.0 and "1" are one category
  (JSON object keys are strings, so summaries can only name them that way).
- ks and wasserstein need ordered numbers: a declared categorical feature
  refuses them. A numeric feature that became categorical (at most 5 distinct
  values) still computes them on its numbers when the caller names them.
- Chi-square on numeric values uses the Jensen-Shannon bins. Bins empty on
  both sides are left out (the test is undefined for them); with fewer than
  two bins left there is nothing to compare: statistic 0, p-value 1.
- Binned numeric summaries stay numeric: their distinct values are unknown.
- PSI of a binned numeric summary is computed on its ``psi_bin_edges`` and
  ``psi_counts`` (the reference's deciles) when it sends them, so it equals
  the raw values' PSI; otherwise on its ``bin_edges``. The binning rules
  themselves (which bins, which labels, the deciles) are
  ``mlgov_client.binning``'s, the one writing the client's helpers call too.

Binned numeric summaries can only approximate ks and wasserstein; the result's
``approximation`` says which approximation was used:

- ``binned-midpoint`` (wasserstein): each bin's mass sits at its midpoint, an
  open outer bin's mass at its finite edge. The distance is normed by the
  standard deviation of the reference placed the same way.
- ``binned-cdf`` (ks): the statistic is the largest gap between the two
  cumulative bin proportions at the bin edges, the p-value SciPy's asymptotic
  one, ``kstwo.sf(D, round(n·m / (n + m)))`` as in ``ks_2samp(method="asymp")``.
  Bins hide differences inside them, so D never exceeds the raw-data
  statistic: this approximation errs towards "no drift".

The package, by subject: ``constants`` (kinds, methods, severities, limits),
``inputs`` (errors, input dataclasses, ``check_feature``), ``parsing`` (JSON to
``FeatureInput``), ``results`` (result dataclasses), ``preparation`` (cleaned
sides and shared bins), ``methods`` (the statistics and method selection) and
``analysis`` (``compute_statistics``, drift decisions, report roll-up, charts).
Import from ``drift.stats``; every public name is re-exported here.
"""

from drift.stats.analysis import (
    analyse_feature,
    analyse_features,
    compute_statistics,
    is_drifted,
    severity_for,
    summarise_report,
    worst_severity,
)
from drift.stats.constants import (
    BINNED_CDF,
    BINNED_MIDPOINT,
    CATEGORICAL,
    CATEGORICAL_MAX_DISTINCT,
    CHART_MAX_BINS,
    CHART_MAX_CATEGORIES,
    CHISQUARE,
    DEFAULT_DATASET_DRIFT_SHARE,
    DEFAULT_THRESHOLDS,
    JENSENSHANNON,
    KINDS,
    KS,
    KS_EXACT_MAX_N,
    MAX_MAGNITUDE,
    METHODS,
    NUMERIC,
    ORDERED_METHODS,
    OTHER_CATEGORY,
    P_VALUE_METHODS,
    PSI,
    PSI_CRITICAL,
    PSI_FLOOR,
    SEVERITY_CRITICAL,
    SEVERITY_OK,
    SEVERITY_ORDER,
    SEVERITY_WARNING,
    SMALL_SAMPLE_MAX,
    STD_FLOOR,
    VALUE_BINS_MAX_DISTINCT,
    WASSERSTEIN,
    Histogram,
    ListLike,
)
from drift.stats.inputs import (
    BinnedSample,
    CategoryCounts,
    DriftInputError,
    DriftPayloadTooLargeError,
    FeatureInput,
    RawSample,
    Sample,
    check_feature,
)
from drift.stats.methods import select_method, supported_methods
from drift.stats.parsing import parse_feature, parse_features
from drift.stats.results import FeatureResult, ReportSummary, Statistic

__all__ = [
    "BINNED_CDF",
    "BINNED_MIDPOINT",
    "CATEGORICAL",
    "CATEGORICAL_MAX_DISTINCT",
    "CHART_MAX_BINS",
    "CHART_MAX_CATEGORIES",
    "CHISQUARE",
    "DEFAULT_DATASET_DRIFT_SHARE",
    "DEFAULT_THRESHOLDS",
    "JENSENSHANNON",
    "KINDS",
    "KS",
    "KS_EXACT_MAX_N",
    "MAX_MAGNITUDE",
    "METHODS",
    "NUMERIC",
    "ORDERED_METHODS",
    "OTHER_CATEGORY",
    "PSI",
    "PSI_CRITICAL",
    "PSI_FLOOR",
    "P_VALUE_METHODS",
    "SEVERITY_CRITICAL",
    "SEVERITY_OK",
    "SEVERITY_ORDER",
    "SEVERITY_WARNING",
    "SMALL_SAMPLE_MAX",
    "STD_FLOOR",
    "VALUE_BINS_MAX_DISTINCT",
    "WASSERSTEIN",
    "BinnedSample",
    "CategoryCounts",
    "DriftInputError",
    "DriftPayloadTooLargeError",
    "FeatureInput",
    "FeatureResult",
    "Histogram",
    "ListLike",
    "RawSample",
    "ReportSummary",
    "Sample",
    "Statistic",
    "analyse_feature",
    "analyse_features",
    "check_feature",
    "compute_statistics",
    "is_drifted",
    "parse_feature",
    "parse_features",
    "select_method",
    "severity_for",
    "summarise_report",
    "supported_methods",
    "worst_severity",
]
