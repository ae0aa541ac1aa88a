"""Checking the JSON of performance and fairness reports: plain values in,
NumPy arrays and counts out, or an error naming the field."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np


class QualityInputError(ValueError):
    """A report payload the engine cannot use, with the dotted path of the field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class QualityPayloadTooLargeError(QualityInputError):
    """More raw rows than the caller's cap allows (the API answers 413)."""


@dataclass(frozen=True)
class Confusion:
    """A binary confusion matrix: true/false positives and negatives."""

    tp: int
    fp: int
    tn: int
    fn: int

    @property
    def n(self) -> int:
        return self.tp + self.fp + self.tn + self.fn

    def __add__(self, other: Confusion) -> Confusion:
        return Confusion(
            self.tp + other.tp,
            self.fp + other.fp,
            self.tn + other.tn,
            self.fn + other.fn,
        )


@dataclass(frozen=True)
class ScoreBins:
    """Scores summarised: per bin of [edges[i], edges[i+1]) the positive and
    negative counts."""

    edges: np.ndarray
    positives: np.ndarray
    negatives: np.ndarray


def _list(payload: Mapping[str, object], field: str, cap: int) -> Sequence[object]:
    value = payload[field]
    if not isinstance(value, list | tuple):
        raise QualityInputError(field, "Must be a list.")
    if not value:
        raise QualityInputError(field, "Must not be empty.")
    if len(value) > cap:
        raise QualityPayloadTooLargeError(
            field, f"Carries {len(value):,} values; the cap is {cap:,}."
        )
    return value


def _as_json(value: object, limit: int = 40) -> str:
    """A value as the caller sent it (null, not Python's None), shortened."""
    text = json.dumps(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def binary_array(payload: Mapping[str, object], field: str, cap: int) -> np.ndarray:
    """A list of 0/1 (or true/false) as a boolean array."""
    values = _list(payload, field, cap)
    out = np.empty(len(values), dtype=bool)
    for index, value in enumerate(values):
        if value is True or value is False:
            out[index] = value
        elif isinstance(value, int | float) and value in (0, 1):
            out[index] = bool(value)
        else:
            raise QualityInputError(
                f"{field}[{index}]",
                f"Must be 0 or 1 (or true/false), not {_as_json(value)}.",
            )
    return out


def score_array(payload: Mapping[str, object], field: str, cap: int) -> np.ndarray:
    """A list of probabilities in [0, 1] as a float array."""
    values = _list(payload, field, cap)
    out = np.empty(len(values), dtype=float)
    for index, value in enumerate(values):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise QualityInputError(f"{field}[{index}]", "Must be a number.")
        number = float(value)
        if not (math.isfinite(number) and 0 <= number <= 1):
            raise QualityInputError(
                f"{field}[{index}]", "Must be a probability between 0 and 1."
            )
        out[index] = number
    return out


def label_list(payload: Mapping[str, object], field: str, cap: int) -> list[str]:
    """Group labels: strings as given, numbers in their shortest form."""
    values = _list(payload, field, cap)
    out = []
    for index, value in enumerate(values):
        out.append(group_name(value, f"{field}[{index}]"))
    return out


def group_name(value: object, field: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and math.isfinite(value):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, str) and value.strip():
        if len(value) > 200:
            raise QualityInputError(field, "A group name has at most 200 characters.")
        return value
    raise QualityInputError(field, "Must be a group name (a string or a number).")


def count(value: object, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise QualityInputError(field, "Must be a whole number.")
    if isinstance(value, float) and not (math.isfinite(value) and value.is_integer()):
        raise QualityInputError(field, "Must be a whole number.")
    if value < 0:
        raise QualityInputError(field, "Must not be negative.")
    if value > 10**15:
        raise QualityInputError(field, "Is too large.")
    return int(value)


def confusion(value: object, field: str) -> Confusion:
    if not isinstance(value, Mapping):
        raise QualityInputError(field, "Must be an object with tp, fp, tn and fn.")
    unknown = sorted(set(value) - {"tp", "fp", "tn", "fn"})
    if unknown:
        raise QualityInputError(
            f"{field}.{unknown[0]}", "Unknown count; give tp, fp, tn and fn."
        )
    counts = {}
    for name in ("tp", "fp", "tn", "fn"):
        if name not in value:
            raise QualityInputError(f"{field}.{name}", "This count is required.")
        counts[name] = count(value[name], f"{field}.{name}")
    return Confusion(**counts)


def score_bins(value: object, field: str) -> ScoreBins:
    if not isinstance(value, Mapping):
        raise QualityInputError(
            field, "Must be an object with bin_edges, positives and negatives."
        )
    unknown = sorted(set(value) - {"bin_edges", "positives", "negatives"})
    if unknown:
        raise QualityInputError(f"{field}.{unknown[0]}", "Unknown key.")
    for name in ("bin_edges", "positives", "negatives"):
        if name not in value:
            raise QualityInputError(f"{field}.{name}", "This list is required.")
        if not isinstance(value[name], list | tuple):
            raise QualityInputError(f"{field}.{name}", "Must be a list.")
    raw_edges = value["bin_edges"]
    if not 2 <= len(raw_edges) <= 10_001:
        raise QualityInputError(
            f"{field}.bin_edges", "Needs between 2 and 10,001 edges."
        )
    edges = np.empty(len(raw_edges), dtype=float)
    for index, edge in enumerate(raw_edges):
        if isinstance(edge, bool) or not isinstance(edge, int | float):
            raise QualityInputError(f"{field}.bin_edges[{index}]", "Must be a number.")
        if not (math.isfinite(edge) and 0 <= edge <= 1):
            raise QualityInputError(
                f"{field}.bin_edges[{index}]", "Must be a score between 0 and 1."
            )
        edges[index] = edge
    if np.any(np.diff(edges) <= 0):
        raise QualityInputError(f"{field}.bin_edges", "Must be strictly ascending.")
    sides = {}
    for name in ("positives", "negatives"):
        counts = value[name]
        if len(counts) != len(edges) - 1:
            raise QualityInputError(
                f"{field}.{name}", "Needs one count per bin (one fewer than the edges)."
            )
        sides[name] = np.array(
            [count(c, f"{field}.{name}[{i}]") for i, c in enumerate(counts)],
            dtype=np.int64,
        )
    return ScoreBins(edges, sides["positives"], sides["negatives"])


def same_length(payload: Mapping[str, object], fields: Sequence[str]) -> None:
    lengths = {field: len(payload[field]) for field in fields}  # type: ignore[arg-type]
    first = fields[0]
    for field in fields[1:]:
        if lengths[field] != lengths[first]:
            raise QualityInputError(
                field,
                f"Has {lengths[field]:,} values where {first} has "
                f"{lengths[first]:,}: one per row.",
            )
