from django.apps import AppConfig

# The guards registry migration 0009 installs, as verify_audit looks for them.
_GUARDS = {
    "postgresql": ["registry_usecaseintake_append_only ON registry_usecaseintake"],
    "sqlite": ["registry_usecaseintake_no_update", "registry_usecaseintake_no_delete"],
}


class RegistryConfig(AppConfig):
    name = "registry"
    verbose_name = "Model registry"

    def ready(self) -> None:
        from mlgov.demo import register_demo_step
        from mlgov.metrics import register_state_collector
        from mlgov.sealed_records import (
            register_guard_triggers,
            register_sealed_records,
        )
        from registry.demo import seed_registry_demo
        from registry.metrics import InventoryCollector
        from registry.models import UseCaseIntake

        register_state_collector("registry.inventory", InventoryCollector())
        register_demo_step("registry", seed_registry_demo)
        register_sealed_records(UseCaseIntake, noun="use-case intake")
        register_guard_triggers(_GUARDS)
