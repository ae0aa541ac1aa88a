from django.apps import AppConfig


class DriftConfig(AppConfig):
    name = "drift"
    verbose_name = "Drift detection"

    def ready(self) -> None:
        from drift.demo import seed_drift_demo
        from drift.metrics import OpenDriftAlertsCollector
        from mlgov.demo import register_demo_step
        from mlgov.metrics import register_state_collector

        register_state_collector("drift.open_alerts", OpenDriftAlertsCollector())
        register_demo_step("drift", seed_drift_demo)
