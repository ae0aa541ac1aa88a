from django.apps import AppConfig


class DeploymentsConfig(AppConfig):
    name = "deployments"
    verbose_name = "Deployment control"

    def ready(self) -> None:
        from deployments.demo import (
            seed_deployments_demo,
            seed_serving_drift_demo,
            seed_serving_monitoring_demo,
        )
        from deployments.selectors import active_deployment_pairs
        from governance.services import register_active_deployments
        from mlgov.demo import register_demo_step

        register_active_deployments(active_deployment_pairs)
        register_demo_step("deployments", seed_deployments_demo)
        register_demo_step("drift", seed_serving_drift_demo)
        register_demo_step("monitoring", seed_serving_monitoring_demo)
        _register_sealed_records()


# The guards deployments migrations 0002 and 0004 install, as verify_audit
# looks for them.
_GUARDS = {
    "postgresql": [
        "deployments_gatedecision_append_only ON deployments_gatedecision",
        "deployments_deploymentstep_append_only ON deployments_deploymentstep",
        "deployments_moverefusal_append_only ON deployments_moverefusal",
        "deployments_deployment_no_delete ON deployments_deployment",
        "deployments_deployment_guard ON deployments_deployment",
    ],
    "sqlite": [
        "deployments_gatedecision_no_update",
        "deployments_gatedecision_no_delete",
        "deployments_deploymentstep_no_update",
        "deployments_deploymentstep_no_delete",
        "deployments_moverefusal_no_update",
        "deployments_moverefusal_no_delete",
        "deployments_deployment_no_delete",
        "deployments_deployment_requested",
        "deployments_deployment_moves",
    ],
}


def _register_sealed_records() -> None:
    from deployments.models import Deployment, DeploymentStep, GateDecision, MoveRefusal
    from deployments.selectors import deployments_off_their_records
    from mlgov.sealed_records import (
        register_guard_triggers,
        register_record_check,
        register_sealed_records,
    )

    def check_deployments(using: str) -> tuple[int, list[str]]:
        return Deployment.objects.using(using).count(), [
            f"deployment {row.pk} says {row.status} at {row.traffic_percent} %, "
            f"its sealed records {row.expected_status} at {row.expected_traffic} "
            "% (or it differs from its gate decision): it was changed behind the "
            "application's back"
            for row in deployments_off_their_records(using=using)
        ]

    register_sealed_records(GateDecision, noun="gate decision")
    register_sealed_records(DeploymentStep, noun="deployment step")
    register_sealed_records(MoveRefusal, noun="refused move")
    register_record_check("deployment", check_deployments)
    register_guard_triggers(_GUARDS)
