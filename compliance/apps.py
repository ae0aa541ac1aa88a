"""Regulatory compliance: obligation frameworks (EU AI Act, NIST AI RMF,
ISO/IEC 42001) mapped to mlgov's evidence, coverage per model, and the
generated technical documentation (Annex IV)."""

from django.apps import AppConfig

# The guards compliance migration 0002_technical_document_append_only installs,
# as verify_audit looks for them.
_GUARDS = {
    "postgresql": [
        "compliance_technicaldocument_append_only ON compliance_technicaldocument"
    ],
    "sqlite": [
        "compliance_technicaldocument_no_update",
        "compliance_technicaldocument_no_delete",
    ],
}


class ComplianceConfig(AppConfig):
    name = "compliance"
    verbose_name = "Regulatory compliance"

    def ready(self) -> None:
        from django.core import checks

        from compliance.checks import check_framework_packs
        from compliance.demo import seed_compliance_demo
        from compliance.documentation.demo import seed_documentation_demo
        from mlgov.demo import register_demo_step
        from mlgov.sealed_records import register_guard_triggers

        register_guard_triggers(_GUARDS)
        register_demo_step("compliance", seed_compliance_demo)
        register_demo_step("technical documentation", seed_documentation_demo)
        checks.register(check_framework_packs)
