"""mlgov_client's performance and fairness calls and the pandas helpers that
build their summaries: the server computes from the summaries what it
computes from the raw rows."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import confusion_matrix as sk_confusion_matrix

from drift.quality import (
    compute_fairness,
    compute_performance,
    parse_fairness,
    parse_performance,
)
from mlgov.services import issue_token
from mlgov_client import ApiError, Client
from mlgov_client.monitoring import confusion_matrix, group_counts, score_bins
from tests.factories import MLModelFactory, ModelVersionFactory


def frame(n=3000, seed=0):
    rng = np.random.default_rng(seed)
    label = rng.random(n) < 0.3
    score = np.clip(rng.normal(0.35 + 0.3 * label, 0.2), 0, 1)
    return pd.DataFrame(
        {
            "label": label.astype(int),
            "score": score,
            "decision": (score >= 0.5).astype(int),
            "sex": rng.choice(["f", "m"], n),
        }
    )


def test_the_confusion_matrix_is_sklearns():
    df = frame()
    tn, fp, fn, tp = sk_confusion_matrix(df["label"], df["decision"]).ravel()
    assert confusion_matrix(df["label"], df["decision"]) == {
        "tp": tp,
        "fp": fp,
        "tn": tn,
        "fn": fn,
    }


def test_score_bins_give_the_server_the_raw_decisions_at_an_edge():
    df = frame()
    bins = score_bins(df["label"], df["score"])
    assert sum(bins["positives"]) == df["label"].sum()
    summary = compute_performance(parse_performance({"score_bins": bins}, max_rows=10))
    raw = compute_performance(
        parse_performance(
            {"labels": df["label"].tolist(), "scores": df["score"].tolist()},
            max_rows=10_000,
        )
    )
    assert summary.confusion == raw.confusion
    assert summary.auc == pytest.approx(raw.auc, abs=0.02)


def test_group_counts_give_the_server_the_raw_fairness():
    df = frame(seed=2)
    df.loc[3, "sex"] = None  # a row without a group is left out
    counts = group_counts(df["decision"], df["label"], df["sex"])
    assert set(counts) == {"f", "m"}
    kept = df.dropna()
    raw = compute_fairness(
        parse_fairness(
            {
                "attribute": "sex",
                "predictions": kept["decision"].tolist(),
                "labels": kept["label"].tolist(),
                "groups": kept["sex"].tolist(),
            },
            max_rows=10_000,
        )
    )
    summary = compute_fairness(
        parse_fairness({"attribute": "sex", "group_counts": counts}, max_rows=10)
    )
    assert summary.metrics() == raw.metrics()


def test_a_non_binary_label_is_refused_by_the_helper():
    with pytest.raises(ValueError, match=r"labels\[1\]"):
        confusion_matrix(pd.Series([1, 2]), pd.Series([1, 0]))


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_typed_calls_against_a_live_server(
    live_server, settings, data_scientist, team
):
    settings.ALLOWED_HOSTS = ["localhost", "127.0.0.1"]
    ModelVersionFactory(
        model=MLModelFactory(name="pd", team=team), version=3, status="approved"
    )
    mlgov = Client(live_server.url, issue_token(user=data_scientist, name="p").raw)
    window = {
        "model": "pd",
        "version": 3,
        "environment": "production",
        "window_start": dt.datetime(2026, 11, 1, tzinfo=dt.UTC),
        "window_end": dt.datetime(2026, 11, 8, tzinfo=dt.UTC),
    }
    df = frame()

    performance = mlgov.post_performance_report(
        **window, score_bins=score_bins(df["label"], df["score"])
    )
    fairness = mlgov.post_fairness_report(
        **window,
        attribute="sex",
        group_counts=group_counts(df["decision"], df["label"], df["sex"]),
    )

    assert performance["auc_method"] == "binned"
    assert 0.5 < performance["auc"] < 1
    assert {group["group"] for group in fairness["groups"]} == {"f", "m"}
    alerts = [alert["id"] for alert in mlgov.monitoring_alerts(model="pd")]
    assert alerts == [alert["id"] for alert in fairness["alerts"]]
    with pytest.raises(ApiError) as error:
        mlgov.post_performance_report(**window, labels=[1, 0], scores=[0.5, 7])
    assert error.value.status == 400
    assert "scores[1]" in error.value.field_errors
