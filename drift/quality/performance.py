"""Classifier performance from raw (score or decision, label) pairs or from
summaries: a confusion matrix, scores binned with positive and negative
counts per bin.

- AUC from raw scores is exact: the Mann-Whitney statistic with ties counted
  half, as ``sklearn.metrics.roc_auc_score``. From binned scores every score
  in a bin counts as tied: exactly the AUC of the data with each score moved
  to its bin, a lower bound on the raw AUC up to the ties inside bins
  (``auc_method`` says ``binned``). With one class only AUC is undefined: null.
- Precision is null when nothing was predicted positive, recall when nothing
  is positive, F1 (2tp / (2tp + fp + fn)) when both are: a defined null where
  scikit-learn answers 0 with a warning.
- Expected calibration error: ten equal-width bins over [0, 1] (a score on
  an inner edge goes to the lower bin, as ``calibration_curve``), the
  count-weighted mean of |share positive - mean score| per bin. From binned
  scores the mean score of a bin is its midpoint (``ece_method``
  ``binned-midpoint``), on the caller's bins.
- Decisions come from the predictions when given, else from scores at the
  decision threshold (score >= threshold is positive, default 0.5); from
  binned scores the threshold must be one of the edges.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from scipy.stats import rankdata

from drift.quality.constants import (
    AUC_BINNED,
    AUC_EXACT,
    DEFAULT_DECISION_THRESHOLD,
    ECE_BINS,
)
from drift.quality.inputs import (
    Confusion,
    QualityInputError,
    ScoreBins,
    binary_array,
    confusion,
    same_length,
    score_array,
    score_bins,
)

RAW_FIELDS = ("labels", "scores", "predictions")
SUMMARY_FIELDS = ("confusion_matrix", "score_bins")


@dataclass(frozen=True)
class PerformanceInput:
    """A checked performance payload: raw arrays or summaries."""

    labels: np.ndarray | None = None
    scores: np.ndarray | None = None
    predictions: np.ndarray | None = None
    confusion: Confusion | None = None
    bins: ScoreBins | None = None
    decision_threshold: float = DEFAULT_DECISION_THRESHOLD

    @property
    def is_raw(self) -> bool:
        return self.labels is not None

    @property
    def rows(self) -> int:
        return 0 if self.labels is None else int(self.labels.size)


@dataclass(frozen=True)
class PerformanceResult:
    """Every metric of a report; a metric that cannot be computed is None and
    `notes` says why."""

    input_kind: str
    sample_size: int
    positives: int
    positives_share: float
    auc: float | None
    auc_method: str
    accuracy: float | None
    precision: float | None
    recall: float | None
    f1: float | None
    ece: float | None
    ece_method: str
    decision_threshold: float | None
    confusion: Confusion | None
    calibration: list[dict[str, float | int]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def metrics(self) -> dict[str, float | None]:
        return {
            "auc": self.auc,
            "accuracy": self.accuracy,
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
            "ece": self.ece,
        }


def parse_performance(
    payload: Mapping[str, object], *, max_rows: int
) -> PerformanceInput:
    """The payload's raw pairs or summaries, checked; errors name the field."""
    raw = [name for name in RAW_FIELDS if payload.get(name) is not None]
    summaries = [name for name in SUMMARY_FIELDS if payload.get(name) is not None]
    if raw and summaries:
        raise QualityInputError(
            summaries[0],
            f"Send raw pairs ({', '.join(raw)}) or summaries, not both.",
        )
    threshold = payload.get("decision_threshold")
    if threshold is None:
        decision = DEFAULT_DECISION_THRESHOLD
    elif (
        isinstance(threshold, bool)
        or not isinstance(threshold, int | float)
        or not 0 <= threshold <= 1
    ):
        raise QualityInputError("decision_threshold", "Must be between 0 and 1.")
    else:
        decision = float(threshold)
    if raw:
        if "labels" not in raw:
            raise QualityInputError("labels", "Raw pairs need the ground truth labels.")
        if len(raw) == 1:
            raise QualityInputError(
                "scores", "Give scores or predictions beside the labels."
            )
        labels = binary_array(payload, "labels", max_rows)
        scores = score_array(payload, "scores", max_rows) if "scores" in raw else None
        predictions = (
            binary_array(payload, "predictions", max_rows)
            if "predictions" in raw
            else None
        )
        same_length(payload, ["labels", *[name for name in raw if name != "labels"]])
        return PerformanceInput(
            labels=labels,
            scores=scores,
            predictions=predictions,
            decision_threshold=decision,
        )
    if not summaries:
        raise QualityInputError(
            "labels",
            "Send raw pairs (labels with scores or predictions) or summaries "
            "(confusion_matrix, score_bins).",
        )
    matrix = (
        confusion(payload["confusion_matrix"], "confusion_matrix")
        if "confusion_matrix" in summaries
        else None
    )
    bins = (
        score_bins(payload["score_bins"], "score_bins")
        if "score_bins" in summaries
        else None
    )
    if matrix is not None and matrix.n == 0:
        raise QualityInputError("confusion_matrix", "Counts nothing: no observations.")
    if bins is not None:
        total = int(bins.positives.sum() + bins.negatives.sum())
        if total == 0:
            raise QualityInputError("score_bins", "Counts nothing: no observations.")
        if matrix is not None and matrix.n != total:
            raise QualityInputError(
                "confusion_matrix",
                f"Counts {matrix.n:,} observations where score_bins counts {total:,}.",
            )
        if (
            matrix is None
            and threshold is not None
            and not np.any(np.isclose(bins.edges, decision, rtol=0, atol=1e-12))
        ):
            raise QualityInputError(
                "decision_threshold",
                "With binned scores the decision threshold must be one of the "
                "bin edges.",
            )
    return PerformanceInput(confusion=matrix, bins=bins, decision_threshold=decision)


def _ratio(numerator: int, denominator: int) -> float | None:
    return None if denominator == 0 else numerator / denominator


def auc_from_scores(labels: np.ndarray, scores: np.ndarray) -> float | None:
    """Mann-Whitney AUC, ties counted half; None with one class only."""
    positives = int(labels.sum())
    negatives = int(labels.size - positives)
    if positives == 0 or negatives == 0:
        return None
    ranks = rankdata(scores)
    rank_sum = float(ranks[labels].sum())
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


def auc_from_bins(bins: ScoreBins) -> float | None:
    """AUC with the scores of a bin tied; None with one class only."""
    positives = bins.positives.astype(float)
    negatives = bins.negatives.astype(float)
    total_pos, total_neg = positives.sum(), negatives.sum()
    if total_pos == 0 or total_neg == 0:
        return None
    # For each bin's negatives: the positives above them, and half of those tied.
    above = np.concatenate([np.cumsum(positives[::-1])[::-1][1:], [0.0]])
    wins = float(np.sum(negatives * (above + 0.5 * positives)))
    return wins / (total_pos * total_neg)


def confusion_from(labels: np.ndarray, decisions: np.ndarray) -> Confusion:
    return Confusion(
        tp=int(np.sum(decisions & labels)),
        fp=int(np.sum(decisions & ~labels)),
        tn=int(np.sum(~decisions & ~labels)),
        fn=int(np.sum(~decisions & labels)),
    )


def confusion_from_bins(bins: ScoreBins, threshold: float) -> Confusion | None:
    """Decisions at `threshold`, when it is one of the edges."""
    matches = np.flatnonzero(np.isclose(bins.edges, threshold, rtol=0, atol=1e-12))
    if matches.size == 0:
        return None
    cut = int(matches[0])  # bins from `cut` on lie at or above the threshold
    return Confusion(
        tp=int(bins.positives[cut:].sum()),
        fp=int(bins.negatives[cut:].sum()),
        tn=int(bins.negatives[:cut].sum()),
        fn=int(bins.positives[:cut].sum()),
    )


def _ece(
    counts: np.ndarray, positives: np.ndarray, mean_scores: np.ndarray
) -> tuple[float, list[dict[str, float | int]]]:
    total = counts.sum()
    filled = counts > 0
    observed = np.divide(positives, counts, out=np.zeros(len(counts)), where=filled)
    gaps = np.abs(observed - mean_scores) * counts / total
    curve = [
        {
            "mean_score": float(mean_scores[i]),
            "share_positive": float(observed[i]),
            "count": int(counts[i]),
        }
        for i in np.flatnonzero(filled)
    ]
    return float(gaps[filled].sum()), curve


def ece_from_scores(
    labels: np.ndarray, scores: np.ndarray
) -> tuple[float, list[dict[str, float | int]]]:
    """Expected calibration error on ten equal-width bins, and the curve."""
    edges = np.linspace(0.0, 1.0, ECE_BINS + 1)
    ids = np.searchsorted(edges[1:-1], scores)
    counts = np.bincount(ids, minlength=ECE_BINS).astype(float)
    positives = np.bincount(ids, weights=labels.astype(float), minlength=ECE_BINS)
    sums = np.bincount(ids, weights=scores, minlength=ECE_BINS)
    means = np.divide(sums, counts, out=np.zeros(ECE_BINS), where=counts > 0)
    return _ece(counts, positives, means)


def ece_from_bins(bins: ScoreBins) -> tuple[float, list[dict[str, float | int]]]:
    counts = (bins.positives + bins.negatives).astype(float)
    midpoints = (bins.edges[:-1] + bins.edges[1:]) / 2
    return _ece(counts, bins.positives.astype(float), midpoints)


def _thresholded(matrix: Confusion) -> dict[str, float | None]:
    return {
        "accuracy": _ratio(matrix.tp + matrix.tn, matrix.n),
        "precision": _ratio(matrix.tp, matrix.tp + matrix.fp),
        "recall": _ratio(matrix.tp, matrix.tp + matrix.fn),
        "f1": _ratio(2 * matrix.tp, 2 * matrix.tp + matrix.fp + matrix.fn),
    }


def compute_performance(data: PerformanceInput) -> PerformanceResult:
    """Every metric the input allows, with notes on the ones it does not."""
    notes: list[str] = []
    auc = ece = None
    auc_method = ece_method = ""
    curve: list[dict[str, float | int]] = []
    matrix: Confusion | None = None
    threshold: float | None = None
    if data.labels is not None:
        labels = data.labels
        kind = "raw"
        n, positives = int(labels.size), int(labels.sum())
        if data.scores is not None:
            auc, auc_method = auc_from_scores(labels, data.scores), AUC_EXACT
            ece, curve = ece_from_scores(labels, data.scores)
            ece_method = "uniform-10"
        if data.predictions is not None:
            matrix = confusion_from(labels, data.predictions)
        elif data.scores is not None:
            threshold = data.decision_threshold
            matrix = confusion_from(labels, data.scores >= threshold)
    else:
        kind = "summary"
        bins = data.bins
        matrix = data.confusion
        if bins is not None:
            n = int(bins.positives.sum() + bins.negatives.sum())
            positives = int(bins.positives.sum())
            auc, auc_method = auc_from_bins(bins), AUC_BINNED
            ece, curve = ece_from_bins(bins)
            ece_method = "binned-midpoint"
            if matrix is None:
                matrix = confusion_from_bins(bins, data.decision_threshold)
                if matrix is None:
                    notes.append(
                        "accuracy, precision, recall and f1 need decisions: the "
                        "decision threshold is not one of the bin edges"
                    )
                else:
                    threshold = data.decision_threshold
        else:
            assert matrix is not None
            n, positives = matrix.n, matrix.tp + matrix.fn
            notes.append("auc and ece need scores: a confusion matrix has none")
    if auc_method and auc is None:
        notes.append("auc is undefined with one class only")
    values = (
        _thresholded(matrix)
        if matrix is not None
        else dict.fromkeys(("accuracy", "precision", "recall", "f1"))
    )
    if matrix is not None:
        if values["precision"] is None:
            notes.append("precision is undefined: nothing was predicted positive")
        if values["recall"] is None:
            notes.append("recall is undefined: no positives in the window")
        if values["f1"] is None:
            notes.append("f1 is undefined: no positives predicted or present")
    return PerformanceResult(
        input_kind=kind,
        sample_size=n,
        positives=positives,
        positives_share=positives / n,
        auc=auc,
        auc_method=auc_method,
        accuracy=values["accuracy"],
        precision=values["precision"],
        recall=values["recall"],
        f1=values["f1"],
        ece=ece,
        ece_method=ece_method,
        decision_threshold=threshold,
        confusion=matrix,
        calibration=curve,
        notes=notes,
    )
