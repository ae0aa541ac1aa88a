"""The monitoring vocabulary beyond drift, defined once: pure names, no Django.

The engine, the models' choices, the governance rule kinds and the pages all
read these."""

PERFORMANCE = "performance"
FAIRNESS = "fairness"
REPORT_KINDS: tuple[str, ...] = (PERFORMANCE, FAIRNESS)

AUC = "auc"
ACCURACY = "accuracy"
PRECISION = "precision"
RECALL = "recall"
F1 = "f1"
ECE = "ece"
# Higher is better for every one but ece (an error).
PERFORMANCE_METRICS: tuple[str, ...] = (AUC, ACCURACY, PRECISION, RECALL, F1, ECE)

DEMOGRAPHIC_PARITY_DIFFERENCE = "demographic_parity_difference"
EQUAL_OPPORTUNITY_DIFFERENCE = "equal_opportunity_difference"
DISPARATE_IMPACT_RATIO = "disparate_impact_ratio"
EQUAL_OPPORTUNITY_RATIO = "equal_opportunity_ratio"
FAIRNESS_METRICS: tuple[str, ...] = (
    DEMOGRAPHIC_PARITY_DIFFERENCE,
    EQUAL_OPPORTUNITY_DIFFERENCE,
    DISPARATE_IMPACT_RATIO,
    EQUAL_OPPORTUNITY_RATIO,
)
MONITORED_METRICS: tuple[str, ...] = PERFORMANCE_METRICS + FAIRNESS_METRICS
# Metrics where a larger value is worse: an alert fires above the limit.
LOWER_IS_BETTER: frozenset[str] = frozenset(
    {ECE, DEMOGRAPHIC_PARITY_DIFFERENCE, EQUAL_OPPORTUNITY_DIFFERENCE}
)

# The four-fifths rule: a group selected at under 80 % of the reference
# group's rate is adversely impacted.
FOUR_FIFTHS = 0.8

# How AUC was computed.
AUC_EXACT = "exact"
AUC_BINNED = "binned"

# Reference group choice.
MOST_FAVOURED = "most_favoured"
NAMED = "named"

ECE_BINS = 10
DEFAULT_DECISION_THRESHOLD = 0.5
