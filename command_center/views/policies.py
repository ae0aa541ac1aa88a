"""The policy pages: the list, a policy in words with its revisions, the
editor (simulate first, then save with a reason) and the diff between two
revisions. Every role that reads the inventory reads policies; only
governance admins edit them."""

from typing import Any

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect

from command_center.policy_forms import PolicyEditForm
from command_center.views.access import RolePage, acting_user
from command_center.views.simulation import tiers_in_order
from governance.documents import SCOPE_FIELDS, diff_policy, stored_document
from governance.engine import describe_rule
from governance.exceptions import PolicyChangedError
from governance.selectors import (
    policies_with_last_change,
    policy_document,
    policy_revisions,
    policy_with_rules_by_name,
)
from governance.services import create_policy, run_simulation, update_policy
from mlgov.exceptions import DomainError, FieldError, NotFoundError
from mlgov.permissions import can_administer_governance
from registry.selectors import environment_names, tag_names


def _policy_or_404(name: str):
    try:
        return policy_with_rules_by_name(name=name)
    except NotFoundError as error:
        raise Http404(str(error)) from error


def rules_in_words(rules) -> list[dict[str, Any]]:
    """Each rule's position, kind and sentence."""
    return [
        {
            "position": position,
            "kind": rule.kind,
            "params": rule.params,
            "words": describe_rule(rule.kind, rule.params),
        }
        for position, rule in enumerate(rules, start=1)
    ]


class PolicyListView(RolePage):
    """Every policy: enforcement, scope, rules, revision, last change."""

    template_name = "command_center/policy_list.html"
    section = "policies"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["policies"] = [
            {
                "policy": policy,
                "rules": rules_in_words(policy.rules.all()),
            }
            for policy in policies_with_last_change()
        ]
        context["can_edit"] = can_administer_governance(self.request.user)
        return context


class PolicyDetailView(RolePage):
    """A policy's rules in words and its revisions, who changed what and why."""

    template_name = "command_center/policy_detail.html"
    section = "policies"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        policy = _policy_or_404(kwargs["name"])
        context.update(
            policy=policy,
            rules=rules_in_words(policy.rules.all()),
            revisions=list(policy_revisions(policy=policy)),
            can_edit=can_administer_governance(self.request.user),
        )
        return context


class PolicyEditView(RolePage):
    """Create or change a policy: "Simulate this change" runs the what-if over
    the whole portfolio and shows its impact; only then is Save offered, and
    saving records the next revision with the reason."""

    template_name = "command_center/policy_form.html"
    section = "policies"

    def has_role(self, user) -> bool:
        return can_administer_governance(user)

    def _policy(self):
        name = self.kwargs.get("name")
        return None if name is None else _policy_or_404(name)

    def _form(self, policy, data=None) -> PolicyEditForm:
        return PolicyEditForm(
            data,
            document=policy_document(policy) if policy is not None else None,
            revision=policy.revision if policy is not None else None,
            environments=environment_names(),
            tags=tag_names(),
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        policy = kwargs["policy"] if "policy" in kwargs else self._policy()
        context["policy"] = policy
        context.setdefault("form", self._form(policy))
        return context

    def post(self, request, *args, **kwargs):
        policy = self._policy()
        form = self._form(policy, request.POST)
        context: dict[str, Any] = {"policy": policy, "form": form}
        if not form.is_valid():
            return self._render(context, status=400)
        try:
            document = form.proposed()
        except FieldError:
            return self._render(context, status=400)
        wants_save = request.POST.get("action") == "save"
        if wants_save and form.was_simulated(document):
            return self._save(form, policy, document, context)
        if wants_save:
            context["resimulated"] = True
        return self._simulate(form, document, context)

    def _render(self, context: dict[str, Any], *, status: int = 200):
        return self.render_to_response(self.get_context_data(**context), status=status)

    def _simulate(self, form: PolicyEditForm, document, context: dict[str, Any]):
        try:
            result = run_simulation(
                actor=acting_user(self.request), upsert=[document.as_dict()], remove=[]
            )
        except DomainError as error:
            context["error"] = error
            return self._render(context, status=error.status_code)
        context.update(
            result=tiers_in_order(result),
            simulated=form.simulated_token(document),
        )
        return self._render(context)

    def _save(self, form: PolicyEditForm, policy, document, context: dict[str, Any]):
        actor = acting_user(self.request)
        reason = form.cleaned_data["reason"]
        try:
            if policy is None:
                saved = create_policy(actor=actor, document=document, reason=reason)
            else:
                saved = update_policy(
                    actor=actor,
                    policy=policy,
                    document=document,
                    reason=reason,
                    expected_revision=form.cleaned_data["revision"],
                )
        except FieldError as error:
            form.show_error(error)
            context["simulated"] = form.cleaned_data["simulated"]
            return self._render(context, status=400)
        except PolicyChangedError as error:
            context["conflict"] = error
            return self._render(context, status=error.status_code)
        except DomainError as error:
            context["error"] = error
            return self._render(context, status=error.status_code)
        messages.success(
            self.request,
            f"{saved.name} saved as revision {saved.revision}: {reason}",
        )
        return redirect("command_center:policy-detail", name=saved.name)


class PolicyRevisionDiffView(RolePage):
    """What changed between two revisions of a policy, and who changed it why."""

    template_name = "command_center/policy_revisions.html"
    section = "policies"

    def get(self, request, *args, **kwargs):
        policy = _policy_or_404(kwargs["name"])
        revisions = list(policy_revisions(policy=policy))
        context = self.get_context_data(policy=policy, revisions=revisions)
        try:
            context.update(self._diff(revisions))
        except FieldError as error:
            context["diff_error"] = error
            return self.render_to_response(context, status=400)
        return self.render_to_response(context)

    def _chosen(self, field: str, numbers: list[int], default: int) -> int:
        raw = self.request.GET.get(field)
        if raw in (None, ""):
            return default
        if not raw.isdigit() or int(raw) not in numbers:
            raise FieldError(
                field,
                f"No revision {raw!r}; this policy has revisions "
                f"{', '.join(map(str, sorted(numbers)))}.",
            )
        return int(raw)

    def _diff(self, revisions) -> dict[str, Any]:
        if not revisions:
            return {}
        numbers = [revision.revision for revision in revisions]
        newest = max(numbers)
        to = self._chosen("to", numbers, newest)
        older = [number for number in numbers if number < to]
        start = self._chosen("from", numbers, max(older) if older else to)
        by_number = {revision.revision: revision for revision in revisions}
        old = stored_document(by_number[start].document)
        new = stored_document(by_number[to].document)
        low, high = sorted((start, to))
        change = diff_policy(old, new)
        return {
            "from_revision": by_number[start],
            "to_revision": by_number[to],
            "old": old,
            "new": new,
            "change": change,
            "scope_changes": _scope_changes(old, new),
            "rule_changes": _rule_changes(old, new, change),
            "between": [
                revision for revision in revisions if low < revision.revision <= high
            ],
        }


def _scope_changes(old, new) -> list[dict[str, Any]]:
    rows = []
    for field in SCOPE_FIELDS:
        before, after = set(getattr(old, field)), set(getattr(new, field))
        if before != after:
            rows.append(
                {
                    "field": field,
                    "added": sorted(after - before),
                    "removed": sorted(before - after),
                    "before": sorted(before),
                    "after": sorted(after),
                }
            )
    return rows


def _rule_changes(old, new, change) -> list[dict[str, Any]]:
    rows = []
    positions = [
        *((position, "changed") for position in change.rules_changed),
        *((position, "added") for position in change.rules_added),
        *((position, "removed") for position in change.rules_removed),
    ]
    for position, what in sorted(positions):
        before = old.rules[position - 1] if what != "added" else None
        after = new.rules[position - 1] if what != "removed" else None
        rows.append(
            {
                "position": position,
                "change": what,
                "before": before,
                "after": after,
                "before_words": before and describe_rule(before.kind, before.params),
                "after_words": after and describe_rule(after.kind, after.params),
            }
        )
    return rows
