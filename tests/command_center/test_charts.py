"""Charts are inline SVG with text for every colour, and escape their input."""

from datetime import UTC, date, datetime, timedelta

from command_center.charts import drift_chart, trend_chart
from command_center.selectors import DriftPoint, DriftSeries


def point(day: int, statistic: float | None, severity: str) -> DriftPoint:
    return DriftPoint(
        at=datetime(2026, 11, day, tzinfo=UTC),
        version=3,
        method="psi",
        statistic=statistic,
        p_value=None,
        threshold=0.2,
        psi=statistic,
        severity=severity,
        drifted=severity != "ok",
        evaluable=statistic is not None,
    )


def test_the_trend_chart_describes_its_line_in_words():
    start = date(2026, 6, 1)
    points = [(start + timedelta(days=i), 0.5 + i / 100) for i in range(10)]

    svg = str(trend_chart("trend", points, title="Compliance"))

    assert svg.startswith('<svg class="chart"')
    assert 'role="img"' in svg and 'aria-labelledby="trend-title trend-desc"' in svg
    assert "From 50.0% on 01 Jun 2026 to 59.0% on 10 Jun 2026" in svg
    assert "<polyline" in svg


def test_a_trend_without_snapshots_says_so():
    assert "No snapshots yet" in str(trend_chart("t", [], title="x"))


def test_drift_marks_have_a_shape_and_a_sentence_per_severity():
    series = DriftSeries(
        feature="age",
        environment="production",
        method="psi",
        points=(
            point(1, 0.05, "ok"),
            point(8, 0.22, "warning"),
            point(15, 0.4, "critical"),
        ),
    )

    svg = str(drift_chart("d", series))

    assert '<g class="mark sev-ok"><circle' in svg
    assert '<g class="mark sev-warning"><polygon' in svg
    assert '<g class="mark sev-critical"><rect' in svg
    assert "15 Nov 2026: PSI distance 0.4, critical (version 3)" in svg
    assert 'class="threshold"' in svg
    assert "PSI distance, alert at or above 0.2" in svg


def test_feature_names_are_escaped():
    series = DriftSeries(
        feature="<script>x</script>",
        environment="production",
        method="psi",
        points=(point(1, 0.1, "ok"),),
    )

    svg = str(drift_chart("d", series))

    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg


def test_a_feature_never_evaluable_has_no_chart_but_a_sentence():
    series = DriftSeries(
        feature="f",
        environment="production",
        method="psi",
        points=(point(1, None, "ok"),),
    )

    assert "No evaluable result" in str(drift_chart("d", series))


def p_value_point(day: int, statistic: float, p_value: float, severity: str):
    return DriftPoint(
        at=datetime(2026, 11, day, tzinfo=UTC),
        version=2,
        method="ks",
        statistic=statistic,
        p_value=p_value,
        threshold=0.05,
        psi=0.1,
        severity=severity,
        drifted=p_value < 0.05,
        evaluable=True,
    )


def test_a_ks_chart_plots_the_p_value_against_alpha_not_the_statistic():
    series = DriftSeries(
        feature="age",
        environment="production",
        method="ks",
        points=(
            p_value_point(1, 0.08, 0.41, "ok"),
            p_value_point(8, 0.29, 0.003, "warning"),
        ),
    )

    svg = str(drift_chart("d", series))

    assert "p-value, alert below \N{GREEK SMALL LETTER ALPHA} = 0.05" in svg
    assert "08 Nov 2026: p-value 0.003, warning (version 2)" in svg
    assert "01 Nov 2026: p-value 0.41, ok (version 2)" in svg
    # The statistic D (0.29) is not what is drawn against the threshold.
    assert "0.29" not in svg
    assert "Latest p-value 0.003" in svg


def test_a_p_value_chart_draws_alpha_where_its_value_lies():
    series = DriftSeries(
        feature="country",
        environment="staging",
        method="chisquare",
        points=(p_value_point(1, 12.0, 0.5, "ok"),),
    )

    svg = str(drift_chart("d", series))

    # Scale 0..0.575 (0.5 with headroom) over 170 px from y=12: alpha 0.05 at
    # 12 + 170 * (1 - 0.05 / 0.575).
    assert '<line class="threshold" x1="44" x2="508" y1="167.2" y2="167.2"/>' in svg
    assert "12.0" not in svg.split("<title")[0]


def test_a_distance_chart_plots_the_distance_against_its_threshold():
    series = DriftSeries(
        feature="income",
        environment="production",
        method="wasserstein",
        points=(point(1, 0.36, "warning"),),
    )

    svg = str(drift_chart("d", series))

    assert "Wasserstein distance, alert at or above 0.2" in svg
    assert "Latest Wasserstein distance 0.36" in svg
