"""Group fairness of binary decisions, from raw rows (prediction, label,
group) or per-group counts (tp, fp, tn, fn).

Per group: selection rate (tp + fp) / n, true positive rate tp / (tp + fn),
false positive rate fp / (fp + tn); a rate whose denominator is zero is null.
Against a reference group (the most favoured, highest selection rate, ties
to the first name; or one the caller names), per group the differences
(group - reference) and ratios (group / reference) of selection rate and true
positive rate. The report's numbers are the worst over the other groups:

- demographic_parity_difference: the largest |selection rate gap|;
- equal_opportunity_difference: the largest |true positive rate gap|;
- disparate_impact_ratio: the smallest selection-rate ratio; the four-fifths
  rule fails when it is below 0.8;
- equal_opportunity_ratio: the smallest true-positive-rate ratio.

Against the most favoured group the demographic parity difference is the
max - min difference fairlearn reports. A ratio is null when the reference
rate is 0 (nobody selected there: no ratio exists), a true-positive gap
leaves out groups without positives; a metric with nothing to compare is
null. A group with no rows, or fewer than two groups, is refused (400).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from drift.quality.constants import FOUR_FIFTHS, MOST_FAVOURED, NAMED
from drift.quality.inputs import (
    Confusion,
    QualityInputError,
    binary_array,
    confusion,
    group_name,
    label_list,
    same_length,
)

MAX_GROUPS = 200


@dataclass(frozen=True)
class FairnessInput:
    attribute: str
    groups: dict[str, Confusion]
    reference_group: str | None
    input_kind: str


@dataclass(frozen=True)
class GroupResult:
    group: str
    n: int
    positives: int
    selected: int
    tp: int
    fp: int
    tn: int
    fn: int
    selection_rate: float
    tpr: float | None
    fpr: float | None
    selection_rate_difference: float | None
    selection_rate_ratio: float | None
    tpr_difference: float | None
    tpr_ratio: float | None
    is_reference: bool
    fails_four_fifths: bool


@dataclass(frozen=True)
class FairnessResult:
    attribute: str
    input_kind: str
    reference_group: str
    reference_choice: str
    sample_size: int
    demographic_parity_difference: float | None
    equal_opportunity_difference: float | None
    disparate_impact_ratio: float | None
    equal_opportunity_ratio: float | None
    four_fifths_passed: bool | None
    groups: list[GroupResult]
    notes: list[str] = field(default_factory=list)

    def metrics(self) -> dict[str, float | None]:
        return {
            "demographic_parity_difference": self.demographic_parity_difference,
            "equal_opportunity_difference": self.equal_opportunity_difference,
            "disparate_impact_ratio": self.disparate_impact_ratio,
            "equal_opportunity_ratio": self.equal_opportunity_ratio,
        }


def parse_fairness(payload: Mapping[str, object], *, max_rows: int) -> FairnessInput:
    attribute = payload.get("attribute")
    if not isinstance(attribute, str) or not attribute.strip():
        raise QualityInputError("attribute", "Name the group attribute (e.g. sex).")
    if len(attribute) > 200:
        raise QualityInputError("attribute", "At most 200 characters.")
    reference = payload.get("reference_group")
    if reference is not None:
        reference = group_name(reference, "reference_group")
    raw = [n for n in ("predictions", "labels", "groups") if payload.get(n) is not None]
    counts = payload.get("group_counts")
    if raw and counts is not None:
        raise QualityInputError(
            "group_counts", "Send raw rows (predictions, labels, groups) or counts."
        )
    groups: dict[str, Confusion] = {}
    if counts is not None:
        kind = "summary"
        if not isinstance(counts, Mapping):
            raise QualityInputError(
                "group_counts", "Must be an object: group -> {tp, fp, tn, fn}."
            )
        if len(counts) > MAX_GROUPS:
            raise QualityInputError("group_counts", f"At most {MAX_GROUPS} groups.")
        for name, value in counts.items():
            label = group_name(name, "group_counts")
            groups[label] = confusion(value, f"group_counts.{label}")
    elif raw:
        kind = "raw"
        for name in ("predictions", "labels", "groups"):
            if name not in raw:
                raise QualityInputError(
                    name, "Raw rows need predictions, labels and groups."
                )
        predictions = binary_array(payload, "predictions", max_rows)
        labels = binary_array(payload, "labels", max_rows)
        names = label_list(payload, "groups", max_rows)
        same_length(payload, ["predictions", "labels", "groups"])
        rows: dict[str, list[int]] = {}
        for decision, label, name in zip(predictions, labels, names, strict=True):
            cell = rows.setdefault(name, [0, 0, 0, 0])
            cell[(0 if label else 1) if decision else (3 if label else 2)] += 1
        if len(rows) > MAX_GROUPS:
            raise QualityInputError("groups", f"At most {MAX_GROUPS} groups.")
        groups = {name: Confusion(*cell) for name, cell in sorted(rows.items())}
    else:
        raise QualityInputError(
            "group_counts",
            "Send raw rows (predictions, labels, groups) or group_counts.",
        )
    for name, matrix in groups.items():
        if matrix.n == 0:
            field_name = f"group_counts.{name}" if kind == "summary" else "groups"
            raise QualityInputError(field_name, f"Group {name!r} has no rows.")
    if len(groups) < 2:
        field_name = "group_counts" if kind == "summary" else "groups"
        raise QualityInputError(field_name, "Fairness compares at least two groups.")
    if reference is not None and reference not in groups:
        raise QualityInputError(
            "reference_group", f"No group {reference!r} in the report."
        )
    return FairnessInput(
        attribute=attribute.strip(),
        groups=groups,
        reference_group=reference,
        input_kind=kind,
    )


def _ratio(numerator: float, denominator: float) -> float | None:
    return None if denominator == 0 else numerator / denominator


def compute_fairness(data: FairnessInput) -> FairnessResult:
    rates = {}
    for name, m in data.groups.items():
        rates[name] = (
            (m.tp + m.fp) / m.n,
            _ratio(m.tp, m.tp + m.fn),
            _ratio(m.fp, m.fp + m.tn),
        )
    if data.reference_group is not None:
        reference, choice = data.reference_group, NAMED
    else:
        best = max(rate[0] for rate in rates.values())
        reference = min(name for name, rate in rates.items() if rate[0] == best)
        choice = MOST_FAVOURED
    ref_sel, ref_tpr, _ = rates[reference]
    notes: list[str] = []
    groups: list[GroupResult] = []
    for name, m in data.groups.items():
        sel, tpr, fpr = rates[name]
        is_ref = name == reference
        sel_ratio = _ratio(sel, ref_sel)
        tpr_diff = None if tpr is None or ref_tpr is None else tpr - ref_tpr
        tpr_ratio = None if tpr is None or not ref_tpr else tpr / ref_tpr
        groups.append(
            GroupResult(
                group=name,
                n=m.n,
                positives=m.tp + m.fn,
                selected=m.tp + m.fp,
                tp=m.tp,
                fp=m.fp,
                tn=m.tn,
                fn=m.fn,
                selection_rate=sel,
                tpr=tpr,
                fpr=fpr,
                selection_rate_difference=sel - ref_sel,
                selection_rate_ratio=sel_ratio,
                tpr_difference=tpr_diff,
                tpr_ratio=tpr_ratio,
                is_reference=is_ref,
                fails_four_fifths=sel_ratio is not None and sel_ratio < FOUR_FIFTHS,
            )
        )
    others = [group for group in groups if not group.is_reference]
    dpd = max(abs(g.selection_rate_difference or 0.0) for g in others)
    tpr_gaps = [abs(g.tpr_difference) for g in others if g.tpr_difference is not None]
    eod = max(tpr_gaps) if tpr_gaps else None
    ratios = [
        g.selection_rate_ratio for g in others if g.selection_rate_ratio is not None
    ]
    dir_ = min(ratios) if ratios else None
    tpr_ratios = [g.tpr_ratio for g in others if g.tpr_ratio is not None]
    eor = min(tpr_ratios) if tpr_ratios else None
    if ref_sel == 0:
        notes.append(
            f"the reference group {reference!r} selects nobody: no ratio exists"
        )
    if ref_tpr is None:
        notes.append(
            f"the reference group {reference!r} has no positives: equal "
            "opportunity is undefined"
        )
    elif len(tpr_gaps) < len(others):
        missing = [g.group for g in others if g.tpr is None]
        notes.append(
            "left out of equal opportunity (no positives): " + ", ".join(missing)
        )
    return FairnessResult(
        attribute=data.attribute,
        input_kind=data.input_kind,
        reference_group=reference,
        reference_choice=choice,
        sample_size=sum(group.n for group in groups),
        demographic_parity_difference=dpd,
        equal_opportunity_difference=eod,
        disparate_impact_ratio=dir_,
        equal_opportunity_ratio=eor,
        four_fifths_passed=None if dir_ is None else dir_ >= FOUR_FIFTHS,
        groups=groups,
        notes=notes,
    )
