"""Serializer building blocks shared by the apps' APIs."""

import math
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


class StrictInputSerializer(serializers.Serializer):
    """Input serializer that refuses fields it does not declare, so a typo or a
    read-only field in the body is an error instead of silently ignored."""

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


class FiniteFloatField(serializers.FloatField):
    """A float that must be finite: JSON has no NaN or infinity to offer."""

    default_error_messages = {"non_finite": "Must be a finite number."}

    def to_internal_value(self, data):
        if isinstance(data, bool):
            self.fail("invalid")
        value = super().to_internal_value(data)
        if not math.isfinite(value):
            self.fail("non_finite")
        return value
