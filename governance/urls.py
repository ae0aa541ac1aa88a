from django.urls import path

from governance import api

app_name = "governance"

VERSION = "models/<slug:name>/versions/<int:number>/"

urlpatterns = [
    path(f"{VERSION}submit/", api.SubmitVersionView.as_view(), name="version-submit"),
    path(
        f"{VERSION}approve/", api.ApproveVersionView.as_view(), name="version-approve"
    ),
    path(f"{VERSION}reject/", api.RejectVersionView.as_view(), name="version-reject"),
    path(
        f"{VERSION}evaluation/",
        api.EvaluationView.as_view(),
        name="version-evaluation",
    ),
    path(
        f"{VERSION}approvals/",
        api.ApprovalListView.as_view(),
        name="version-approval-list",
    ),
    path(
        f"{VERSION}evaluations/",
        api.EvaluationListView.as_view(),
        name="version-evaluation-list",
    ),
    path(
        f"{VERSION}reviewers/",
        api.ReviewAssignmentListView.as_view(),
        name="version-reviewer-list",
    ),
    path(
        f"{VERSION}comments/",
        api.VersionCommentListView.as_view(),
        name="version-comment-list",
    ),
    path("policies/", api.PolicyListView.as_view(), name="policy-list"),
    path("policies/<int:pk>/", api.PolicyDetailView.as_view(), name="policy-detail"),
    path(
        "policies/<slug:name>/revisions/",
        api.PolicyRevisionListView.as_view(),
        name="policy-revision-list",
    ),
    path("waivers/", api.WaiverListView.as_view(), name="waiver-list"),
    path(
        "waivers/<int:pk>/revoke/", api.WaiverRevokeView.as_view(), name="waiver-revoke"
    ),
    path("simulations/", api.SimulationView.as_view(), name="simulation-run"),
]
