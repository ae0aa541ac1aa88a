"""Formatting for the command center's pages."""

from django import template
from django.http import QueryDict

register = template.Library()


@register.filter
def pct(rate: float | None, places: int = 1) -> str:
    """A 0-1 rate as a percentage; an em dash when unknown."""
    if rate is None:
        return "—"
    return f"{rate * 100:.{places}f}%"


@register.filter
def score(value: float | None) -> str:
    """A readiness score with one decimal; an em dash for no score."""
    return "—" if value is None else f"{value:.1f}"


@register.filter
def band(value: float | None) -> str:
    """The CSS class and label key of a readiness score."""
    if value is None:
        return "none"
    if value >= 80:
        return "ready"
    if value >= 50:
        return "partial"
    return "low"


@register.simple_tag
def query(base: str = "", **params: object) -> str:
    """A query string from `base` with `params` set (None removes one); the
    page number always resets."""
    values = QueryDict(base, mutable=True)
    values.pop("page", None)
    for name, value in params.items():
        values.pop(name, None)
        if value is not None and value != "":
            values[name] = str(value)
    encoded = values.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.simple_tag
def page_query(base: str, page: int) -> str:
    """`base` with the page number set."""
    values = QueryDict(base, mutable=True)
    values["page"] = str(page)
    return f"?{values.urlencode()}"


@register.filter
def compliance_in(row, environment: str):
    """A model row's verdict in `environment` (None: no version speaks there)."""
    return row.compliance.get(environment)


@register.filter
def label(value: str | None) -> str:
    """A code such as `in_review` as words: "In review"."""
    if not value:
        return ""
    text = str(value).replace("_", " ")
    return text[:1].upper() + text[1:]


@register.filter
def get(mapping, key: str):
    """`mapping[key]` for keys a template cannot spell (dashes)."""
    return mapping.get(key, "")
