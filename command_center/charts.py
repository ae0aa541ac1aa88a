"""Charts as inline SVG, drawn on the server: no script, no external request,
nothing the Content-Security-Policy has to allow. Colours come from classes in
the project's stylesheet (an inline style would need 'unsafe-inline'), and every
chart has a title, a description and a data table beside it, so the numbers
never depend on seeing a colour."""

from collections.abc import Sequence
from datetime import date, datetime

from django.template.defaultfilters import pluralize
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from drift.quality.constants import LOWER_IS_BETTER
from drift.stats import (
    CHISQUARE,
    JENSENSHANNON,
    KS,
    P_VALUE_METHODS,
    PSI,
    WASSERSTEIN,
)

WIDTH = 520
HEIGHT = 210
MARGIN_LEFT = 44
MARGIN_RIGHT = 12
MARGIN_TOP = 12
MARGIN_BOTTOM = 28

# A shape per severity as well as a colour: ok circle, warning triangle,
# critical square.
_SHAPES = {"ok": "circle", "warning": "triangle", "critical": "square"}


def _svg_html(template: str, *args: object) -> SafeString:
    """format_html with floats written to one decimal (format_html escapes
    its arguments to strings first, so format specs cannot be used)."""
    return format_html(
        template, *(f"{arg:.1f}" if isinstance(arg, float) else arg for arg in args)
    )


def _x(index: int, count: int) -> float:
    span = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    if count <= 1:
        return MARGIN_LEFT + span / 2
    return MARGIN_LEFT + span * index / (count - 1)


def _y(value: float, top: float) -> float:
    span = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    share = 0.0 if top <= 0 else min(max(value / top, 0.0), 1.0)
    return MARGIN_TOP + span * (1 - share)


def _axis(top: float, ticks: Sequence[float], label: str, percent: bool) -> SafeString:
    lines = []
    for tick in ticks:
        y = _y(tick, top)
        text = f"{tick * 100:.0f}%" if percent else f"{tick:.2g}"
        lines.append(
            _svg_html(
                '<line class="grid" x1="{}" x2="{}" y1="{}" y2="{}"/>'
                '<text class="tick" x="{}" y="{}" text-anchor="end">{}</text>',
                MARGIN_LEFT,
                WIDTH - MARGIN_RIGHT,
                y,
                y,
                MARGIN_LEFT - 6,
                y + 4,
                text,
            )
        )
    return mark_safe("".join(lines))


def _svg(chart_id: str, title: str, description: str, body: SafeString) -> SafeString:
    return format_html(
        '<svg class="chart" viewBox="0 0 {} {}" role="img" '
        'aria-labelledby="{}-title {}-desc" preserveAspectRatio="xMidYMid meet">'
        '<title id="{}-title">{}</title><desc id="{}-desc">{}</desc>{}</svg>',
        WIDTH,
        HEIGHT,
        chart_id,
        chart_id,
        chart_id,
        title,
        chart_id,
        description,
        body,
    )


def _date_labels(days: Sequence[date | datetime], count: int = 4) -> SafeString:
    if not days:
        return mark_safe("")
    last = len(days) - 1
    picks = sorted({round(i * last / max(count - 1, 1)) for i in range(count)})
    labels = []
    for index in picks:
        # The outer labels align inwards, so none is cut at the chart's edge.
        anchor = "middle"
        if last and index == 0:
            anchor = "start"
        elif last and index == last:
            anchor = "end"
        labels.append(
            _svg_html(
                '<text class="tick" x="{}" y="{}" text-anchor="{}">{}</text>',
                _x(index, len(days)),
                HEIGHT - 8,
                anchor,
                f"{days[index]:%d %b}",
            )
        )
    return mark_safe("".join(labels))


def trend_chart(
    chart_id: str, points: Sequence[tuple[date, float | None]], *, title: str
) -> SafeString:
    """A line of a rate (0-1) over days; days without a value break the line."""
    known = [(day, rate) for day, rate in points if rate is not None]
    if not known:
        return format_html('<p class="empty">{}</p>', "No snapshots yet.")
    days = [day for day, _ in points]
    segments: list[list[str]] = [[]]
    for index, (_day, rate) in enumerate(points):
        if rate is None:
            segments.append([])
            continue
        segments[-1].append(f"{_x(index, len(points)):.1f},{_y(rate, 1.0):.1f}")
    lines = format_html_join(
        "",
        '<polyline class="line" points="{}"/>',
        ((" ".join(segment),) for segment in segments if segment),
    )
    first_day, first = known[0]
    last_day, last = known[-1]
    description = (
        f"From {first * 100:.1f}% on {first_day:%d %b %Y} "
        f"to {last * 100:.1f}% on {last_day:%d %b %Y}, "
        f"lowest {min(r for _, r in known) * 100:.1f}%, "
        f"highest {max(r for _, r in known) * 100:.1f}%."
    )
    last_index = max(i for i, (_, rate) in enumerate(points) if rate is not None)
    marker = _svg_html(
        '<circle class="dot" cx="{}" cy="{}" r="4"/>'
        '<text class="value" x="{}" y="{}" text-anchor="end">{}</text>',
        _x(last_index, len(points)),
        _y(last, 1.0),
        _x(last_index, len(points)) - 6,
        _y(last, 1.0) - 8,
        f"{last * 100:.1f}%",
    )
    body = mark_safe(
        _axis(1.0, (0, 0.25, 0.5, 0.75, 1.0), "rate", percent=True)
        + lines
        + marker
        + _date_labels(days)
    )
    return _svg(chart_id, title, description, body)


def _severity_mark(x: float, y: float, severity: str, label: str) -> SafeString:
    shape = _SHAPES.get(severity, "square")
    if shape == "circle":
        mark = _svg_html('<circle cx="{}" cy="{}" r="4"/>', x, y)
    elif shape == "triangle":
        mark = _svg_html(
            '<polygon points="{},{} {},{} {},{}"/>',
            x,
            y - 5,
            x - 5,
            y + 4,
            x + 5,
            y + 4,
        )
    else:
        mark = _svg_html('<rect x="{}" y="{}" width="9" height="9"/>', x - 4.5, y - 4.5)
    return format_html(
        '<g class="mark sev-{}">{}<title>{}</title></g>', severity, mark, label
    )


# What each drift method's chart plots (docs/design.md §5): the quantity
# that decides drift, against its own threshold.
ALPHA = "\N{GREEK SMALL LETTER ALPHA}"
_METHOD_NAMES = {
    KS: "Kolmogorov-Smirnov",
    CHISQUARE: "chi-square",
    WASSERSTEIN: "Wasserstein",
    JENSENSHANNON: "Jensen-Shannon",
    PSI: "PSI",
}


def drift_measure(method: str) -> str:
    """What a drift chart of `method` plots: "p-value" for the tests that
    have one, else "<method> distance"."""
    if method in P_VALUE_METHODS:
        return "p-value"
    return f"{_METHOD_NAMES.get(method, method)} distance"


def drift_rule(method: str, threshold: float) -> str:
    """When `method` alerts, in words: "p-value, alert below alpha = 0.05",
    with the Greek letter."""
    if method in P_VALUE_METHODS:
        return f"p-value, alert below {ALPHA} = {threshold:.3g}"
    return f"{drift_measure(method)}, alert at or above {threshold:.3g}"


def _plotted(point, method: str) -> float | None:
    return point.p_value if method in P_VALUE_METHODS else point.statistic


def drift_chart(chart_id: str, series) -> SafeString:
    """A feature's drift over time as its method decides it: the p-value
    against alpha for KS and chi-square, the distance against its threshold for
    the others; the threshold dashed and labelled with the rule, each report
    marked by severity (shape and colour) with a tooltip."""
    method = series.method
    measure = drift_measure(method)
    points = [
        (point, value)
        for point in series.points
        if (value := _plotted(point, method)) is not None
    ]
    if not points:
        return format_html(
            '<p class="empty">{}</p>', "No evaluable result to chart for this feature."
        )
    thresholds = {
        point.threshold for point, _value in points if point.threshold is not None
    }
    top = max([value for _point, value in points] + list(thresholds) + [1e-9]) * 1.15
    if method in P_VALUE_METHODS:
        top = min(top, 1.0)
    count = len(points)
    polyline = format_html(
        '<polyline class="line" points="{}"/>',
        " ".join(
            f"{_x(i, count):.1f},{_y(value, top):.1f}"
            for i, (_point, value) in enumerate(points)
        ),
    )
    threshold_line = mark_safe("")
    rule = measure
    if len(thresholds) == 1:
        (threshold,) = thresholds
        rule = drift_rule(method, threshold)
        # Label above the line, or below it when the line runs along the top.
        label_y = _y(threshold, top) - 4
        if label_y < MARGIN_TOP + 10:
            label_y = _y(threshold, top) + 12
        threshold_line = _svg_html(
            '<line class="threshold" x1="{}" x2="{}" y1="{}" y2="{}"/>'
            '<text class="tick" x="{}" y="{}" text-anchor="start">{}</text>',
            MARGIN_LEFT,
            WIDTH - MARGIN_RIGHT,
            _y(threshold, top),
            _y(threshold, top),
            MARGIN_LEFT + 4,
            label_y,
            rule,
        )
    marks = mark_safe(
        "".join(
            _severity_mark(
                _x(i, count),
                _y(value, top),
                point.severity,
                f"{point.at:%d %b %Y}: {measure} {value:.3g}, {point.severity}"
                f" (version {point.version})",
            )
            for i, (point, value) in enumerate(points)
        )
    )
    latest, latest_value = points[-1]
    description = (
        f"{count} report{pluralize(count)} of {series.feature} in "
        f"{series.environment}, {_METHOD_NAMES.get(method, method)}: {rule}. "
        f"Latest {measure} {latest_value:.3g} on {latest.at:%d %b %Y}, "
        f"severity {latest.severity}."
    )
    # A p-value's scale may stop at 1; a distance's has headroom above its top.
    peak = top if method in P_VALUE_METHODS else top / 1.15
    ticks = (0, peak / 2, peak)
    body = mark_safe(
        _axis(top, ticks, measure, percent=False)
        + threshold_line
        + polyline
        + marks
        + _date_labels([point.at for point, _value in points])
    )
    return _svg(
        chart_id,
        f"Drift of {series.feature} in {series.environment}",
        description,
        body,
    )


# --- performance and fairness -----------------------------------------------------


def _limit_line(value: float, top: float, label: str, css: str) -> SafeString:
    label_y = _y(value, top) - 4
    if label_y < MARGIN_TOP + 10:
        label_y = _y(value, top) + 12
    return _svg_html(
        '<line class="{}" x1="{}" x2="{}" y1="{}" y2="{}"/>'
        '<text class="tick" x="{}" y="{}" text-anchor="start">{}</text>',
        css,
        MARGIN_LEFT,
        WIDTH - MARGIN_RIGHT,
        _y(value, top),
        _y(value, top),
        MARGIN_LEFT + 4,
        label_y,
        label,
    )


def _performance_severity(value: float, series) -> str:
    lower_is_better = series.metric in LOWER_IS_BETTER
    if series.warning is None:
        return "ok"
    if series.critical is not None and (
        value > series.critical if lower_is_better else value < series.critical
    ):
        return "critical"
    past = value > series.warning if lower_is_better else value < series.warning
    return "warning" if past else "ok"


def performance_chart(chart_id: str, series) -> SafeString:
    """One performance metric of one environment over time on a 0-1 scale,
    the environment's floor (or, for ece, maximum) dashed, each report
    marked by the severity its value earns (shape and colour)."""
    points = series.points
    count = len(points)
    top = 1.0
    polyline = format_html(
        '<polyline class="line" points="{}"/>',
        " ".join(
            f"{_x(i, count):.1f},{_y(point.value, top):.1f}"
            for i, point in enumerate(points)
        ),
    )
    kind = "maximum" if series.metric in LOWER_IS_BETTER else "floor"
    limits = mark_safe("")
    rule = f"no {kind} set in {series.environment}"
    if series.warning is not None:
        rule = f"{kind} {series.warning:.3g}"
        limits = _limit_line(series.warning, top, rule, "threshold")
        if series.critical is not None:
            rule += f", critical at {series.critical:.3g}"
            limits = mark_safe(
                limits
                + _limit_line(
                    series.critical,
                    top,
                    f"critical {series.critical:.3g}",
                    "threshold critical",
                )
            )
    marks = mark_safe(
        "".join(
            _severity_mark(
                _x(i, count),
                _y(point.value, top),
                (severity := _performance_severity(point.value, series)),
                f"{point.at:%d %b %Y}: {series.metric} {point.value:.3g}, "
                f"{severity} (version {point.version}, n = {point.sample_size})",
            )
            for i, point in enumerate(points)
        )
    )
    latest = points[-1]
    description = (
        f"{count} performance report{pluralize(count)} in {series.environment}: "
        f"{series.metric} from {points[0].value:.3g} to {latest.value:.3g} "
        f"(latest on {latest.at:%d %b %Y}); {rule}."
    )
    body = mark_safe(
        _axis(top, (0, 0.25, 0.5, 0.75, 1.0), series.metric, percent=False)
        + limits
        + polyline
        + marks
        + _date_labels([point.at for point in points])
    )
    return _svg(
        chart_id,
        f"{series.metric} of the model in {series.environment}",
        description,
        body,
    )


def fairness_chart(chart_id: str, report) -> SafeString:
    """Per group of one fairness report: the selection rate as a bar, and
    its ratio to the reference group's as a mark against the four-fifths
    line (0.8 of the reference rate, dashed); a group under it is marked as
    a warning (triangle), the others as ok (circle)."""
    groups = list(report.groups.all())
    count = len(groups)
    span = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    slot = span / max(count, 1)
    bar = min(slot * 0.5, 48)
    ratios = [g.selection_rate_ratio for g in groups if g.selection_rate_ratio]
    top = max([1.0, *ratios]) * 1.1
    bars, labels = [], []
    for index, group in enumerate(groups):
        centre = MARGIN_LEFT + slot * (index + 0.5)
        bars.append(
            _svg_html(
                '<rect class="bar" x="{}" y="{}" width="{}" height="{}">'
                "<title>{}</title></rect>",
                centre - bar / 2,
                _y(group.selection_rate, top),
                bar,
                _y(0, top) - _y(group.selection_rate, top),
                f"{group.group}: selection rate {group.selection_rate:.3f} "
                f"of {group.n} rows",
            )
        )
        if group.selection_rate_ratio is not None:
            severity = "warning" if group.fails_four_fifths else "ok"
            bars.append(
                _severity_mark(
                    centre,
                    _y(group.selection_rate_ratio, top),
                    severity,
                    f"{group.group}: {group.selection_rate_ratio:.3f} of the "
                    f"reference rate, {severity}",
                )
            )
        name = group.group if len(group.group) <= 14 else group.group[:13] + "…"
        labels.append(
            _svg_html(
                '<text class="tick" x="{}" y="{}" text-anchor="middle">{}</text>',
                centre,
                HEIGHT - 8,
                name + (" (ref.)" if group.is_reference else ""),
            )
        )
    failing = [g.group for g in groups if g.fails_four_fifths]
    ratio = report.disparate_impact_ratio
    description = (
        f"{count} groups by {report.attribute} in {report.environment.name}, "
        f"reference {report.reference_group}: "
        + (
            f"disparate impact ratio {ratio:.3f}, "
            if ratio is not None
            else "no disparate impact ratio (the reference selects nobody), "
        )
        + (
            f"under four fifths: {', '.join(failing)}."
            if failing
            else "no group under four fifths of the reference rate."
        )
    )
    body = mark_safe(
        _axis(top, (0, 0.5, 1.0), "rate", percent=False)
        + _limit_line(0.8, top, "four fifths of the reference rate", "threshold")
        + mark_safe("".join(bars))
        + mark_safe("".join(labels))
    )
    return _svg(
        chart_id,
        f"Selection by {report.attribute} in {report.environment.name}",
        description,
        body,
    )
