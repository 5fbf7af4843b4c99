"""The vendor limits table, per-account overrides, simulator speed and the safety margin."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vendors.ratelimit import (
    DEFAULT_MARGIN_S,
    GROWATT_LIMITS,
    HUAWEI_LIMITS,
    RateRule,
    effective_limits,
    huawei_limits,
    rate_key,
)


def test_huawei_table_has_the_documented_limits():
    assert HUAWEI_LIMITS["login"] == (RateRule(5, 600),)  # NBI V7 9.1.1
    for endpoint in ("chargeAndDischarge", "chargeAndDischargeStatus", "dod", "devOnOff", "ems"):
        assert HUAWEI_LIMITS[endpoint] == (RateRule(1, 60),)  # 9.3.4 - 9.3.8
    for endpoint in ("snEnrolment", "acEnrolment"):
        assert HUAWEI_LIMITS[endpoint] == (RateRule(1, 60),)  # 9.6.1.1, 9.6.1.2
    for endpoint in ("drm", "drmStatus", "plantDefaultSetting", "plantDefaultSettingStatus"):
        assert HUAWEI_LIMITS[endpoint] == (RateRule(10, 60), RateRule(1000, 86_400))  # 9.6.1.3-9.6.1.7


def test_huawei_count_dependent_limits_match_the_documents_examples():
    at_20 = huawei_limits(plant_count=20, device_count=20)
    at_120 = huawei_limits(plant_count=120, device_count=120)
    assert at_20["plants"][1].limit == 34 and at_120["plants"][1].limit == 54  # 9.2.1
    assert at_20["devices"][1].limit == 34 and at_120["devices"][1].limit == 54  # 9.2.2
    assert at_20["vppPlants"][1].limit == 34 and at_120["vppPlants"][1].limit == 44  # 9.3.1
    assert at_20["plantRealtimeKpi"] == (RateRule(1, 300),)  # 9.3.2
    assert at_120["plantRealtimeKpi"] == (RateRule(2, 300),)
    assert at_20["plantHistoryKpi"][1].limit == 25 and at_120["plantHistoryKpi"][1].limit == 26  # 9.3.3


def test_limit_tables_cannot_be_changed_by_accident():
    with pytest.raises(TypeError):
        HUAWEI_LIMITS["login"] = (RateRule(50, 600),)
    with pytest.raises(TypeError):
        GROWATT_LIMITS["storageSet"] = ()


@pytest.mark.parametrize(
    "limit, window_s", [(0, 1.0), (-1, 1.0), (True, 1.0), (1.5, 1.0), (1, 0), (1, math.inf)]
)
def test_a_rule_must_be_a_positive_count_over_a_positive_window(limit, window_s):
    with pytest.raises(ValueError):
        RateRule(limit, window_s)


def test_overrides_replace_an_endpoints_rules_and_speed_shrinks_every_window():
    limits = effective_limits(
        HUAWEI_LIMITS, overrides={"login": [(2, 600)]}, speed=600, margin_frac=0, margin_s=0
    )
    assert limits["login"] == (RateRule(2, 1.0),)
    assert limits["chargeAndDischarge"] == (RateRule(1, 0.1),)
    assert limits["drm"] == (RateRule(10, 0.1), RateRule(1000, 144.0))


def test_the_default_margin_lengthens_windows_by_two_percent_and_some_real_milliseconds():
    # The fixed part is real time and is NOT divided by speed: grant-to-call jitter does not speed up.
    limits = effective_limits(HUAWEI_LIMITS, speed=600)
    assert limits["chargeAndDischarge"][0].window_s == pytest.approx(0.1 * 1.02 + DEFAULT_MARGIN_S)
    assert effective_limits(HUAWEI_LIMITS)["login"][0].window_s == pytest.approx(
        600 * 1.02 + DEFAULT_MARGIN_S
    )


def test_an_overridden_limit_is_what_a_real_limiter_enforces(limiter):
    limits = effective_limits(
        HUAWEI_LIMITS, overrides={"login": [(2, 600)]}, speed=2000, margin_frac=0, margin_s=0
    )
    key = rate_key("huawei", "acct-1", "login")
    waits = [limiter.reserve(key, limits["login"]) for _ in range(3)]
    assert waits[:2] == [0.0, 0.0]
    assert 0.0 < waits[2] <= 0.3


def test_rate_key_names_the_account_and_endpoint_and_optionally_the_exact_request():
    assert rate_key("huawei", "a1", "dod") == "huawei:a1:dod"
    one = rate_key("growatt", "a1", "storageSet", params={"storage_sn": "X1", "type": "t", "param1": "1"})
    same = rate_key("growatt", "a1", "storageSet", params={"param1": "1", "type": "t", "storage_sn": "X1"})
    other = rate_key("growatt", "a1", "storageSet", params={"storage_sn": "X2", "type": "t", "param1": "1"})
    assert one == same != other
    assert one.startswith("growatt:a1:storageSet:")


rules_st = st.builds(
    RateRule,
    st.integers(min_value=1, max_value=5000),
    st.floats(min_value=1e-3, max_value=1e6, allow_nan=False, allow_infinity=False),
)
table_st = st.dictionaries(st.sampled_from(list(HUAWEI_LIMITS)), st.lists(rules_st, max_size=3).map(tuple))


@given(
    base=table_st,
    overrides=table_st,
    speed=st.floats(min_value=0.01, max_value=10_000),
    margin_frac=st.floats(min_value=0, max_value=0.5),
    margin_s=st.floats(min_value=0, max_value=1),
)
def test_effective_limits_never_loosen_a_rule_and_keep_every_endpoint(
    base, overrides, speed, margin_frac, margin_s
):
    limits = effective_limits(
        base, overrides=overrides, speed=speed, margin_frac=margin_frac, margin_s=margin_s
    )

    assert set(limits) == set(base) | set(overrides)
    for endpoint, rules in limits.items():
        source = overrides.get(endpoint, base.get(endpoint))
        assert [rule.limit for rule in rules] == [rule.limit for rule in source]
        for rule, original in zip(rules, source, strict=True):
            scaled = original.window_s / speed
            assert rule.window_s >= scaled  # never more permissive than the vendor, at any speed
            assert rule.window_s == pytest.approx(scaled * (1 + margin_frac) + margin_s)


@given(base=table_st)
def test_effective_limits_without_speed_or_margin_is_the_table_itself(base):
    assert effective_limits(base, margin_frac=0, margin_s=0) == base
