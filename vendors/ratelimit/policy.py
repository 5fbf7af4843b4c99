"""The vendors' documented call limits, per endpoint, per vendor account.

Huawei endpoint names are the last segment of the request path (``/pvms/v1/vpp/chargeAndDischarge`` ->
``chargeAndDischarge``), except ``vppPlants`` for ``/vpp/plants`` (9.3.1), which would collide with the
plant list ``/plants`` (9.2.1). Growatt names are the path after ``/v1/`` (``device/datalogger/add``),
since its last segments repeat (``list``, ``add``). Huawei sections are of "SmartPVMS Northbound Interface V7"
(``shared/vendor-docs/huawei-smartpvms-northbound-v7.txt``); Huawei answers 407 past a limit and the call
is wasted (1.3, "Traffic Limiting Policy"), and failCode 20618 past a daily one (error code list).

These are the vendor's numbers, exact. Pass them through ``effective_limits`` (overrides, simulator
speed, safety margin) before handing them to a limiter.
"""

from __future__ import annotations

import math
from types import MappingProxyType

from .rules import Limits, RateRule

MINUTE = 60.0
FIVE_MINUTES = 300.0
TEN_MINUTES = 600.0
DAY = 86_400.0


def huawei_limits(*, plant_count: int = 1, device_count: int = 1) -> Limits:
    """Huawei NBI V7 limits for one northbound user; some scale with the plants/devices it manages.

    Counts below 1 are taken as 1: the formulas' floor, and a limit of zero would block for ever.
    """
    plants = max(1, plant_count)
    devices = max(1, device_count)
    once_a_minute = (RateRule(1, MINUTE),)
    ten_a_minute_1000_a_day = (RateRule(10, MINUTE), RateRule(1000, DAY))
    limits = {
        # 9.1.1 / 9.1.2: "five times every 10 minutes".
        "login": (RateRule(5, TEN_MINUTES),),
        "logout": (RateRule(5, TEN_MINUTES),),
        # 9.2.1 plant list: per day Roundup(plants/50) x 10 + 24; "Only one concurrent request is
        # supported per minute", read as once per minute.
        "plants": (RateRule(1, MINUTE), RateRule(math.ceil(plants / 50) * 10 + 24, DAY)),
        # 9.2.2 device list: per day Roundup(devices/50) x 10 + 24; one request per minute.
        "devices": (RateRule(1, MINUTE), RateRule(math.ceil(devices / 50) * 10 + 24, DAY)),
        # 9.3.1 basic plant information: per day Roundup(plants/100) x 10 + 24; one per minute.
        "vppPlants": (RateRule(1, MINUTE), RateRule(math.ceil(plants / 100) * 10 + 24, DAY)),
        # 9.3.2 real-time plant data: Roundup(plants/100) every 5 minutes.
        "plantRealtimeKpi": (RateRule(math.ceil(plants / 100), FIVE_MINUTES),),
        # 9.3.3 historical plant data: per day Roundup(plants/100) + 24; one per minute.
        "plantHistoryKpi": (RateRule(1, MINUTE), RateRule(math.ceil(plants / 100) + 24, DAY)),
        # 9.3.4 - 9.3.8: "once per minute".
        "chargeAndDischarge": once_a_minute,
        "chargeAndDischargeStatus": once_a_minute,
        "dod": once_a_minute,
        "devOnOff": once_a_minute,
        "ems": once_a_minute,
        # 9.6.1.1 / 9.6.1.2 enrolment: "once per minute".
        "snEnrolment": once_a_minute,
        "acEnrolment": once_a_minute,
        # 9.6.1.3 / 9.6.1.4 default task and its query: "10 times per minute and 1000 times per day".
        "plantDefaultSetting": ten_a_minute_1000_a_day,
        "plantDefaultSettingStatus": ten_a_minute_1000_a_day,
        # 9.6.1.5 rated plant data: "10 times per minute and 500 times per day".
        "plantRatedData": (RateRule(10, MINUTE), RateRule(500, DAY)),
        # 9.6.1.6 / 9.6.1.7 DRM and its query: "10 times per minute and 1000 times per day".
        "drm": ten_a_minute_1000_a_day,
        "drmStatus": ten_a_minute_1000_a_day,
    }
    return MappingProxyType(limits)


HUAWEI_LIMITS: Limits = huawei_limits()
"""Huawei limits at the formulas' floor (one plant, one device): safe when the counts are unknown."""


# Growatt OpenAPI v1 (shared/vendor-docs/growatt-openapi-v1.txt) documents NO call limits. The live
# openapi.growatt.com refuses a repeat of the same request within 5 minutes with error_code 10012
# "error_frequently_access", and the team's simulator follows that; note that the same code 10012 means
# "Energy storage machine does not exist" in the document's storageSet answer (4.3.12), so the adapter must
# tell them apart by error_msg. The rule is per IDENTICAL request: key it with
# ``rate_key("growatt", account, endpoint, params=request_params)``, never per endpoint alone, or one
# device's command would hold every other device back for 5 minutes.
_GROWATT_SAME_REQUEST = (RateRule(1, FIVE_MINUTES),)
GROWATT_LIMITS: Limits = MappingProxyType(
    {
        "storageSet": _GROWATT_SAME_REQUEST,  # 4.3.12 energy storage parameter setting
        "inverterSet": _GROWATT_SAME_REQUEST,  # 4.3.7 inverter parameter setting
        "device/storage/storage_last_data": _GROWATT_SAME_REQUEST,  # 4.3.13 latest storage data
        "device/inverter/last_new_data": _GROWATT_SAME_REQUEST,  # 4.3.8 latest inverter data
        "device/inverter/invs_data": _GROWATT_SAME_REQUEST,  # 4.3.9 batch latest inverter data
        "device/datalogger/validate": _GROWATT_SAME_REQUEST,  # 4.3.10 check collector SN and code
        "device/datalogger/add": _GROWATT_SAME_REQUEST,  # 4.3.2 add a collector
        "device/datalogger/list": _GROWATT_SAME_REQUEST,  # 4.3.1 collectors of a plant
        "device/list": _GROWATT_SAME_REQUEST,  # 4.3.4 devices of a plant
        "plant/list": _GROWATT_SAME_REQUEST,  # 4.2.1 plants of a user
        # The live cloud applies the rule to EVERY v1 call (growattServer exceptions.py 10012 "Access
        # Frequency Limitation of 5 Minutes/Time (Universal)"; vendors/growatt/FIELD_NOTES.md).
        "plant/details": _GROWATT_SAME_REQUEST,  # 4.2.4
        "plant/data": _GROWATT_SAME_REQUEST,  # 4.2.5
        "plant/energy": _GROWATT_SAME_REQUEST,  # 4.2.6
        "plant/power": _GROWATT_SAME_REQUEST,  # 4.2.7
        "plant/add": _GROWATT_SAME_REQUEST,  # 4.2.8
        "plant/user_plant_list": _GROWATT_SAME_REQUEST,  # 4.2.9
        "device/datalogger/delete": _GROWATT_SAME_REQUEST,  # 4.3.3
        "device/inverter/inv_data_info": _GROWATT_SAME_REQUEST,  # 4.3.15
        "device/storage/storage_data": _GROWATT_SAME_REQUEST,  # 4.3.14
        # Hybrids and the VPP interface (not in our document; vendors/growatt/FIELD_NOTES "Hybrid families").
        "tlxSet": _GROWATT_SAME_REQUEST,
        "mixSet": _GROWATT_SAME_REQUEST,
        "spaSet": _GROWATT_SAME_REQUEST,
        "vppRemoteSetNew": _GROWATT_SAME_REQUEST,
        "vppSetNew": _GROWATT_SAME_REQUEST,
        "device/vpp/getSocData": _GROWATT_SAME_REQUEST,
        "device/tlx/tlx_last_data": _GROWATT_SAME_REQUEST,
        "device/mix/mix_last_data": _GROWATT_SAME_REQUEST,
        "device/spa/spa_last_data": _GROWATT_SAME_REQUEST,
    }
)
"""Growatt: one identical request per 5 minutes (not in our copy of the document; see above)."""
