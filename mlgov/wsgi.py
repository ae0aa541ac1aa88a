"""WSGI entry point, used by gunicorn."""

import os
from importlib import import_module

from django.conf import settings
from django.core.wsgi import get_wsgi_application

from mlgov.startup import make_metrics_directory

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mlgov.settings")
make_metrics_directory()

application = get_wsgi_application()

# gunicorn preloads this module in its master and forks the workers from it.
# Django imports the URLconf, and with it every view, at the first request:
# a worker started later (recycled, or after a HUP) would import those from
# the files on disk while the rest of its code is the master's. Importing
# them here makes every worker the same code, and saves each the import.
import_module(settings.ROOT_URLCONF)
