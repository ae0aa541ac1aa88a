"""The compliance app's admin: each area registers its own models."""

import compliance.documentation.admin  # noqa: F401  (registers its models)
