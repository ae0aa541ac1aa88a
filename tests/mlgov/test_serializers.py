"""Serializers reused per thread answer exactly as new ones do."""

import pytest
from rest_framework import serializers

from mlgov.api.serializers import StrictInputSerializer, represent, validated


class Body(StrictInputSerializer):
    name = serializers.SlugField()
    count = serializers.IntegerField(min_value=1, default=1)


class Row(serializers.Serializer):
    name = serializers.CharField()
    tags = serializers.ListField(child=serializers.CharField())


def errors_of(data):
    serializer = Body(data=data)
    with pytest.raises(serializers.ValidationError) as raised:
        serializer.is_valid(raise_exception=True)
    return raised.value.detail


@pytest.mark.parametrize(
    "data",
    [None, [], "text", {}, {"name": "a b"}, {"name": "ok", "count": 0}, {"x": 1}],
)
def test_invalid_data_fails_as_is_valid_fails(data):
    with pytest.raises(serializers.ValidationError) as raised:
        validated(Body, data)

    assert raised.value.detail == errors_of(data)


def test_valid_data_is_the_validated_data_every_time():
    for count in (1, 2):
        assert validated(Body, {"name": "churn", "count": count}) == {
            "name": "churn",
            "count": count,
        }
    assert validated(Body, {"name": "churn"}) == {"name": "churn", "count": 1}


def test_a_representation_is_the_serializer_data():
    for name in ("a", "b"):
        row = {"name": name, "tags": ["x", name]}
        assert represent(Row, row) == Row(row).data
