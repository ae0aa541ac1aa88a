"""The inventory as CSV, streamed a batch of models at a time."""

import csv
from collections.abc import Iterator

from django.http import StreamingHttpResponse
from django.utils import timezone
from django.views import View

from command_center import selectors
from command_center.views.access import RoleRequiredMixin
from registry.selectors import environment_names


class InventoryCSVView(RoleRequiredMixin, View):
    """The inventory as CSV, streamed a batch of models at a time."""

    def get(self, request, *args, **kwargs):
        environments = environment_names()
        today = timezone.now().date()
        response = StreamingHttpResponse(
            _csv_lines(environments, today), content_type="text/csv; charset=utf-8"
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
]


def _csv_lines(environments: list[str], today) -> Iterator[str]:
    """Per environment, the version a verdict speaks about ("v3 serving", "v5
    candidate") beside the verdict; readiness names its version too."""
    writer = csv.writer(_Echo())
    yield writer.writerow(
        CSV_HEADER
        + [
            column
            for environment in environments
            for column in (f"{environment}_version", f"compliant_{environment}")
        ]
        + CSV_TAIL
    )
    for row in selectors.inventory_rows_in_batches():
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
            ]
        )


def _csv_safe(value: str) -> str:
    """Neutralise spreadsheet formulas in free text (CSV injection)."""
    if value and value[0] in "=+-@\t\r":
        return "'" + value
    return value
