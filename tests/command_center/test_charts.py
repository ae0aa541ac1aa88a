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
    assert "15 Nov 2026: psi 0.4, critical (version 3)" in svg
    assert 'class="threshold"' in svg and "threshold 0.2" in svg


def test_feature_names_are_escaped():
    series = DriftSeries(
        feature="<script>x</script>",
        environment="production",
        points=(point(1, 0.1, "ok"),),
    )

    svg = str(drift_chart("d", series))

    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg


def test_a_feature_never_evaluable_has_no_chart_but_a_sentence():
    series = DriftSeries(
        feature="f", environment="production", points=(point(1, None, "ok"),)
    )

    assert "No evaluable result" in str(drift_chart("d", series))
