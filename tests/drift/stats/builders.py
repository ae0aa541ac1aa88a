"""Inputs and tolerances for the drift statistics engine's tests."""

from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest
from hypothesis import settings
from hypothesis import strategies as st

from drift.stats import (
    CATEGORICAL,
    NUMERIC,
    FeatureInput,
    parse_feature,
)

TOLERANCE = 1e-9
FEW_EXAMPLES = settings(max_examples=40, deadline=None)


def raw_feature(
    kind: str, reference: Any, current: Any, **options: Any
) -> FeatureInput:
    payload = {
        "name": "x",
        "kind": kind,
        "reference": {"values": reference},
        "current": {"values": current},
        **options,
    }
    return parse_feature(payload)


def numeric(reference: Any, current: Any, **options: Any) -> FeatureInput:
    return raw_feature(NUMERIC, reference, current, **options)


def categorical(reference: Any, current: Any, **options: Any) -> FeatureInput:
    return raw_feature(CATEGORICAL, reference, current, **options)


def binned(
    edges: Sequence[float | None],
    reference: Sequence[int],
    current: Sequence[int],
    **options: Any,
) -> FeatureInput:
    return parse_feature(
        {
            "name": "x",
            "kind": NUMERIC,
            "reference": {"bin_edges": edges, "counts": reference},
            "current": {"bin_edges": edges, "counts": current},
            **options,
        }
    )


def category_counts(
    reference: dict[str, int], current: dict[str, int], **options: Any
) -> FeatureInput:
    return parse_feature(
        {
            "name": "x",
            "kind": CATEGORICAL,
            "reference": {"categories": reference},
            "current": {"categories": current},
            **options,
        }
    )


def close(expected: float) -> Any:
    return pytest.approx(expected, rel=TOLERANCE, abs=TOLERANCE)


@st.composite
def numeric_samples(draw: st.DrawFn, max_size: int = 600) -> tuple[np.ndarray, ...]:
    """Two samples of assorted sizes and shapes: continuous, shifted, tied, skewed."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    sizes = (draw(st.integers(1, max_size)), draw(st.integers(1, max_size)))
    shape = draw(st.sampled_from(["normal", "shifted", "ties", "skewed", "narrow"]))
    shift = draw(st.floats(-2, 2))
    if shape == "ties":
        levels = draw(st.integers(1, 30))
        return tuple(rng.integers(0, levels, size).astype(float) for size in sizes)
    if shape == "skewed":
        return rng.lognormal(0, 1, sizes[0]), rng.lognormal(shift / 4, 1, sizes[1])
    if shape == "narrow":
        return rng.normal(0, 1e-5, sizes[0]), rng.normal(1e-5, 1e-5, sizes[1])
    offset = shift if shape == "shifted" else 0.0
    return rng.normal(0, 1, sizes[0]), rng.normal(offset, 1, sizes[1])


@st.composite
def category_samples(draw: st.DrawFn) -> tuple[list[str | None], list[str | None]]:
    """Two samples of letters, with missing values, categories may be one-sided."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    letters = [None, *"abcdefgh"[: draw(st.integers(1, 8))]]

    def sample(size: int) -> list[str | None]:
        weights = rng.dirichlet(np.ones(len(letters)))
        return [letters[i] for i in rng.choice(len(letters), size, p=weights)]

    return sample(draw(st.integers(1, 400))), sample(draw(st.integers(1, 400)))


def letter_counts(values: list[str | None], letters: list[str]) -> np.ndarray:
    return np.array([values.count(letter) for letter in letters])
