from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    name = "compliance"
    verbose_name = "Regulatory compliance"

    def ready(self) -> None:
        from django.core import checks

        from compliance.checks import check_framework_packs
        from compliance.demo import seed_compliance_demo
        from mlgov.demo import register_demo_step

        register_demo_step("compliance", seed_compliance_demo)
        checks.register(check_framework_packs)
