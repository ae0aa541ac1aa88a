"""The review page's forms: decide, comment, assign a reviewer, waive a
failing rule. They check the shape of the input; the governance services
decide whether the change is allowed (and the page shows their refusal on
the field it names)."""

from collections.abc import Sequence
from typing import Any

from django import forms

from command_center.selectors.reviews import FailingRule
from command_center.templatetags.command_center import label
from governance.constants import VERSION_COMMENT_MAX_CHARS


class ApproveForm(forms.Form):
    """Approve: one click, a note for the record if the reviewer wants one."""

    comment = forms.CharField(
        required=False,
        max_length=VERSION_COMMENT_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 2, "id": "approve-comment"}),
        label="Note (optional)",
    )


class RejectForm(forms.Form):
    """Reject: the reason is required, for the author and the audit trail."""

    comment = forms.CharField(
        max_length=VERSION_COMMENT_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 2, "id": "reject-comment"}),
        label="Reason",
        error_messages={"required": "Say why the version is rejected."},
    )


class CommentForm(forms.Form):
    body = forms.CharField(
        max_length=VERSION_COMMENT_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 3, "id": "comment-body"}),
        label="Comment",
        error_messages={"required": "Write the comment."},
    )


class AssignForm(forms.Form):
    """Choose one of the independent reviewers not yet assigned."""

    reviewer = forms.ChoiceField(
        label="Reviewer",
        widget=forms.Select(attrs={"id": "assign-reviewer"}),
        error_messages={
            "required": "Choose a reviewer.",
            "invalid_choice": "%(value)s is not an independent reviewer of this "
            "version; choose one from the list.",
        },
    )

    def __init__(self, *args: Any, reviewers: Sequence[str] = (), **kwargs: Any):
        super().__init__(*args, **kwargs)
        field = self.fields["reviewer"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "—"), *((name, name) for name in reviewers)]


def failing_rule_label(rule: FailingRule) -> str:
    """How the waiver form names a failing rule: policy, kind and reason."""
    advisory = " (advisory)" if rule.enforcement != "enforce" else ""
    return f"{rule.policy}{advisory} · {label(rule.kind)}: {rule.detail}"


class WaiverForm(forms.Form):
    """Excuse one of the version's failing rules, chosen by what it says."""

    rule = forms.ChoiceField(
        label="Failing rule",
        widget=forms.Select(attrs={"id": "waiver-rule"}),
        error_messages={
            "required": "Choose the failing rule to waive.",
            "invalid_choice": "That rule no longer fails for this version; "
            "choose one from the list.",
        },
    )
    justification = forms.CharField(
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3, "id": "waiver-justification"}),
        error_messages={"required": "Say why the exception is acceptable."},
    )
    expires_at = forms.DateTimeField(
        label="Expires at (UTC)",
        widget=forms.DateTimeInput(
            attrs={"type": "datetime-local", "id": "waiver-expires"},
            format="%Y-%m-%dT%H:%M",
        ),
        error_messages={
            "required": "Choose when the waiver ends.",
            "invalid": "Enter a date and time, e.g. 2027-01-31T12:00.",
        },
    )
    ticket = forms.CharField(
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"id": "waiver-ticket"}),
        label="Ticket (optional)",
    )

    def __init__(
        self, *args: Any, failing_rules: Sequence[FailingRule] = (), **kwargs: Any
    ):
        super().__init__(*args, **kwargs)
        self.failing_rules = {rule.key: rule for rule in failing_rules}
        field = self.fields["rule"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [
            ("", "—"),
            *((rule.key, failing_rule_label(rule)) for rule in failing_rules),
        ]

    @property
    def chosen_rule(self) -> FailingRule:
        """The failing rule chosen (valid form only)."""
        return self.failing_rules[self.cleaned_data["rule"]]
