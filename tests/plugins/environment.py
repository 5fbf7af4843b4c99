"""Loaded with `-p` (pyproject addopts) before Django's settings: what every test process, and the worker
and server processes it starts, needs in its environment.

The vendor simulators run plain http on 127.0.0.1, which vendor URLs may reach only with
VENDOR_URL_ALLOW_PRIVATE=1 (vendors/egress.py); the tests that show the refusal turn it off for themselves.
The embedded default keys are allowed in the demo only (VPP_DEMO=1, vpp/settings.py). The registry lists
one more vendor for the suite (VPP_EXTRA_VENDORS, vendors/registry.py): its one registration line.

`make test` runs the suite on several processes (pytest-xdist). pytest-django gives each its own test database
(test_vpp_gw0, ...); `_own_redis_database` gives each its own Redis database, so that one process's Celery
queues, rate-limit slots and vendor state are not another's: worker gwN uses the configured database + N.
"""

import os
from urllib.parse import urlsplit, urlunsplit

import pytest

_REDIS_URLS = ("REDIS_URL", "CELERY_BROKER_URL", "VENDOR_RATE_LIMITER_URL")


def _own_redis_database() -> None:
    worker = os.environ.get("PYTEST_XDIST_WORKER")  # set by pytest-xdist in its worker processes
    if not worker:
        return
    index = int(worker.removeprefix("gw"))
    for name in _REDIS_URLS:
        url = urlsplit(os.environ.get(name, ""))
        if url.scheme not in ("redis", "rediss"):
            continue
        db = int(url.path.strip("/") or 0) + index
        if db > 15:
            raise SystemExit(f"{name}: test process {worker} would need Redis database {db}; 0-15 exist")
        os.environ[name] = urlunsplit(url._replace(path=f"/{db}"))


_own_redis_database()

os.environ.setdefault("VENDOR_URL_ALLOW_PRIVATE", "1")
os.environ.setdefault("VPP_DEMO", "1")
os.environ.setdefault("VPP_EXTRA_VENDORS", "tests.toyvendor.spec")  # the toy vendor (CONTRIBUTING.md)

# Hypothesis fails an example that runs longer than 200 ms by default: a wall-clock timing assertion, which a
# busy machine trips without anything being wrong (issue 13). No deadline for any property test of the
# suite; speed is measured in bench/, not asserted in tests.
from hypothesis import settings as hypothesis_settings  # noqa: E402

hypothesis_settings.register_profile("vpp", deadline=None)
hypothesis_settings.load_profile("vpp")


# The full-size acceptance runs: each drives hundreds of plants at a simulator speed where the other's load
# would be minutes of vendor time, so `make test` never runs them beside each other (`_OneProcessForSlow`).
SLOW_FILES = frozenset(
    {"tests/dispatch/engine/test_acceptance_500.py", "tests/dispatch/powertargets/test_end_to_end.py"}
)


def pytest_itemcollected(item: pytest.Item) -> None:
    path = item.nodeid.split("::", 1)[0]
    if item.get_closest_marker("slow") and path not in SLOW_FILES:
        raise pytest.UsageError(f"{item.nodeid} is marked slow: list {path} in SLOW_FILES ({__file__})")


def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """`make test` distributes with `--dist loadfile`: a file's tests stay in one process (its module-scoped
    simulators start once); the files in SLOW_FILES count as one file."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class _OneProcessForSlow(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = super()._split_scope(nodeid)
            return "slow acceptance runs" if path in SLOW_FILES else path

    return _OneProcessForSlow(config, log)
