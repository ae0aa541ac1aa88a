def auc_floor(value=0.8):
    return {
        "kind": "metric_threshold",
        "params": {"metric": "auc", "op": ">=", "value": value},
    }


def approvals(count):
    return {"kind": "min_approvals", "params": {"count": count}}
