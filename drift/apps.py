from django.apps import AppConfig


class DriftConfig(AppConfig):
    name = "drift"
    verbose_name = "Drift detection"

    def ready(self) -> None:
        from drift.metrics import OpenDriftAlertsCollector
        from mlgov.metrics import register_state_collector

        register_state_collector("drift.open_alerts", OpenDriftAlertsCollector())
