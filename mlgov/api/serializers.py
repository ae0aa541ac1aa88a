"""Serializer building blocks shared by the apps' APIs."""

import math
import re
import threading
from typing import Any

from rest_framework import serializers

_built_serializers = threading.local()


def _built(serializer_class: type[serializers.Serializer]) -> serializers.Serializer:
    built: dict[type, serializers.Serializer] | None = getattr(
        _built_serializers, "by_class", None
    )
    if built is None:
        built = _built_serializers.by_class = {}
    serializer = built.get(serializer_class)
    if serializer is None:
        serializer = built[serializer_class] = serializer_class()
    return serializer


def represent(serializer_class: type[serializers.Serializer], instance: Any) -> dict:
    """`serializer_class(instance).data` as a plain dict, from one serializer
    per class and thread whose fields are built once.

    Building a serializer's fields (deep copies of the declared ones, and a
    ModelSerializer's fields from the model) cost a hot endpoint more CPU than
    turning the instance into data; `to_representation` reads nothing from the
    serializer but its fields. Only for output serializers that need no
    context (no request, no hyperlinks)."""
    return _built(serializer_class).to_representation(instance)


def validated(serializer_class: type[serializers.Serializer], data: Any) -> dict:
    """`serializer_class(data=data)`'s validated data, or the ValidationError
    `is_valid(raise_exception=True)` raises, from one serializer per class and
    thread whose fields are built once (as `represent`). `run_validation`
    keeps nothing on the serializer. Only for input serializers that need no
    context and no instance.

    Invalid data goes through a new serializer's `is_valid`, so a 400 says
    exactly what it always said (`is_valid` words some errors its own way,
    a missing body for one)."""
    try:
        return _built(serializer_class).run_validation(data)
    except serializers.ValidationError:
        serializer = serializer_class(data=data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


# A number sent as text, as JSON clients may: ASCII digits only. Python's int()
# and float() also read "٢" (Arabic-Indic two), "२" (Devanagari) or "1_0" as
# numbers, which the query string (mlgov.api.filters) has always refused.
_INTEGER_TEXT = re.compile(r"\s*[+-]?[0-9]+(\.0*)?\s*", re.ASCII)
_FLOAT_TEXT = re.compile(
    r"\s*[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?\s*", re.ASCII
)


_NOT_ASCII = "Write the number in ASCII digits (0-9)."


class IntegerField(serializers.IntegerField):
    """DRF's IntegerField, but text must be written in ASCII digits."""

    default_error_messages = {"not_ascii": _NOT_ASCII}

    def to_internal_value(self, data):
        if isinstance(data, str):
            if not data.isascii():
                self.fail("not_ascii")
            if not _INTEGER_TEXT.fullmatch(data):
                self.fail("invalid")
        return super().to_internal_value(data)


class StrictInputSerializer(serializers.Serializer):
    """Input serializer that refuses fields it does not declare, so a typo or a
    read-only field in the body is an error instead of silently ignored.

    Its integer and float fields are mlgov's IntegerField and FiniteFloatField,
    declared so or not: every request body is one of these, so none takes
    digits other than ASCII (nor "nan" for a float)."""

    def get_fields(self):
        fields = super().get_fields()
        for name, field in fields.items():
            fields[name] = _strict_numbers(field)
        return fields

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError(
                    {
                        name: ["Unknown or read-only field; it cannot be set here."]
                        for name in unknown
                    }
                )
        return super().to_internal_value(data)


def _strict_numbers(field: serializers.Field) -> serializers.Field:
    """`field` with DRF's IntegerField or FloatField (itself or a list's
    items) rebuilt as mlgov's, from the arguments it was declared with."""
    strict = _STRICT_NUMBERS.get(type(field))
    if strict is not None:
        return strict(*field._args, **field._kwargs)  # type: ignore[attr-defined]
    if isinstance(field, serializers.ListField | serializers.DictField):
        child = _strict_numbers(field.child)
        if child is not field.child:
            child.bind(field_name="", parent=field)  # type: ignore[arg-type]
            field.child = child
    return field


class FiniteFloatField(serializers.FloatField):
    """A float that must be finite: JSON has no NaN or infinity to offer; text
    must be written in ASCII digits."""

    default_error_messages = {
        "non_finite": "Must be a finite number.",
        "not_ascii": _NOT_ASCII,
    }

    def to_internal_value(self, data):
        if isinstance(data, bool):
            self.fail("invalid")
        if isinstance(data, str):
            if not data.isascii():
                self.fail("not_ascii")
            if not _FLOAT_TEXT.fullmatch(data):
                self.fail("invalid")
        value = super().to_internal_value(data)
        if not math.isfinite(value):
            self.fail("non_finite")
        return value


_STRICT_NUMBERS: dict[type[serializers.Field], type[serializers.Field]] = {
    serializers.IntegerField: IntegerField,
    serializers.FloatField: FiniteFloatField,
}
