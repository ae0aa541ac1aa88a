"""mlgov_client: mlgov's API for pipelines, and the `mlgov-gate` command.

    from mlgov_client import Client
    mlgov = Client("https://mlgov.example.com", token)
    for model in mlgov.models(risk_tier="high"):
        ...

The client needs only the standard library; the histogram helpers
(`mlgov_client.histograms`) need NumPy, and `mlgov_client.duckdb` DuckDB
(`pip install "mlgov[duckdb]"`). It imports nothing from the server.
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
