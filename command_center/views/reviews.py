"""The reviewers' workspace: the queue, one version's review page, and the
actions taken on it. Each action validates its form, calls one governance
service, says what happened in a message and goes back to the page; a
refusal naming a field is shown on that field instead."""

from datetime import timedelta

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from rest_framework import serializers

from command_center.filters import ReviewQueueFilter
from command_center.review_forms import (
    ApproveForm,
    AssignForm,
    CommentForm,
    RejectForm,
    WaiverForm,
    failing_rule_label,
)
from command_center.selectors.reviews import ReviewPage, review_page, review_queue
from command_center.views.access import (
    RolePage,
    acting_user,
    invalid_filters_page,
    page_of,
    query_without,
)
from governance import services
from governance.selectors import policy_by_name, reviewer_by_username
from mlgov.exceptions import DomainError, FieldError, NotFoundError
from mlgov.permissions import (
    can_assign_reviewers,
    can_read_technical_documentation,
    can_review,
)


def may_use_the_workspace(user) -> bool:
    """Reviewers decide and governance admins assign: both see the queue."""
    return can_review(user) or can_assign_reviewers(user)


class ReviewQueueView(RolePage):
    """Versions in review the signed-in reviewer may decide, due first."""

    template_name = "command_center/review_list.html"
    section = "reviews"

    def has_role(self, user) -> bool:
        return may_use_the_workspace(user)

    def get(self, request, *args, **kwargs):
        context = self.get_context_data(**kwargs)
        try:
            filters = ReviewQueueFilter.from_get(request)
        except (FieldError, serializers.ValidationError) as error:
            return invalid_filters_page(request, error, self.template_name, context)
        rows = review_queue(
            user=acting_user(request), assigned_only=filters.get("assigned") == "me"
        )
        context.update(
            page=page_of(request, rows, filters),
            total=len(rows),
            overdue=sum(row.clock.overdue for row in rows),
            filters=filters,
            query=query_without(request, "page"),
        )
        return self.render_to_response(context)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("filters", {})
        return context


class ReviewPageMixin(RolePage):
    """Reads one version's review page; anyone who may read the inventory
    opens it, and sees the forms their role allows."""

    template_name = "command_center/review_detail.html"
    section = "reviews"

    def review(self) -> ReviewPage:
        try:
            return review_page(
                name=self.kwargs["name"],
                number=self.kwargs["number"],
                user=acting_user(self.request),
            )
        except NotFoundError as error:
            raise Http404(str(error)) from error

    def page_context(self, page: ReviewPage, **forms) -> dict:
        context = self.get_context_data(**self.kwargs)
        defaults = {
            "approve_form": ApproveForm(),
            "reject_form": RejectForm(),
            "comment_form": CommentForm(),
            "assign_form": AssignForm(reviewers=page.assignable),
            "waiver_form": WaiverForm(
                failing_rules=page.failing_rules,
                initial={
                    "expires_at": (timezone.now() + timedelta(days=30)).replace(
                        second=0, microsecond=0
                    )
                },
            ),
        }
        context.update(
            page=page,
            version=page.version,
            model=page.version.model,
            can_read_documentation=can_read_technical_documentation(
                self.request.user, page.version.model
            ),
            **{**defaults, **forms},
        )
        return context


class ReviewDetailView(ReviewPageMixin):
    """The evaluation and its reasons, the evidence, the thread and the
    actions, for one version."""

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self.page_context(self.review()))


class ReviewActionView(ReviewPageMixin):
    """A POST-only action on the review page."""

    http_method_names = ["post"]
    form_name = ""

    def back(self) -> HttpResponse:
        return redirect(
            "command_center:review-detail",
            name=self.kwargs["name"],
            number=self.kwargs["number"],
        )

    def refused(self, page: ReviewPage, form, error: DomainError) -> HttpResponse:
        """Show a refusal on the field it names, else as a message."""
        if isinstance(error, FieldError) and error.field in form.fields:
            form.add_error(error.field, error.details[error.field][0])
            return self.invalid(page, form)
        messages.error(self.request, error.message)
        return self.back()

    def invalid(self, page: ReviewPage, form) -> HttpResponse:
        context = self.page_context(page, **{self.form_name: form})
        return self.render_to_response(context, status=400)


class ApproveView(ReviewActionView):
    form_name = "approve_form"

    def post(self, request, *args, **kwargs):
        page = self.review()
        form = ApproveForm(request.POST)
        if not form.is_valid():
            return self.invalid(page, form)
        try:
            services.approve_version(
                version=page.version,
                reviewer=acting_user(request),
                comment=form.cleaned_data["comment"],
            )
        except DomainError as error:
            return self.refused(page, form, error)
        page.version.refresh_from_db(fields=["status"])
        messages.success(
            request,
            f"You approved {page.version}. It is now "
            f"{page.version.get_status_display().lower()}.",
        )
        return self.back()


class RejectView(ReviewActionView):
    form_name = "reject_form"

    def post(self, request, *args, **kwargs):
        page = self.review()
        form = RejectForm(request.POST)
        if not form.is_valid():
            return self.invalid(page, form)
        try:
            services.reject_version(
                version=page.version,
                reviewer=acting_user(request),
                comment=form.cleaned_data["comment"],
            )
        except DomainError as error:
            return self.refused(page, form, error)
        messages.success(request, f"You rejected {page.version}.")
        return self.back()


class CommentView(ReviewActionView):
    form_name = "comment_form"

    def post(self, request, *args, **kwargs):
        page = self.review()
        form = CommentForm(request.POST)
        if not form.is_valid():
            return self.invalid(page, form)
        try:
            services.add_comment(
                author=acting_user(request),
                version=page.version,
                body=form.cleaned_data["body"],
            )
        except DomainError as error:
            return self.refused(page, form, error)
        messages.success(request, "Your comment was added.")
        return self.back()


class AssignView(ReviewActionView):
    form_name = "assign_form"

    def post(self, request, *args, **kwargs):
        page = self.review()
        if not page.permissions.can_assign:
            messages.error(
                request,
                "Reviewers are assigned by governance admins, while the version "
                "is in review.",
            )
            return self.back()
        form = AssignForm(request.POST, reviewers=page.assignable)
        if not form.is_valid():
            return self.invalid(page, form)
        try:
            reviewer = reviewer_by_username(username=form.cleaned_data["reviewer"])
            services.assign_reviewer(
                actor=acting_user(request), version=page.version, reviewer=reviewer
            )
        except DomainError as error:
            return self.refused(page, form, error)
        messages.success(request, f"{reviewer} is asked to review {page.version}.")
        return self.back()


class WaiveView(ReviewActionView):
    form_name = "waiver_form"

    def post(self, request, *args, **kwargs):
        page = self.review()
        form = WaiverForm(request.POST, failing_rules=page.failing_rules)
        if not form.is_valid():
            return self.invalid(page, form)
        rule = form.chosen_rule
        try:
            services.grant_waiver(
                actor=acting_user(request),
                version=page.version,
                policy=policy_by_name(name=rule.policy),
                rule_position=rule.rule,
                justification=form.cleaned_data["justification"],
                expires_at=form.cleaned_data["expires_at"],
                ticket=form.cleaned_data["ticket"],
            )
        except DomainError as error:
            return self.refused(page, form, error)
        messages.success(
            request,
            f"Waiver granted for {page.version}: {failing_rule_label(rule)}.",
        )
        return self.back()
