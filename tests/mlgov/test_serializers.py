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


@pytest.mark.parametrize("text", ["\u0662", "\u0968", "\u00b2", "1_0", "\uff12"])
def test_an_integer_field_refuses_digits_other_than_ascii(text):
    errors = errors_of({"name": "churn", "count": text})

    assert list(errors) == ["count"]


@pytest.mark.parametrize("text", ["2", " 2 ", "+2", "2.0", 2, 2.0])
def test_an_integer_field_still_takes_what_json_clients_send(text):
    assert validated(Body, {"name": "churn", "count": text})["count"] == 2


def _input_serializers():
    from django.urls import get_resolver

    assert get_resolver().url_patterns  # every app's API module is imported
    found, pending = set(), [StrictInputSerializer]
    while pending:
        cls = pending.pop()
        for sub in cls.__subclasses__():
            if sub not in found and not sub.__module__.startswith("tests."):
                found.add(sub)
                pending.append(sub)
    return sorted(found, key=lambda cls: (cls.__module__, cls.__qualname__))


def _number_fields(serializer, path=()):
    for name, field in serializer.fields.items():
        if field.read_only:
            continue
        if isinstance(field, serializers.ListField):
            field = field.child
        if isinstance(field, serializers.BaseSerializer):
            inner = getattr(field, "child", field)
            if isinstance(inner, serializers.Serializer):
                yield from _number_fields(inner, (*path, name))
            continue
        if isinstance(field, serializers.IntegerField | serializers.FloatField):
            yield (*path, name), field


def test_every_number_in_every_request_body_refuses_digits_other_than_ascii():
    checked = []
    for cls in _input_serializers():
        for path, field in _number_fields(cls()):
            for text in ("\u0660", "\u0661", "\u0967"):
                with pytest.raises(serializers.ValidationError) as raised:
                    field.run_validation(text)
                assert raised.value.get_codes() == ["not_ascii"], (cls, path, text)
            checked.append(f"{cls.__name__}.{'.'.join(path)}")

    assert "DeploymentRequestSerializer.version" in checked
    assert "DeploymentRequestSerializer.traffic_percent" in checked
    assert "DriftReportInputSerializer.dataset_drift_share" in checked


@pytest.mark.parametrize("text", ["nan", "inf", "\u0660.5"])
def test_a_float_in_a_request_body_is_finite_and_in_ascii(text):
    class Share(StrictInputSerializer):
        share = serializers.FloatField()

    with pytest.raises(serializers.ValidationError) as raised:
        validated(Share, {"share": text})

    assert list(raised.value.detail) == ["share"]
