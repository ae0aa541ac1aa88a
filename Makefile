.PHONY: install run test lint fmt

install:
	python3 -m venv .venv
	.venv/bin/pip install -r requirements-dev.txt

run:
	scripts/run.sh

test:
	scripts/test.sh

lint:
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy
	.venv/bin/python manage.py makemigrations --check --dry-run

fmt:
	.venv/bin/ruff format .
	.venv/bin/ruff check --fix .
