from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    name = "governance"
    verbose_name = "Governance"

    def ready(self) -> None:
        from governance.demo import seed_governance_demo
        from mlgov.demo import register_demo_step

        register_demo_step("governance", seed_governance_demo)
