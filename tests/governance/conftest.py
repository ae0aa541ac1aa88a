import pytest

from governance.documents import parse_policy_document
from governance.services import create_policy, known_environment_names


@pytest.fixture
def make_policy(governance_admin):
    """Store a policy from a document; scope and enforcement default to all/enforce."""

    def make(name, rules, *, enforcement="enforce", **scope):
        document = parse_policy_document(
            {
                "name": name,
                "enforcement": enforcement,
                "scope": {
                    "risk_tiers": scope.get("risk_tiers", []),
                    "environments": scope.get("environments", []),
                    "tags": scope.get("tags", []),
                },
                "rules": rules,
            },
            environments=known_environment_names(),
        )
        return create_policy(actor=governance_admin, document=document)

    return make


def auc_floor(value=0.8):
    return {
        "kind": "metric_threshold",
        "params": {"metric": "auc", "op": ">=", "value": value},
    }


def approvals(count):
    return {"kind": "min_approvals", "params": {"count": count}}
