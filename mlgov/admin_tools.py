"""Helpers the apps' admin classes share."""

from collections.abc import Callable, Iterable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.http import HttpRequest, HttpResponseRedirect
from django.utils.html import format_html, format_html_join

from mlgov.exceptions import DomainError


def run_service_on_each(
    request: HttpRequest,
    objects: Iterable,
    service: Callable,
    done: tuple[str, str],
) -> None:
    """Apply a service to each selected row, reporting refusals as messages;
    `done` says what happened to one row and to several ("model archived",
    "models archived")."""
    changed = 0
    for obj in objects:
        try:
            service(obj)
        except DomainError as error:
            messages.error(request, f"{obj}: {error.message}")
        else:
            changed += 1
    if changed:
        messages.success(request, f"{changed} {done[0] if changed == 1 else done[1]}.")


class NoteActionForm(ActionForm):
    """The admin's action bar with a note, for actions that need one."""

    note = forms.CharField(
        required=False,
        label="Comment or reason",
        widget=forms.TextInput(attrs={"size": 60}),
    )


class ReadOnlyAdminMixin:
    """For a ModelAdmin or an inline whose rows only services or the database
    write (computed records, ledgers, decisions): shown, never added, changed
    or deleted by hand. `obj` is optional because inlines pass it to
    has_add_permission and model admins do not."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ServiceErrorsAsMessagesMixin(admin.ModelAdmin):
    """For a ModelAdmin whose saves and deletions go through services: a
    refusal of the domain (a version no longer a draft, a state that moved
    while the page was open) is shown as a message on the same page, with
    nothing written, instead of a server error."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as error:
            messages.error(request, error.message)
            return HttpResponseRedirect(request.get_full_path())

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except DomainError as error:
            messages.error(request, error.message)
            return HttpResponseRedirect(request.get_full_path())


def key_value_table(values: dict | None, *, empty: str = "—") -> str:
    """A small read-only table of a JSON object's keys and values, for admin
    pages that would otherwise show raw JSON."""
    if not values:
        return empty
    rows = format_html_join(
        "",
        "<tr><th scope='row'>{}</th><td>{}</td></tr>",
        ((key.replace("_", " "), value) for key, value in values.items()),
    )
    return format_html("<table class='mlgov-kv'><tbody>{}</tbody></table>", rows)
