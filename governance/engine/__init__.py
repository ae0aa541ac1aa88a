"""Policy evaluation engine: pure functions from plain values to verdicts.

Version submission, the deployment gate, reports and the what-if simulation all
call `evaluate`, so they can never disagree. Nothing here touches Django, the
database or the clock: callers pass `now`. Specs are immutable values; each
policy caches its validated rules on first use, so do not mutate their params.

The package, by subject: ``constants``, ``facts`` (``VersionFacts``), ``rules``
(the rule-kind registry and its evaluators), ``validation`` (rule parameters and
their schemas), ``specs`` (policies, rules and waivers as stored),
``evaluation`` (``evaluate`` and its results), ``readiness``,
``review_sla`` (when a review falls due) and ``wording`` (rules in words).
"""

from governance.engine.constants import (
    DRIFT_SEVERITIES,
    ENFORCEMENTS,
    MODEL_CARD_FIELDS,
    OPERATORS,
)
from governance.engine.evaluation import (
    PolicySet,
    RuleResult,
    Verdict,
    evaluate,
    policy_applies,
)
from governance.engine.facts import (
    NO_EVALUATION_RESULTS,
    EvaluationResultFact,
    MonitoredReport,
    VersionFacts,
)
from governance.engine.readiness import (
    OBLIGATIONS_WEIGHT,
    READINESS_WEIGHTS,
    ReadinessBreakdown,
    approvals_required,
    readiness_breakdown,
    readiness_score,
    readiness_weights,
    version_readiness,
)
from governance.engine.review_sla import (
    OverdueReview,
    ReviewClock,
    is_review_overdue,
    review_clock,
    review_due_at,
)
from governance.engine.rules import (
    RULE_KINDS,
    RuleKind,
    count_independent_approvals,
    format_number,
    worst_drift_severity,
)
from governance.engine.rules import RuleEvaluator as RuleEvaluator
from governance.engine.specs import PolicySpec, RuleSpec, WaiverSpec
from governance.engine.validation import (
    RuleParamsError,
    rule_param_schema,
    validate_rule,
)
from governance.engine.wording import RULE_EXAMPLES, describe_rule

__all__ = [
    "DRIFT_SEVERITIES",
    "ENFORCEMENTS",
    "MODEL_CARD_FIELDS",
    "NO_EVALUATION_RESULTS",
    "OBLIGATIONS_WEIGHT",
    "OPERATORS",
    "READINESS_WEIGHTS",
    "RULE_EXAMPLES",
    "RULE_KINDS",
    "EvaluationResultFact",
    "MonitoredReport",
    "OverdueReview",
    "PolicySet",
    "PolicySpec",
    "ReadinessBreakdown",
    "ReviewClock",
    "RuleKind",
    "RuleParamsError",
    "RuleResult",
    "RuleSpec",
    "Verdict",
    "VersionFacts",
    "WaiverSpec",
    "approvals_required",
    "count_independent_approvals",
    "describe_rule",
    "evaluate",
    "format_number",
    "is_review_overdue",
    "policy_applies",
    "readiness_breakdown",
    "readiness_score",
    "readiness_weights",
    "review_clock",
    "review_due_at",
    "rule_param_schema",
    "validate_rule",
    "version_readiness",
    "worst_drift_severity",
]
