"""drift.quality against scikit-learn's metrics (and by hand where
scikit-learn has none), edge cases included."""

import numpy as np
import pytest
from sklearn.calibration import calibration_curve
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    f1_score,
    precision_score,
    recall_score,
    roc_auc_score,
)

from drift.quality import (
    QualityInputError,
    QualityPayloadTooLargeError,
    compute_fairness,
    compute_performance,
    parse_fairness,
    parse_performance,
)

CAP = 10_000


def performance(payload, cap=CAP):
    return compute_performance(parse_performance(payload, max_rows=cap))


def fairness(payload, cap=CAP):
    return compute_fairness(parse_fairness(payload, max_rows=cap))


def sample(n=2000, seed=0, ties=False):
    rng = np.random.default_rng(seed)
    labels = rng.random(n) < 0.3
    scores = np.clip(rng.normal(0.35 + 0.3 * labels, 0.2), 0, 1)
    if ties:
        scores = np.round(scores, 1)
    return labels, scores


def expected_ece(labels, scores, bins=10):
    prob_true, prob_pred = calibration_curve(labels, scores, n_bins=bins)
    ids = np.searchsorted(np.linspace(0, 1, bins + 1)[1:-1], scores)
    counts = np.bincount(ids, minlength=bins)
    counts = counts[counts > 0]
    return float(np.sum(counts / counts.sum() * np.abs(prob_true - prob_pred)))


@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_raw_scores_match_sklearn(seed, ties):
    labels, scores = sample(seed=seed, ties=ties)
    result = performance({"labels": labels.tolist(), "scores": scores.tolist()})
    decisions = scores >= 0.5
    assert result.auc == pytest.approx(roc_auc_score(labels, scores), abs=1e-12)
    assert result.auc_method == "exact"
    assert result.accuracy == pytest.approx(accuracy_score(labels, decisions))
    assert result.precision == pytest.approx(precision_score(labels, decisions))
    assert result.recall == pytest.approx(recall_score(labels, decisions))
    assert result.f1 == pytest.approx(f1_score(labels, decisions))
    assert result.ece == pytest.approx(expected_ece(labels, scores), abs=1e-12)
    assert result.sample_size == labels.size
    assert result.positives_share == pytest.approx(labels.mean())
    tn, fp, fn, tp = confusion_matrix(labels, decisions).ravel()
    assert (result.confusion.tp, result.confusion.fp) == (tp, fp)
    assert (result.confusion.tn, result.confusion.fn) == (tn, fn)


def test_a_decision_threshold_moves_the_thresholded_metrics_only():
    labels, scores = sample()
    result = performance(
        {
            "labels": labels.tolist(),
            "scores": scores.tolist(),
            "decision_threshold": 0.3,
        }
    )
    assert result.recall == pytest.approx(recall_score(labels, scores >= 0.3))
    assert result.decision_threshold == 0.3
    assert result.auc == pytest.approx(roc_auc_score(labels, scores))


def test_predictions_beside_scores_decide():
    labels, scores = sample()
    predictions = scores >= 0.42
    result = performance(
        {
            "labels": labels.tolist(),
            "scores": scores.tolist(),
            "predictions": predictions.astype(int).tolist(),
        }
    )
    assert result.f1 == pytest.approx(f1_score(labels, predictions))
    assert result.decision_threshold is None


def test_binned_scores_give_the_auc_of_the_binned_data_exactly():
    labels, scores = sample(n=5000, seed=3)
    edges = np.linspace(0, 1, 11)
    ids = np.searchsorted(edges[1:-1], scores, side="right")
    positives = np.bincount(ids[labels], minlength=10)
    negatives = np.bincount(ids[~labels], minlength=10)
    result = performance(
        {
            "score_bins": {
                "bin_edges": edges.tolist(),
                "positives": positives.tolist(),
                "negatives": negatives.tolist(),
            }
        }
    )
    # Every score moved to its bin: the AUC of those tied scores, exactly.
    assert result.auc == pytest.approx(roc_auc_score(labels, ids), abs=1e-12)
    assert result.auc_method == "binned"
    # ... and close to the raw AUC (ties inside bins count half).
    assert result.auc == pytest.approx(roc_auc_score(labels, scores), abs=0.02)
    # Decisions at the 0.5 edge are the raw decisions at 0.5.
    assert result.recall == pytest.approx(recall_score(labels, scores >= 0.5))
    assert result.precision == pytest.approx(precision_score(labels, scores >= 0.5))
    midpoints = (edges[:-1] + edges[1:]) / 2
    counts = positives + negatives
    filled = counts > 0
    by_hand = np.sum(
        counts[filled]
        / counts.sum()
        * np.abs(positives[filled] / counts[filled] - midpoints[filled])
    )
    assert result.ece == pytest.approx(by_hand)
    assert result.ece_method == "binned-midpoint"


def test_a_confusion_matrix_gives_the_thresholded_metrics_and_no_auc():
    labels, scores = sample()
    decisions = scores >= 0.5
    tn, fp, fn, tp = (int(v) for v in confusion_matrix(labels, decisions).ravel())
    result = performance({"confusion_matrix": {"tp": tp, "fp": fp, "tn": tn, "fn": fn}})
    assert result.f1 == pytest.approx(f1_score(labels, decisions))
    assert result.accuracy == pytest.approx(accuracy_score(labels, decisions))
    assert result.auc is None and result.ece is None
    assert "auc and ece need scores" in result.notes[0]


def test_one_class_only_leaves_auc_and_recall_undefined():
    result = performance({"labels": [0, 0, 0], "scores": [0.1, 0.7, 0.2]})
    assert result.auc is None
    assert result.recall is None
    assert result.precision == 0.0  # one row predicted positive, wrongly
    assert result.f1 == 0.0  # 2tp / (2tp + fp + fn) = 0 / 1
    assert any("one class" in note for note in result.notes)
    # scikit-learn warns and answers nan; JSON has no nan, so: null.
    with pytest.warns(UndefinedMetricWarning):
        assert np.isnan(roc_auc_score([0, 0, 0], [0.1, 0.7, 0.2]))


def test_nothing_predicted_positive_leaves_precision_null_where_sklearn_says_0():
    result = performance({"labels": [1, 0, 1], "predictions": [0, 0, 0]})
    assert result.precision is None
    assert precision_score([1, 0, 1], [0, 0, 0], zero_division=0) == 0
    assert result.recall == 0.0 and result.f1 == 0.0
    nothing = performance({"labels": [0, 0], "predictions": [0, 0]})
    assert nothing.precision is None and nothing.recall is None
    assert nothing.f1 is None and nothing.accuracy == 1.0


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "labels"),
        ({"labels": [1, 0]}, "scores"),
        ({"scores": [0.1]}, "labels"),
        ({"labels": [1, 0], "scores": [0.2]}, "scores"),
        ({"labels": [1, 2], "scores": [0.2, 0.3]}, "labels[1]"),
        ({"labels": [1, 0], "scores": [0.2, 1.5]}, "scores[1]"),
        ({"labels": [1, 0], "scores": [0.2, None]}, "scores[1]"),
        ({"labels": [], "scores": []}, "labels"),
        ({"labels": [1], "scores": [0.5], "confusion_matrix": {}}, "confusion_matrix"),
        ({"confusion_matrix": {"tp": 1, "fp": 0, "tn": 0}}, "confusion_matrix.fn"),
        (
            {"confusion_matrix": {"tp": 0, "fp": 0, "tn": 0, "fn": 0}},
            "confusion_matrix",
        ),
        (
            {"confusion_matrix": {"tp": -1, "fp": 0, "tn": 0, "fn": 0}},
            "confusion_matrix.tp",
        ),
        (
            {
                "score_bins": {
                    "bin_edges": [0, 0.5, 0.4],
                    "positives": [1, 1],
                    "negatives": [1, 1],
                }
            },
            "score_bins.bin_edges",
        ),
        (
            {
                "score_bins": {
                    "bin_edges": [0, 0.5, 1],
                    "positives": [1],
                    "negatives": [1, 1],
                }
            },
            "score_bins.positives",
        ),
        (
            {
                "score_bins": {
                    "bin_edges": [0, 0.6, 1],
                    "positives": [1, 1],
                    "negatives": [1, 1],
                },
                "decision_threshold": 0.5,
            },
            "decision_threshold",
        ),
    ],
)
def test_bad_performance_payloads_name_the_field(payload, field):
    with pytest.raises(QualityInputError) as error:
        parse_performance(payload, max_rows=CAP)
    assert error.value.field == field


def test_raw_rows_over_the_cap_are_refused():
    with pytest.raises(QualityPayloadTooLargeError) as error:
        parse_performance({"labels": [1] * 11, "scores": [0.5] * 11}, max_rows=10)
    assert error.value.field == "labels"


def fairness_rows(seed=0, n=3000):
    rng = np.random.default_rng(seed)
    groups = rng.choice(["a", "b", "c"], n, p=[0.5, 0.3, 0.2])
    labels = rng.random(n) < 0.4
    bias = np.select([groups == "a", groups == "b"], [0.1, 0.0], -0.15)
    predictions = rng.random(n) < (0.2 + 0.5 * labels + bias)
    return predictions, labels, groups


def test_fairness_from_rows_matches_sklearn_per_group():
    predictions, labels, groups = fairness_rows()
    result = fairness(
        {
            "attribute": "region",
            "predictions": predictions.astype(int).tolist(),
            "labels": labels.astype(int).tolist(),
            "groups": groups.tolist(),
        }
    )
    by_group = {g.group: g for g in result.groups}
    selection, tpr = {}, {}
    for name in ("a", "b", "c"):
        mask = groups == name
        selection[name] = predictions[mask].mean()
        tpr[name] = recall_score(labels[mask], predictions[mask])
        tn, fp, fn, tp = confusion_matrix(labels[mask], predictions[mask]).ravel()
        assert by_group[name].selection_rate == pytest.approx(selection[name])
        assert by_group[name].tpr == pytest.approx(tpr[name])
        assert by_group[name].fpr == pytest.approx(fp / (fp + tn))
        assert (by_group[name].tp, by_group[name].fn) == (tp, fn)
    reference = max(selection, key=selection.get)
    assert result.reference_group == reference == "a"
    assert result.reference_choice == "most_favoured"
    assert result.demographic_parity_difference == pytest.approx(
        max(selection.values()) - min(selection.values())
    )
    assert result.disparate_impact_ratio == pytest.approx(
        min(selection.values()) / selection[reference]
    )
    others = [name for name in selection if name != reference]
    assert result.equal_opportunity_difference == pytest.approx(
        max(abs(tpr[name] - tpr[reference]) for name in others)
    )
    assert result.equal_opportunity_ratio == pytest.approx(
        min(tpr[name] / tpr[reference] for name in others)
    )
    assert result.four_fifths_passed is (result.disparate_impact_ratio >= 0.8)
    assert by_group["c"].fails_four_fifths == bool(
        selection["c"] / selection["a"] < 0.8
    )


def test_counts_give_the_same_as_rows():
    predictions, labels, groups = fairness_rows(seed=4)
    rows = fairness(
        {
            "attribute": "region",
            "predictions": predictions.tolist(),
            "labels": labels.tolist(),
            "groups": groups.tolist(),
        }
    )
    counts = {
        g.group: {"tp": g.tp, "fp": g.fp, "tn": g.tn, "fn": g.fn} for g in rows.groups
    }
    summary = fairness({"attribute": "region", "group_counts": counts})
    assert summary.metrics() == rows.metrics()
    assert summary.input_kind == "summary"


def test_the_four_fifths_rule_against_a_named_reference():
    counts = {
        "men": {"tp": 40, "fp": 20, "tn": 30, "fn": 10},  # selects 0.6
        "women": {"tp": 30, "fp": 10, "tn": 40, "fn": 20},  # selects 0.4
    }
    result = fairness({"attribute": "sex", "group_counts": counts})
    assert result.reference_group == "men"
    assert result.disparate_impact_ratio == pytest.approx(0.4 / 0.6)
    assert result.four_fifths_passed is False
    named = fairness(
        {"attribute": "sex", "group_counts": counts, "reference_group": "women"}
    )
    assert named.reference_choice == "named"
    # Against the less favoured group the other is selected more, not less.
    assert named.disparate_impact_ratio == pytest.approx(0.6 / 0.4)
    assert named.four_fifths_passed is True
    assert named.demographic_parity_difference == pytest.approx(0.2)


def test_zero_denominators_are_defined_nulls():
    counts = {
        "a": {"tp": 0, "fp": 0, "tn": 10, "fn": 0},  # selects nobody, no positives
        "b": {"tp": 0, "fp": 0, "tn": 5, "fn": 5},
    }
    result = fairness({"attribute": "x", "group_counts": counts})
    # Nobody is selected anywhere: the most favoured selects nobody.
    assert result.disparate_impact_ratio is None
    assert result.four_fifths_passed is None
    assert result.demographic_parity_difference == 0.0
    assert result.equal_opportunity_difference is None
    a = next(g for g in result.groups if g.group == "a")
    assert a.tpr is None and a.selection_rate_ratio is None
    assert any("selects nobody" in note for note in result.notes)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"group_counts": {"a": {"tp": 1, "fp": 0, "tn": 0, "fn": 0}}}, "attribute"),
        ({"attribute": "x"}, "group_counts"),
        (
            {
                "attribute": "x",
                "group_counts": {"a": {"tp": 1, "fp": 0, "tn": 0, "fn": 0}},
            },
            "group_counts",
        ),
        (
            {
                "attribute": "x",
                "group_counts": {
                    "a": {"tp": 1, "fp": 0, "tn": 0, "fn": 0},
                    "b": {"tp": 0, "fp": 0, "tn": 0, "fn": 0},
                },
            },
            "group_counts.b",
        ),
        (
            {
                "attribute": "x",
                "group_counts": {
                    "a": {"tp": 1, "fp": 0, "tn": 0, "fn": 0},
                    "b": {"tp": 1, "fp": 0, "tn": 0, "fn": 0},
                },
                "reference_group": "c",
            },
            "reference_group",
        ),
        ({"attribute": "x", "predictions": [1, 0], "labels": [1, 0]}, "groups"),
        (
            {
                "attribute": "x",
                "predictions": [1, 0],
                "labels": [1],
                "groups": ["a", "b"],
            },
            "labels",
        ),
        (
            {
                "attribute": "x",
                "predictions": [1, 0],
                "labels": [1, 0],
                "groups": ["a", None],
            },
            "groups[1]",
        ),
        (
            {
                "attribute": "x",
                "predictions": [1, 0],
                "labels": [1, 0],
                "groups": ["a", "a"],
            },
            "groups",
        ),
    ],
)
def test_bad_fairness_payloads_name_the_field(payload, field):
    with pytest.raises(QualityInputError) as error:
        parse_fairness(payload, max_rows=CAP)
    assert error.value.field == field
