"""Parsing JSON features into checked inputs, and category labels."""

import dataclasses
import math
import reprlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeGuard

import numpy as np

from drift.stats.constants import KINDS, MAX_MAGNITUDE, NUMERIC, ListLike
from drift.stats.inputs import (
    BinnedSample,
    CategoryCounts,
    DriftInputError,
    DriftPayloadTooLargeError,
    FeatureInput,
    RawSample,
    Sample,
    check_feature,
    field_path,
)
from mlgov_client.binning import category_label

_BINNED_FIELDS = frozenset({"bin_edges", "counts", "psi_bin_edges", "psi_counts"})
_FEATURE_FIELDS = ("name", "kind", "reference", "current", "method", "threshold")
_NUMBER_TYPES = (int, float, np.integer, np.floating)
_BOOLEAN_TYPES = (bool, np.bool_)


def parse_features(
    payloads: object, *, max_values: int | None = None
) -> list[FeatureInput]:
    """Parse a report's ``features`` list (JSON as received, checked here);
    names must be unique."""
    if isinstance(payloads, str | bytes | Mapping) or not isinstance(
        payloads, Sequence
    ):
        raise DriftInputError("features", "features must be a list of features.")
    if not payloads:
        raise DriftInputError("features", "A drift report needs at least one feature.")
    features = [
        parse_feature(payload, index=index, max_values=max_values)
        for index, payload in enumerate(payloads)
    ]
    seen: set[str] = set()
    for index, feature in enumerate(features):
        if feature.name in seen:
            raise DriftInputError(
                f"features[{index}].name",
                f"Feature {feature.name!r} appears more than once; names must be "
                "unique within a report.",
            )
        seen.add(feature.name)
    return features


def parse_feature(
    payload: Mapping[str, Any],
    *,
    index: int | None = None,
    max_values: int | None = None,
) -> FeatureInput:
    """Turn one JSON feature into a checked ``FeatureInput``."""
    root = "" if index is None else f"features[{index}]"
    if not isinstance(payload, Mapping) or not payload:
        raise DriftInputError(
            root or "feature",
            "A feature must be an object with name, kind, reference and current.",
        )
    unknown = sorted(str(key) for key in payload if key not in _FEATURE_FIELDS)
    if unknown:
        raise DriftInputError(
            field_path(root, unknown[0]),
            f"Unknown field {unknown[0]!r}; a feature has "
            f"{', '.join(_FEATURE_FIELDS)}.",
        )
    name = payload.get("name")
    if not isinstance(name, str) or not name.strip():
        raise DriftInputError(field_path(root, "name"), "Every feature needs a name.")
    kind = payload.get("kind")
    if not isinstance(kind, str) or kind not in KINDS:
        raise DriftInputError(
            field_path(root, "kind"),
            f"Unknown kind {kind!r}; a feature is 'numeric' or 'categorical'.",
        )
    threshold = payload.get("threshold")
    if threshold is not None:
        threshold = _parse_number(threshold, field_path(root, "threshold"), "threshold")
    reference, current = (
        _parse_side(payload.get(side), kind, field_path(root, side), max_values)
        for side in ("reference", "current")
    )
    feature = FeatureInput(
        name=name,
        kind=kind,
        reference=reference,
        current=current,
        method=payload.get("method"),
        threshold=threshold,
    )
    check_feature(feature, root=root)
    return feature


def _parse_side(raw: object, kind: str, field: str, max_values: int | None) -> Sample:
    if not isinstance(raw, Mapping) or not raw:
        raise DriftInputError(
            field,
            "Each side must be an object with values, with bin_edges and counts "
            "(and optionally psi_bin_edges with psi_counts), or with categories.",
        )
    keys = set(raw)
    if keys == {"values"}:
        values_field = f"{field}.values"
        values = raw["values"]
        if not _is_list(values):
            raise DriftInputError(values_field, "values must be a list.")
        if max_values is not None and len(values) > max_values:
            raise DriftPayloadTooLargeError(
                values_field,
                f"{len(values):,} values exceed the limit of {max_values:,} per "
                "side; send a bin_edges/counts or categories summary instead.",
            )
        if kind == NUMERIC:
            return RawSample(_parse_numbers(values, values_field))
        return RawSample(_parse_labels(values, values_field))
    if {"bin_edges", "counts"} <= keys <= _BINNED_FIELDS:
        return _parse_binned(raw, field)
    if keys == {"categories"}:
        return CategoryCounts(
            _parse_categories(raw["categories"], f"{field}.categories")
        )
    if keys & {"bin_edges", "counts"} and not keys - _BINNED_FIELDS:
        raise DriftInputError(
            field, "A numeric summary needs both bin_edges and counts."
        )
    raise DriftInputError(
        field,
        f"Unexpected fields {', '.join(sorted(map(str, keys)))}; send values, "
        "bin_edges with counts, or categories.",
    )


def _parse_binned(raw: Mapping[str, Any], field: str) -> BinnedSample:
    psi_fields = {"psi_bin_edges", "psi_counts"} & set(raw)
    if len(psi_fields) == 1:
        (given,) = psi_fields
        missing = ({"psi_bin_edges", "psi_counts"} - psi_fields).pop()
        raise DriftInputError(
            f"{field}.{missing}",
            f"{given} needs {missing}: PSI's bins are sent as both, or not at all.",
        )
    sample = BinnedSample(
        edges=_parse_edges(raw["bin_edges"], f"{field}.bin_edges"),
        counts=_parse_counts(raw["counts"], f"{field}.counts"),
    )
    if not psi_fields:
        return sample
    return dataclasses.replace(
        sample,
        psi_edges=_parse_edges(raw["psi_bin_edges"], f"{field}.psi_bin_edges"),
        psi_counts=_parse_counts(raw["psi_counts"], f"{field}.psi_counts"),
    )


def _parse_numbers(values: ListLike, field: str) -> np.ndarray:
    if isinstance(values, np.ndarray):
        if values.ndim != 1:
            raise DriftInputError(field, "values must be a flat list.")
        if values.dtype.kind in "iuf":
            return _refuse_huge(values.astype(np.float64), field)
    _refuse_types(values, field, _is_number_or_none, "numbers or null")
    try:
        return _refuse_huge(np.array(values, dtype=np.float64), field)
    except OverflowError:
        raise DriftInputError(
            field, "A value is too large for a floating-point number."
        ) from None


def _refuse_huge(numbers: np.ndarray, field: str) -> np.ndarray:
    """`numbers`, unless a finite one lies beyond ±MAX_MAGNITUDE (infinities and
    NaN are not refused here: the statistics leave them out and count them)."""
    huge = np.isfinite(numbers) & (np.abs(numbers) > MAX_MAGNITUDE)
    if huge.any():
        position = int(np.argmax(huge))
        value = float(numbers[position])
        raise DriftInputError(
            field,
            f"Item {position} ({value!r}) is beyond ±{MAX_MAGNITUDE:g}; rescale "
            "the feature (the statistics would overflow).",
        )
    return numbers


def _parse_labels(values: ListLike, field: str) -> np.ndarray:
    if isinstance(values, np.ndarray) and values.ndim != 1:
        raise DriftInputError(field, "values must be a flat list.")
    _refuse_types(values, field, _is_label_or_none, "text, numbers, booleans or null")
    labels = np.empty(len(values), dtype=object)
    labels[:] = values
    return labels


def _parse_edges(raw: object, field: str) -> np.ndarray:
    if not _is_list(raw) or len(raw) < 2:
        raise DriftInputError(field, "bin_edges must be a list of at least two edges.")
    edges = list(raw)
    inner_missing = _first_position(edges[1:-1], lambda kind: kind is type(None))
    if inner_missing is not None:
        raise DriftInputError(
            field,
            f"Edge {inner_missing + 1} is null; only the first and last edge may be "
            "null (an open end).",
        )
    open_ends = (edges[0] is None, edges[-1] is None)
    edges[0] = -math.inf if open_ends[0] else edges[0]
    edges[-1] = math.inf if open_ends[1] else edges[-1]
    _refuse_types(edges, field, _is_number_type, "numbers (or null at either end)")
    array = _refuse_huge(_to_floats(edges, field), field)
    finite = np.isfinite(array)
    if np.isnan(array).any() or not finite[1:-1].all():
        raise DriftInputError(field, "Inner bin_edges must be finite numbers.")
    if array[0] == math.inf or array[-1] == -math.inf:
        raise DriftInputError(field, "bin_edges must run from low to high.")
    if not finite.any():
        raise DriftInputError(field, "bin_edges need at least one finite edge.")
    steps = np.diff(array)
    if (steps <= 0).any():
        position = int(np.argmax(steps <= 0)) + 1
        raise DriftInputError(
            field,
            f"bin_edges must increase strictly; edge {position} ({edges[position]!r}) "
            "is not above the edge before it.",
        )
    return array


def _parse_counts(
    raw: object, field: str, names: Sequence[str] | None = None
) -> np.ndarray:
    if not _is_list(raw):
        raise DriftInputError(field, "counts must be a list of whole numbers.")
    _refuse_types(raw, field, _is_number_type, "whole numbers")
    counts = _to_floats(raw, field)
    problems = (
        (~np.isfinite(counts), "is not finite"),
        (counts < 0, "is negative"),
        (counts != np.floor(counts), "is not a whole number"),
    )
    for bad, problem in problems:
        if bad.any():
            position = int(np.argmax(bad))
            where = f"for {names[position]!r}" if names else f"at position {position}"
            raise DriftInputError(
                field,
                f"Count {raw[position]!r} {where} {problem}; counts are whole "
                "numbers, zero or more.",
            )
    return counts.astype(np.int64)


def _parse_categories(raw: object, field: str) -> dict[str, int]:
    if not isinstance(raw, Mapping):
        raise DriftInputError(
            field, "categories must be an object mapping each category to its count."
        )
    keys = list(raw)
    _refuse_types(keys, field, _is_label_type, "text, numbers or booleans")
    labels = [category_label(key) for key in keys]
    if None in labels:
        raise DriftInputError(
            field, "Category names must be text, numbers or booleans."
        )
    names = [str(label) for label in labels]
    counts = _parse_counts(list(raw.values()), field, names=names)
    merged: dict[str, int] = {}
    for name, count in zip(names, counts.tolist(), strict=True):
        merged[name] = merged.get(name, 0) + count
    return merged


def _parse_number(value: object, field: str, name: str) -> float:
    if isinstance(value, _BOOLEAN_TYPES) or not isinstance(value, _NUMBER_TYPES):
        raise DriftInputError(field, f"{name} must be a number.")
    try:
        return float(value)
    except OverflowError:
        raise DriftInputError(field, f"{name} is too large.") from None


def _to_floats(values: ListLike, field: str) -> np.ndarray:
    try:
        return np.array(values, dtype=np.float64)
    except OverflowError:
        raise DriftInputError(
            field, "A number is too large for a floating-point number."
        ) from None


def _refuse_types(
    values: ListLike,
    field: str,
    is_allowed: Callable[[type], bool],
    expected: str,
) -> None:
    position = _first_position(values, lambda kind: not is_allowed(kind))
    if position is not None:
        value = values[position]
        raise DriftInputError(
            field,
            f"Item {position} ({reprlib.repr(value)}) is {_type_name(value)}; "
            f"expected {expected}.",
        )


def _first_position(values: ListLike, is_wanted: Callable[[type], bool]) -> int | None:
    """Position of the first value whose type is wanted, testing each type once."""
    wanted = [kind for kind in set(map(type, values)) if is_wanted(kind)]
    if not wanted:
        return None
    value_types = list(map(type, values))
    return min(value_types.index(kind) for kind in wanted)


def _is_number_type(kind: type) -> bool:
    return issubclass(kind, _NUMBER_TYPES) and not issubclass(kind, _BOOLEAN_TYPES)


def _is_number_or_none(kind: type) -> bool:
    return kind is type(None) or _is_number_type(kind)


def _is_label_type(kind: type) -> bool:
    return issubclass(kind, (str, *_BOOLEAN_TYPES, *_NUMBER_TYPES))


def _is_label_or_none(kind: type) -> bool:
    return kind is type(None) or _is_label_type(kind)


def _is_list(value: object) -> TypeGuard[ListLike]:
    return isinstance(value, Sequence | np.ndarray) and not isinstance(
        value, str | bytes
    )


def _type_name(value: object) -> str:
    if isinstance(value, _BOOLEAN_TYPES):
        return "a boolean"
    if isinstance(value, str):
        return "text"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list | tuple):
        return "a list"
    return f"a {type(value).__name__}"
