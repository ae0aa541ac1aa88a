"""drift.stats.parsing and inputs: payloads the engine refuses, naming the field."""

import math
from typing import Any

import numpy as np
import pytest

from drift.stats import (
    NUMERIC,
    WASSERSTEIN,
    DriftInputError,
    DriftPayloadTooLargeError,
    FeatureInput,
    RawSample,
    analyse_feature,
    compute_statistics,
    parse_feature,
    parse_features,
)
from tests.drift.stats.builders import (
    categorical,
)

# --- refusals -------------------------------------------------------------------


def valid_payload() -> dict[str, Any]:
    return {
        "name": "income",
        "kind": "numeric",
        "reference": {"bin_edges": [None, 0, 10, None], "counts": [1, 2, 3]},
        "current": {"bin_edges": [None, 0, 10, None], "counts": [3, 2, 1]},
    }


def with_changes(**changes: Any) -> dict[str, Any]:
    payload = valid_payload()
    for path, value in changes.items():
        target = payload
        *parents, last = path.split("__")
        for parent in parents:
            target = target[parent]
        if value is ...:
            del target[last]
        else:
            target[last] = value
    return payload


@pytest.mark.parametrize(
    ("payload", "field", "words"),
    [
        ({}, "features[2]", "must be an object"),
        (with_changes(name=""), "features[2].name", "needs a name"),
        (with_changes(kind="ordinal"), "features[2].kind", "Unknown kind"),
        (with_changes(colour="red"), "features[2].colour", "Unknown field"),
        (with_changes(method="t-test"), "features[2].method", "Unknown method"),
        (
            with_changes(threshold=0.3),
            "features[2].threshold",
            "A threshold needs a method",
        ),
        (
            with_changes(method="psi", threshold=-0.1),
            "features[2].threshold",
            "zero or more",
        ),
        (
            with_changes(method="psi", threshold=math.inf),
            "features[2].threshold",
            "finite",
        ),
        (
            with_changes(method="ks", threshold=5),
            "features[2].threshold",
            "at most 1",
        ),
        (
            with_changes(method="psi", threshold="high"),
            "features[2].threshold",
            "number",
        ),
        (with_changes(current={}), "features[2].current", "must be an object"),
        (with_changes(current=...), "features[2].current", "must be an object"),
        (
            with_changes(current__counts=...),
            "features[2].current",
            "both bin_edges and counts",
        ),
        (
            with_changes(current__bin_edges=[None, 0, 11, None]),
            "features[2].current.bin_edges",
            "identical edges",
        ),
        (
            with_changes(current__counts=[1, 2]),
            "features[2].current.counts",
            "one count per bin",
        ),
        (
            with_changes(current__counts=[1, -2, 3]),
            "features[2].current.counts",
            "is negative",
        ),
        (
            with_changes(current__counts=[1, 2.5, 3]),
            "features[2].current.counts",
            "whole number",
        ),
        (
            with_changes(current__counts=[1, math.nan, 3]),
            "features[2].current.counts",
            "not finite",
        ),
        (
            with_changes(current__counts=[1, "2", 3]),
            "features[2].current.counts",
            "is text",
        ),
        (
            with_changes(reference__bin_edges=[None, 10, 0, None]),
            "features[2].reference.bin_edges",
            "increase strictly",
        ),
        (
            with_changes(reference__bin_edges=[0, None, 10, 20]),
            "features[2].reference.bin_edges",
            "only the first and last edge may be null",
        ),
        (
            with_changes(reference__bin_edges=[None, None]),
            "features[2].reference.bin_edges",
            "one finite edge",
        ),
        (
            with_changes(current={"values": [1, 2, 3]}),
            "features[2].current",
            "same form",
        ),
        (
            with_changes(kind="categorical"),
            "features[2].reference.bin_edges",
            "numeric feature",
        ),
        (
            with_changes(reference={"values": [1, "two", 3]}, current={"values": [1]}),
            "features[2].reference.values",
            "Item 1 ('two') is text",
        ),
        (
            with_changes(reference={"values": [1, True]}, current={"values": [1]}),
            "features[2].reference.values",
            "is a boolean",
        ),
        (
            with_changes(reference={"values": "1,2,3"}, current={"values": [1]}),
            "features[2].reference.values",
            "must be a list",
        ),
        (
            with_changes(
                kind="numeric",
                reference={"categories": {"a": 1}},
                current={"categories": {"a": 1}},
            ),
            "features[2].reference.categories",
            "categorical feature",
        ),
        (
            with_changes(
                kind="categorical",
                method="ks",
                reference={"categories": {"a": 1}},
                current={"categories": {"a": 1}},
            ),
            "features[2].method",
            "compares ordered numbers",
        ),
        (
            with_changes(
                kind="categorical",
                reference={"categories": {"a": -1}},
                current={"categories": {"a": 1}},
            ),
            "features[2].reference.categories",
            "Count -1 for 'a' is negative",
        ),
        (
            with_changes(
                kind="categorical",
                reference={"values": ["a", ["b"]]},
                current={"values": ["a"]},
            ),
            "features[2].reference.values",
            "is a list",
        ),
    ],
)
def test_parse_feature_refuses_bad_payloads_naming_the_field(
    payload: dict[str, Any], field: str, words: str
) -> None:
    with pytest.raises(DriftInputError) as raised:
        parse_feature(payload, index=2)

    assert raised.value.field == field
    assert words in raised.value.message


def test_parse_feature_accepts_the_design_example() -> None:
    feature = parse_feature(valid_payload())

    assert feature.name == "income"
    assert feature.reference.edges.tolist() == [-math.inf, 0, 10, math.inf]  # type: ignore[union-attr]


def test_raw_values_above_the_cap_are_refused_as_too_large() -> None:
    payload = {
        "name": "age",
        "kind": "numeric",
        "reference": {"values": [1, 2, 3]},
        "current": {"values": [1, 2]},
    }

    with pytest.raises(DriftPayloadTooLargeError) as raised:
        parse_feature(payload, index=0, max_values=2)

    assert raised.value.field == "features[0].reference.values"
    assert "limit of 2" in raised.value.message


def test_parse_features_refuses_duplicate_names_and_empty_lists() -> None:
    with pytest.raises(DriftInputError, match="at least one feature"):
        parse_features([])
    with pytest.raises(DriftInputError) as raised:
        parse_features([valid_payload(), valid_payload()])

    assert raised.value.field == "features[1].name"


def test_compute_statistics_refuses_ordered_methods_for_categories() -> None:
    with pytest.raises(DriftInputError, match="compares ordered numbers"):
        compute_statistics(categorical(["a"], ["b"]), [WASSERSTEIN])


def test_analyse_feature_checks_features_built_in_code() -> None:
    feature = FeatureInput(
        name="x",
        kind=NUMERIC,
        reference=RawSample(np.array(["a"], dtype=object)),
        current=RawSample(np.array([1.0])),
    )

    with pytest.raises(DriftInputError, match="must be numbers"):
        analyse_feature(feature)
