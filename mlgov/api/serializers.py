"""Serializer building blocks shared by the apps' APIs."""

import math

from rest_framework import serializers


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
