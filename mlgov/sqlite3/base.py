"""mlgov's SQLite backend: django-prometheus's instrumented one, which makes
the database file's directory when it first connects (settings only name it:
importing them must leave the filesystem alone)."""

from pathlib import Path
from typing import Any

from django_prometheus.db.backends.sqlite3.base import (
    DatabaseWrapper as InstrumentedDatabaseWrapper,
)


class DatabaseWrapper(InstrumentedDatabaseWrapper):
    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        database = str(conn_params["database"])
        # A "file:" URI names its path only inside the URI; leave it alone.
        if not self.is_in_memory_db() and not database.startswith("file:"):
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        return super().get_new_connection(conn_params)
