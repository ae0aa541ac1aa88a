"""The registry's gauges for Prometheus, read from the database at scrape time."""

from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from registry.selectors import inventory_counts_by_risk_tier


class InventoryCollector(Collector):
    """mlgov_models_in_inventory: right however many workers changed models."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        inventory = GaugeMetricFamily(
            "mlgov_models_in_inventory",
            "Models in the inventory (not archived), by risk tier.",
            labels=["risk_tier"],
        )
        for tier, count in inventory_counts_by_risk_tier().items():
            inventory.add_metric([tier], count)
        yield inventory
