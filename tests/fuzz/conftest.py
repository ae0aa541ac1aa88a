def pytest_ignore_collect(collection_path, config):
    """Collect the fuzzing only when asked for (`-m fuzz`): generating the
    schema at import costs seconds that the ordinary suite need not pay."""
    selected = config.getoption("markexpr", "") or ""
    if "fuzz" not in selected.replace("not fuzz", ""):
        return True
    return None
