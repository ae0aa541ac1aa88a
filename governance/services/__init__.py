"""Every state change of governance, by subject."""

from governance.services.assignments import (
    assign_reviewer,
)
from governance.services.comments import add_comment
from governance.services.evaluations import (
    evaluate_version,
    record_evaluation,
    store_verdict,
)
from governance.services.policies import (
    apply_policy_documents,
    create_policy,
    delete_policy,
    export_policy_documents,
    known_environment_names,
    update_policy,
)
from governance.services.reviews import (
    approve_version,
    reject_version,
    settle_review,
    submit_for_review,
)
from governance.services.simulations import (
    SavedRun,
    active_deployments_now,
    register_active_deployments,
    register_simulation_store,
    run_simulation,
    save_simulation_run,
)
from governance.services.waivers import check_waiver_grant, grant_waiver, revoke_waiver

__all__ = [
    "SavedRun",
    "active_deployments_now",
    "add_comment",
    "apply_policy_documents",
    "approve_version",
    "assign_reviewer",
    "check_waiver_grant",
    "create_policy",
    "delete_policy",
    "evaluate_version",
    "export_policy_documents",
    "grant_waiver",
    "known_environment_names",
    "record_evaluation",
    "register_active_deployments",
    "register_simulation_store",
    "reject_version",
    "revoke_waiver",
    "run_simulation",
    "save_simulation_run",
    "settle_review",
    "store_verdict",
    "submit_for_review",
    "update_policy",
]
