from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "registry"
    verbose_name = "Model registry"

    def ready(self) -> None:
        from mlgov.metrics import register_state_collector
        from registry.metrics import InventoryCollector

        register_state_collector("registry.inventory", InventoryCollector())
