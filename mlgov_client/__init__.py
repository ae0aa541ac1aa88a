"""mlgov_client: mlgov's API for pipelines, and the `mlgov-gate` command.

    from mlgov_client import Client
    mlgov = Client("https://mlgov.example.com", token)
    for model in mlgov.models(risk_tier="high"):
        ...

The client needs only the standard library; the histogram helpers
(`mlgov_client.histograms`) need NumPy, `mlgov_client.duckdb_features`
DuckDB (`pip install "mlgov[duckdb]"`) and `mlgov_client.spark_features`
pyspark (`pip install "mlgov[spark]"`, and Java). It imports nothing from the
server; the server's drift engine imports its binning rules
(`mlgov_client.binning`).
"""

from mlgov_client.client import Client
from mlgov_client.errors import (
    ApiError,
    MlgovConnectionError,
    MlgovError,
    NotJsonError,
)
from mlgov_client.transport import RetryPolicy

__all__ = [
    "ApiError",
    "Client",
    "MlgovConnectionError",
    "MlgovError",
    "NotJsonError",
    "RetryPolicy",
]
