#!/usr/bin/env bash
# Set up and run the test suite. With DATABASE_URL and REDIS_URL set it runs
# against PostgreSQL and Redis; without, on the embedded SQLite defaults.
# Extra arguments go to pytest.
source "$(dirname "$0")/bootstrap.sh"
bootstrap_requirements requirements-dev.txt

exec .venv/bin/python -m pytest "$@"
