"""Impossible dates, Unicode digits and infinities in list filters: a 400
naming the parameter, never a 500 and never a silent match."""

import pytest
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from mlgov.api.filters import QueryFilter
from mlgov.exceptions import FieldError

pytestmark = pytest.mark.django_db


class ExampleFilter(QueryFilter):
    since = serializers.DateTimeField(required=False)
    day = serializers.DateField(required=False)
    version = serializers.IntegerField(required=False)
    versions = serializers.ListField(child=serializers.IntegerField(), required=False)
    score = serializers.FloatField(required=False)
    name = serializers.CharField(required=False)


def filters_of(query: dict) -> dict:
    return ExampleFilter.from_request(Request(APIRequestFactory().get("/", query)))


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"since": "2026-02-30T10:00:00"}, "since"),
        ({"since": "2026-13-01T10:00:00"}, "since"),
        ({"day": "2026-02-30"}, "day"),
        ({"day": "\uff12\uff10\uff12\uff16-01-01"}, "day"),
        ({"version": "\u00b2"}, "version"),
        ({"version": "\u0663"}, "version"),
        ({"versions": ["1", "\u0663"]}, "versions"),
        ({"score": "1e999"}, "score"),
        ({"score": "-inf"}, "score"),
        ({"score": "nan"}, "score"),
    ],
)
def test_query_filter_refuses_with_the_parameter_named(query, field):
    with pytest.raises(Exception) as raised:
        filters_of(query)
    error = raised.value
    details = error.details if isinstance(error, FieldError) else error.detail
    assert field in details


def test_query_filter_accepts_good_values():
    assert filters_of({"version": "3", "score": "0.5", "name": "\u0663"}) == {
        "version": 3,
        "score": 0.5,
        "name": "\u0663",
    }


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/v1/audit/?since=2026-02-30T10:00:00", "since"),
        ("/api/v1/audit/?until=2026-02-30T25:00:00", "until"),
        ("/api/v1/audit/?object_id=%C2%B2", "object_id"),
        ("/api/v1/waivers/?version=%C2%B2", "version"),
        ("/api/v1/waivers/?version=%D9%A3", "version"),
    ],
)
def test_list_filters_answer_400_naming_the_parameter(
    api_client_for, auditor, path, field
):
    response = api_client_for(auditor).get(path)
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["details"]
