import json

from django import template

register = template.Library()


@register.filter
def as_json(value):
    """Nested evidence (metrics, params, rule parameters) as indented JSON."""
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False)


@register.filter
def answer(value):
    """An intake answer as the page prints it: yes/no, a list joined, or the
    text; "—" when empty."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(map(str, value)) or "—"
    return value or "—"
