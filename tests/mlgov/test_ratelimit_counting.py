"""The one-round-trip counter reads rates and windows as django-ratelimit
does, so switching between the two paths never changes a budget."""

import pytest
from django_ratelimit.core import _get_window, _split_rate

from mlgov.ratelimit import _parse_rate, _window_end


@pytest.mark.parametrize("rate", ["1/s", "60/m", "100/5m", "7/h", "1000/d", "3/2h"])
def test_rates_read_as_django_ratelimit_reads_them(rate):
    assert _parse_rate(rate) == _split_rate(rate)


@pytest.mark.parametrize("period", [1, 60, 300, 3600])
@pytest.mark.parametrize("key", ["user:1", "ip:10.0.0.1", "user:123456"])
def test_windows_end_where_django_ratelimits_end(key, period, monkeypatch):
    for now in (1_700_000_000, 1_700_000_059, 1_700_000_299):
        monkeypatch.setattr("time.time", lambda now=now: float(now))
        assert _window_end(key, period) == _get_window(key, period)
