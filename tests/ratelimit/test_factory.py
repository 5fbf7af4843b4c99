"""``limiter_from_url``: the settings value picks the backend."""

from pathlib import Path

import pytest

from tests.ratelimit.conftest import REDIS_URL
from vendors.ratelimit import RedisRateLimiter, SQLiteRateLimiter, limiter_from_url


def test_a_redis_url_gives_the_redis_limiter():
    limiter = limiter_from_url(REDIS_URL)
    assert isinstance(limiter, RedisRateLimiter)
    limiter.close()


def test_an_absolute_sqlite_url_has_four_slashes(tmp_path):
    limiter = limiter_from_url(f"sqlite:///{tmp_path}/var/ratelimit.db")
    assert isinstance(limiter, SQLiteRateLimiter)
    assert limiter.path == tmp_path / "var" / "ratelimit.db"
    assert limiter.path.exists()  # its directory is created
    limiter.close()


def test_a_three_slash_sqlite_url_and_a_bare_path_are_relative(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    from_url = limiter_from_url("sqlite:///var/ratelimit.db")
    from_path = limiter_from_url("var/other.db")
    assert from_url.path == Path("var/ratelimit.db")
    assert isinstance(from_path, SQLiteRateLimiter) and from_path.path == Path("var/other.db")
    assert (tmp_path / "var" / "ratelimit.db").exists()
    from_url.close()
    from_path.close()


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:", ":memory:", "memcached://x:11211"])
def test_a_store_other_processes_cannot_share_is_refused(url):
    with pytest.raises(ValueError):
        limiter_from_url(url)
