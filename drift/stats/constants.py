"""Names of kinds, methods and severities, and the engine's numeric limits."""

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

import numpy as np

# Re-exported: the engine's modules read the severities from here.
from drift.constants import SEVERITIES
from drift.constants import SEVERITY_CRITICAL as SEVERITY_CRITICAL
from drift.constants import SEVERITY_OK as SEVERITY_OK
from drift.constants import SEVERITY_WARNING as SEVERITY_WARNING

# The binning rules' names and limits live with the rules (mlgov_client.binning).
from mlgov_client.binning import CATEGORICAL as CATEGORICAL
from mlgov_client.binning import CATEGORICAL_MAX_DISTINCT as CATEGORICAL_MAX_DISTINCT
from mlgov_client.binning import NUMERIC as NUMERIC
from mlgov_client.binning import VALUE_BINS_MAX_DISTINCT as VALUE_BINS_MAX_DISTINCT

KINDS = (NUMERIC, CATEGORICAL)

KS = "ks"
WASSERSTEIN = "wasserstein"
CHISQUARE = "chisquare"
JENSENSHANNON = "jensenshannon"
PSI = "psi"
METHODS = (KS, WASSERSTEIN, CHISQUARE, JENSENSHANNON, PSI)
P_VALUE_METHODS = frozenset({KS, CHISQUARE})
ORDERED_METHODS = frozenset({KS, WASSERSTEIN})
DEFAULT_THRESHOLDS: Mapping[str, float] = MappingProxyType(
    {KS: 0.05, CHISQUARE: 0.05, WASSERSTEIN: 0.1, JENSENSHANNON: 0.1, PSI: 0.2}
)

# The severities are the drift app's vocabulary (drift/constants.py).
SEVERITY_ORDER = SEVERITIES

SMALL_SAMPLE_MAX = 1000
KS_EXACT_MAX_N = 10_000
PSI_FLOOR = 1e-4
PSI_CRITICAL = 0.25
STD_FLOOR = 0.001
# Squares and spans of numbers beyond this overflow double precision in the
# variances and bin widths the methods compute, so such values are refused.
MAX_MAGNITUDE = 1e100
DEFAULT_DATASET_DRIFT_SHARE = 0.5
CHART_MAX_BINS = 30
CHART_MAX_CATEGORIES = 30
OTHER_CATEGORY = "__other__"

BINNED_MIDPOINT = "binned-midpoint"
BINNED_CDF = "binned-cdf"

Histogram = dict[str, Any]
ListLike = Sequence[Any] | np.ndarray
