"""The top navigation, by role."""

from django.http import HttpRequest
from django.urls import reverse

from mlgov.permissions import (
    can_administer_governance,
    can_assign_reviewers,
    can_read_audit_trail,
    can_read_inventory,
    can_review,
    can_run_simulations,
)


def navigation(request: HttpRequest) -> dict:
    """Links the signed-in user may follow, and the current section."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not can_read_inventory(user):
        return {
            "nav_links": [],
            "nav_admin": bool(user and user.is_active and user.is_staff),
        }
    links = [
        ("overview", "Overview", reverse("command_center:overview")),
        ("models", "Models", reverse("command_center:model-list")),
        ("drift", "Drift", reverse("command_center:alert-list")),
        (
            "monitoring",
            "Monitoring",
            reverse("command_center:monitoring-alert-list"),
        ),
        ("deployments", "Deployments", reverse("command_center:deployment-list")),
        ("policies", "Policies", reverse("command_center:policy-list")),
    ]
    if can_review(user) or can_assign_reviewers(user):
        links.append(("reviews", "Reviews", reverse("command_center:review-list")))
    if can_administer_governance(user):
        links.append(
            (
                "risk-classes",
                "Risk classes",
                reverse("command_center:risk-class-change-list"),
            )
        )
    if can_run_simulations(user):
        links.append(("simulation", "Simulation", reverse("command_center:simulation")))
    if can_read_audit_trail(user):
        links.append(("audit", "Audit", reverse("command_center:audit")))
    return {"nav_links": links, "nav_admin": user.is_staff}
