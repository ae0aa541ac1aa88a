from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "registry"
    verbose_name = "Model registry"

    def ready(self) -> None:
        from mlgov.demo import register_demo_step
        from registry.demo import seed_registry_demo

        register_demo_step("registry", seed_registry_demo)
