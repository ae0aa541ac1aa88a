"""The inventory as CSV, streamed a batch of models at a time."""

import csv
import json
from collections.abc import Iterator

from django.http import StreamingHttpResponse
from django.utils import timezone
from django.views import View

from command_center import selectors
from command_center.portfolio import ModelRow
from command_center.views.access import RoleRequiredMixin
from compliance.engine import MET, PARTLY_MET, UNMET, FrameworkSpec
from compliance.selectors import enabled_frameworks
from drift.constants import ALERT_SEVERITIES
from registry.constants import PRODUCTION
from registry.models import UseCaseIntake
from registry.selectors import environment_names


class InventoryCSVView(RoleRequiredMixin, View):
    """The inventory as CSV, streamed a batch of models at a time."""

    def get(self, request, *args, **kwargs):
        environments = environment_names()
        today = timezone.now().date()
        response = StreamingHttpResponse(
            _csv_lines(environments, enabled_frameworks(), today),
            content_type="text/csv; charset=utf-8",
        )
        response["Content-Disposition"] = (
            f'attachment; filename="mlgov-inventory-{today:%Y-%m-%d}.csv"'
        )
        return response


class _Echo:
    def write(self, value: str) -> str:
        return value


CSV_HEADER = ["model", "display_name", "team", "owner", "risk_tier", "versions"]
CSV_TAIL = [
    "readiness_version",
    "readiness",
    "last_approval",
    "next_review_due",
    "review_overdue",
    f"{PRODUCTION}_failing_rules",
    f"{PRODUCTION}_failing_details",
    *(f"open_{severity}_alerts" for severity in ALERT_SEVERITIES),
    "exposure",
    "exposure_reason",
    "ai_act_category",
    "intake_answered",
    "intake_revision",
    "intake_answered_at",
    "intake_derived_category",
]
# Per enabled framework, after the tail: its applicable obligations by status.
COVERAGE_COLUMNS = (MET, PARTLY_MET, UNMET)


def _csv_lines(
    environments: list[str], frameworks: tuple[FrameworkSpec, ...], today
) -> Iterator[str]:
    """Per environment, the version a verdict speaks about ("v3 serving", "v5
    candidate") beside the verdict; readiness names its version too. Per
    enabled framework, the counts of its applicable obligations met, partly
    met and unmet (empty where it does not apply)."""
    writer = csv.writer(_Echo())
    yield writer.writerow(
        CSV_HEADER
        + [
            column
            for environment in environments
            for column in (f"{environment}_version", f"compliant_{environment}")
        ]
        + CSV_TAIL
        + [
            f"{framework.id}_{status}"
            for framework in frameworks
            for status in COVERAGE_COLUMNS
        ]
    )
    for row, intake in selectors.inventory_export_rows(frameworks=frameworks):
        exposure = row.exposure
        verdicts = []
        for environment in environments:
            found = row.compliance.get(environment)
            if found is None:
                verdicts += ["", ""]
            else:
                label = found.label
                if found.canary_label:
                    label = f"{label}; {found.canary_label}"
                verdicts += [label, "yes" if found.passed else "no"]
        yield writer.writerow(
            [
                _csv_safe(row.name),
                _csv_safe(row.display_name),
                _csv_safe(row.team),
                _csv_safe(row.owner),
                row.risk_tier,
                row.versions,
                *verdicts,
                row.readiness_label or "",
                "" if row.readiness is None else f"{row.readiness:.1f}",
                row.last_approved_at.isoformat() if row.last_approved_at else "",
                row.review_due.isoformat() if row.review_due else "",
                "yes" if row.is_overdue(today) else "no",
                *_failing_rules(row),
                *(row.open_alerts.get(severity, 0) for severity in ALERT_SEVERITIES),
                f"{exposure.score:.1f}",
                exposure.reason,
                row.ai_act_category,
                *_intake_cells(intake),
                *_coverage_cells(row, frameworks),
            ]
        )


def _intake_cells(intake: UseCaseIntake | None) -> tuple[str, str | int, str, str]:
    """Whether the use-case intake was answered, its current revision, when
    that revision was answered and the category it derived."""
    if intake is None:
        return "no", "", "", ""
    return (
        "yes",
        intake.revision,
        intake.answered_at.isoformat(),
        intake.derived_category,
    )


def _coverage_cells(
    row: ModelRow, frameworks: tuple[FrameworkSpec, ...]
) -> list[int | str]:
    cells: list[int | str] = []
    for framework in frameworks:
        counts = row.coverage_counts(framework.id)
        cells += (
            ["", "", ""]
            if counts is None
            else [counts.met, counts.partly_met, counts.unmet]
        )
    return cells


def _failing_rules(row: ModelRow) -> tuple[str, str]:
    """The enforced rules failing in production on the versions named in the
    production column ("; "-separated names), and their details as JSON: one
    object per failure with its version, policy, rule, kind and reason."""
    found = row.compliance.get(PRODUCTION)
    if found is None or not found.failures:
        return "", ""
    names = dict.fromkeys(failure.name for failure in found.failures)
    details = [
        {
            "version": failure.version,
            "policy": failure.policy,
            "rule": failure.rule,
            "kind": failure.kind,
            "reason": failure.reason,
        }
        for failure in found.failures
    ]
    return _csv_safe("; ".join(names)), _csv_safe(json.dumps(details))


def _csv_safe(value: str) -> str:
    """Neutralise spreadsheet formulas in free text (CSV injection)."""
    if value and value[0] in "=+-@\t\r":
        return "'" + value
    return value
