"""drift.stats.analysis: per-feature severity and the report summary."""

import dataclasses

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from drift.stats import (
    JENSENSHANNON,
    KS,
    MAX_MAGNITUDE,
    PSI,
    SEVERITY_CRITICAL,
    SEVERITY_OK,
    SEVERITY_WARNING,
    WASSERSTEIN,
    DriftInputError,
    FeatureResult,
    analyse_feature,
    severity_for,
    summarise_report,
    worst_severity,
)
from tests.drift.stats.builders import (
    FEW_EXAMPLES,
    category_counts,
    numeric,
)

# --- severity and the report ------------------------------------------------------


@pytest.mark.parametrize(
    ("drifted", "psi", "severity"),
    [
        (False, 3.0, SEVERITY_OK),
        (True, 0.2499999, SEVERITY_WARNING),
        (True, 0.25, SEVERITY_CRITICAL),
        (True, None, SEVERITY_WARNING),
    ],
)
def test_severity_is_critical_from_psi_025_when_drifted(
    drifted: bool, psi: float | None, severity: str
) -> None:
    assert severity_for(drifted=drifted, psi=psi) == severity


def test_drifted_feature_with_small_psi_is_a_warning() -> None:
    # PSI 0.1·ln 1.2 + 0.1·ln 1.25 ≈ 0.0405, above the 0.04 threshold
    result = analyse_feature(
        category_counts(
            {"a": 50, "b": 50}, {"a": 60, "b": 40}, method=PSI, threshold=0.04
        )
    )

    assert (result.drifted, result.severity) == (True, SEVERITY_WARNING)


def test_drifted_feature_with_large_psi_is_critical() -> None:
    rng = np.random.default_rng(5)

    result = analyse_feature(numeric(rng.normal(0, 1, 3000), rng.normal(1, 1, 3000)))

    assert result.method == WASSERSTEIN
    assert result.psi is not None and result.psi >= 0.25
    assert (result.drifted, result.severity) == (True, SEVERITY_CRITICAL)


def test_worst_severity_orders_ok_warning_critical() -> None:
    assert worst_severity([]) == SEVERITY_OK
    assert worst_severity([SEVERITY_WARNING, SEVERITY_OK]) == SEVERITY_WARNING
    assert worst_severity([SEVERITY_WARNING, SEVERITY_CRITICAL]) == SEVERITY_CRITICAL


def feature_result(*, drifted: bool, evaluable: bool = True) -> FeatureResult:
    base = analyse_feature(numeric([1.0, 2.0], [1.0, 2.0]))
    severity = SEVERITY_WARNING if drifted else SEVERITY_OK
    return dataclasses.replace(
        base, drifted=drifted, evaluable=evaluable, severity=severity
    )


@pytest.mark.parametrize(
    ("drifted_flags", "share", "dataset_drift"),
    [
        ([True, True, False, False], 0.5, True),
        ([True, False, False], 1 / 3, False),
        ([True], 1.0, True),
        ([False], 0.0, False),
    ],
)
def test_dataset_drift_when_half_of_the_evaluable_features_drift(
    drifted_flags: list[bool], share: float, dataset_drift: bool
) -> None:
    results = [feature_result(drifted=flag) for flag in drifted_flags]

    summary = summarise_report(results)

    assert summary.drift_share == pytest.approx(share)
    assert summary.dataset_drift is dataset_drift
    assert summary.n_drifted == sum(drifted_flags)


def test_report_share_leaves_out_features_that_are_not_evaluable() -> None:
    results = [
        feature_result(drifted=True),
        feature_result(drifted=False),
        feature_result(drifted=False, evaluable=False),
        feature_result(drifted=False, evaluable=False),
    ]

    summary = summarise_report(results)

    assert (summary.n_features, summary.n_evaluable) == (4, 2)
    assert summary.drift_share == 0.5
    assert summary.dataset_drift
    assert summary.severity == SEVERITY_WARNING


def test_report_without_evaluable_features_has_no_drift() -> None:
    summary = summarise_report([feature_result(drifted=False, evaluable=False)])

    assert (summary.drift_share, summary.dataset_drift) == (0.0, False)


def test_report_uses_the_callers_dataset_drift_share() -> None:
    results = [feature_result(drifted=True)] + [feature_result(drifted=False)] * 2

    assert summarise_report(results, dataset_drift_share=0.3).dataset_drift
    with pytest.raises(DriftInputError):
        summarise_report(results, dataset_drift_share=1.5)


# --- extreme magnitudes --------------------------------------------------------

_EXTREME = st.floats(
    min_value=-MAX_MAGNITUDE, max_value=MAX_MAGNITUDE, allow_nan=False
) | st.sampled_from([-MAX_MAGNITUDE, MAX_MAGNITUDE, 5e-324, -0.0])


@FEW_EXAMPLES
@given(
    st.lists(_EXTREME, min_size=1, max_size=60),
    st.lists(_EXTREME, min_size=1, max_size=60),
    st.sampled_from([KS, WASSERSTEIN, PSI, JENSENSHANNON]),
)
def test_any_numbers_within_the_limit_give_finite_statistics(
    reference: list[float], current: list[float], method: str
) -> None:
    result = analyse_feature(numeric(reference, current, method=method))

    assert result.severity in (SEVERITY_OK, SEVERITY_WARNING, SEVERITY_CRITICAL)
    if result.evaluable:
        assert np.isfinite(result.statistic)


def test_numbers_beyond_the_limit_are_refused_naming_the_item() -> None:
    spread = np.linspace(-1.0, 1.0, 200) * 1.7e308

    with pytest.raises(DriftInputError) as raised:
        analyse_feature(numeric(spread.tolist(), [1.0, 2.0]))

    assert raised.value.field == "reference.values"
    assert "Item 0 (-1.7e+308) is beyond ±1e+100" in str(raised.value)
