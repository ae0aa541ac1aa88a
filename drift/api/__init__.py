"""Drift API, by subject: drift reports and alerts (``drift``), performance
and fairness reports and their alerts (``quality``)."""

from drift.api.drift import DriftAlertListFilter as DriftAlertListFilter
