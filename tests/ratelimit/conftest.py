"""Limiter fixtures: a real Redis (REDIS_URL) and a SQLite file, each test with its own key prefix.

Colleagues run the suite against the same Redis at the same time, so every test gets a uuid prefix,
deletes only its own keys, and never flushes the database.
"""

import os
import uuid

import pytest
import redis

from vendors.ratelimit import limiter_from_url

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture(params=["redis", "sqlite"])
def backend_url(request, tmp_path):
    if request.param == "redis":
        return REDIS_URL
    return f"sqlite:///{tmp_path / 'ratelimit.db'}"


@pytest.fixture
def key_prefix(backend_url):
    prefix = f"test:ratelimit:{uuid.uuid4().hex}:"
    yield prefix
    if backend_url == REDIS_URL:
        client = redis.Redis.from_url(REDIS_URL, socket_timeout=5)
        try:
            for name in client.scan_iter(match=prefix + "*"):
                client.delete(name)
        finally:
            client.close()


@pytest.fixture
def limiter(backend_url, key_prefix):
    limiter = limiter_from_url(backend_url, prefix=key_prefix)
    yield limiter
    limiter.close()
