from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "registry"
    verbose_name = "Model registry"

    def ready(self) -> None:
        from mlgov.demo import register_demo_step
        from mlgov.metrics import register_state_collector
        from registry.demo import seed_registry_demo
        from registry.metrics import InventoryCollector

        register_state_collector("registry.inventory", InventoryCollector())
        register_demo_step("registry", seed_registry_demo)
