"""simkit's building blocks in isolation: clock, sim-time limiter, faults, command log, stats."""

from __future__ import annotations

import pytest

from vendors.simkit import CommandLog, FaultConfig, FaultInjector, SimClock, SlidingWindowLimiter, Stats


class FakeMonotonic:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def real():
    return FakeMonotonic()


@pytest.fixture
def clock(real):
    return SimClock(start_epoch=1_000_000.0, speed=60.0, monotonic=real)


def test_clock_runs_at_speed_and_jumps_forward(clock, real):
    real.t = 2.0
    assert clock.now() == 1_000_120.0
    clock.advance(3600)
    assert clock.now() == 1_003_720.0
    with pytest.raises(ValueError):
        clock.advance(-1)


def test_clock_speed_change_has_no_jump_and_zero_pauses(clock, real):
    real.t = 1.0
    clock.set_speed(0)
    real.t = 100.0
    assert clock.now() == 1_000_060.0
    clock.reset()
    assert clock.now() == 1_000_000.0 and clock.speed == 60.0


def test_limiter_counts_only_allowed_calls(clock, real):
    limiter = SlidingWindowLimiter(SimClock(start_epoch=0.0, speed=1.0, monotonic=real))
    assert limiter.check("k", 1, 60)
    real.t = 30
    assert not limiter.check("k", 1, 60)
    assert limiter.retry_after("k", 1, 60) == 30
    real.t = 60
    assert limiter.check("k", 1, 60)  # the refused call at 30 s did not move the window


def test_limiter_check_all_records_in_all_windows_or_none(real):
    limiter = SlidingWindowLimiter(SimClock(start_epoch=0.0, speed=1.0, monotonic=real))
    rules = [("k", 10, 60), ("k", 2, 86400)]
    assert limiter.check_all(rules) and limiter.check_all(rules)
    assert not limiter.check_all(rules)
    real.t = 61
    assert not limiter.check_all(rules)  # daily window still full
    assert limiter.check("k", 10, 60)  # the minute window was not charged by the refusals


def test_disabled_limiter_allows_everything(clock):
    limiter = SlidingWindowLimiter(clock, enabled=False)
    assert all(limiter.check("k", 1, 60) for _ in range(5))


def test_fault_config_validation():
    assert FaultConfig.from_json({}) == FaultConfig()
    with pytest.raises(ValueError):
        FaultConfig.from_json({"error_5xx_rate": 2})
    with pytest.raises(ValueError):
        FaultConfig.from_json({"nonsense": 1})


def test_faults_are_seeded_capped_and_skip_control_paths():
    config = FaultConfig(error_5xx_rate=0.5, paths=["/vpp/"])
    a, b = FaultInjector(config, seed=3), FaultInjector(config, seed=3)
    assert [a.decide("/x/vpp/dod") for _ in range(20)] == [b.decide("/x/vpp/dod") for _ in range(20)]
    assert a.decide("/x/plants") == (None, None)
    capped = FaultInjector(FaultConfig(drop_rate=1.0, max_faults=1))
    assert capped.decide("/a") == ("drop", None) and capped.decide("/a") == (None, None)
    assert FaultInjector(FaultConfig(drop_rate=1.0)).decide("/_sim/reset") == (None, None)


def test_command_log_and_stats(clock):
    log = CommandLog(clock)
    log.append(account="a", endpoint="/e", request_id="1", targets=["p"], params={"x": 1})
    log.append(account="a", endpoint="/e", request_id="2", targets=["q"], params={})
    assert [e["seq"] for e in log.entries()] == [1, 2] and log.entries(1)[0]["request_id"] == "2"
    stats = Stats()
    stats.incr("a", "/e", "requests")
    stats.rate_limited("a", "/e")
    assert stats.snapshot()["accounts"]["a"]["/e"] == {
        "requests": 1,
        "rate_limited": 1,
        "errors_5xx": 0,
        "drops": 0,
    }
