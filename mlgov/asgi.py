"""ASGI entry point."""

import os

from django.core.asgi import get_asgi_application

from mlgov.startup import make_metrics_directory

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mlgov.settings")
make_metrics_directory()

application = get_asgi_application()
