import json

from django import template

register = template.Library()


@register.filter
def as_json(value):
    """Nested evidence (metrics, params, rule parameters) as indented JSON."""
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False)
