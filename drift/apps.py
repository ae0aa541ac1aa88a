from django.apps import AppConfig


class DriftConfig(AppConfig):
    name = "drift"
    verbose_name = "Drift detection"

    def ready(self) -> None:
        from drift.demo import seed_drift_demo
        from mlgov.demo import register_demo_step

        register_demo_step("drift", seed_drift_demo)
