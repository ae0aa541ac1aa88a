#!/usr/bin/env bash
# Set up and serve mlgov on 127.0.0.1 with the embedded defaults (SQLite, the
# local-memory cache) and the demo portfolio. PORT picks the port (8000).
source "$(dirname "$0")/bootstrap.sh"
bootstrap_requirements requirements.txt

# DEBUG off, so an error is the command center's own 404 or 500 page, never
# Django's debug page. Without DEBUG, WhiteNoise serves the collected files
# from STATIC_ROOT only, hence collectstatic.
export DEBUG="${DEBUG:-false}"

# Set-up is quiet (migrations at verbosity 0, logs at WARNING), so the demo's
# domain events do not bury the login line; the server then logs its JSON
# access events as usual.
# E-mail notifications print to the console of whoever sends them (`manage.py
# deliver_webhooks`, which this script does not start), never to a real
# mail server.
export EMAIL_BACKEND="${EMAIL_BACKEND:-django.core.mail.backends.console.EmailBackend}"

echo "mlgov: preparing the database and the demo portfolio…"
LOG_LEVEL=WARNING .venv/bin/python manage.py collectstatic --noinput --verbosity 0
LOG_LEVEL=WARNING .venv/bin/python manage.py migrate --noinput --verbosity 0
LOG_LEVEL=WARNING .venv/bin/python manage.py seed_demo
echo "mlgov: http://127.0.0.1:${PORT:-8000}/  (admin: /admin/, API docs: /api/docs/)"
exec .venv/bin/python manage.py runserver "127.0.0.1:${PORT:-8000}"
