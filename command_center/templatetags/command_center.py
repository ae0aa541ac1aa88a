"""Formatting for the command center's pages."""

from django import template
from django.http import QueryDict

from command_center.charts import drift_measure, drift_rule
from command_center.portfolio import readiness_band
from governance.engine import format_number
from registry.models import MLModel

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
    """The CSS class and label key of a readiness score: its band in
    command_center.portfolio.READINESS_BANDS, "none" without a score."""
    return readiness_band(value) or "none"


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
def coverage_in(row, framework: str):
    """A model row's obligation counts under one enabled framework (None:
    the framework does not apply to it)."""
    return row.coverage_counts(framework)


@register.filter
def label(value: str | None) -> str:
    """A code such as `in_review` as words: "In review"."""
    if not value:
        return ""
    text = str(value).replace("_", " ")
    return text[:1].upper() + text[1:]


@register.filter
def model_kind(value: str) -> str:
    """A model kind as the registry names it ("LLM application")."""
    return dict(MLModel.Kind.choices).get(value, label(value))


@register.filter
def metric(value: float | None) -> str:
    """A metric as the rule sentences write it; an em dash when missing."""
    return "—" if value is None else format_number(value)


@register.filter
def delta(value: float | None) -> str:
    """A change between two metrics, signed, without float noise
    (0.78 - 0.85 is -0.07, not -0.07000000000000006)."""
    if value is None:
        return "—"
    rounded = round(value, 10)
    return f"+{format_number(rounded)}" if rounded > 0 else format_number(rounded)


@register.filter
def drift_caption(method: str, threshold: float | None) -> str:
    """What a drift chart plots and when it alerts, as its caption says it."""
    if threshold is None:
        return f"Plotted: {drift_measure(method)}."
    return f"Plotted: {drift_rule(method, threshold)}."
