"""Contract: charge / discharge and its status, DoD, inverter on/off, EMS, DRM and its status, the default
setting and its status (NBI V7 9.3.4-9.3.8, 9.6.1.3, 9.6.1.4, 9.6.1.6, 9.6.1.7) in the field's shapes
(tests/fixtures/huawei), through the real adapter, and the simulator's answers in the same shapes."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.adapters.huawei.replay import fixture, shape_mismatches
from vendors.base import (
    ChargeDischarge,
    DefaultSetting,
    DevicePower,
    Drm,
    EmsMode,
    Outcome,
    PlantTarget,
    SentTask,
    SetDod,
    TaskState,
)

BERLIN = PlantTarget("NE=33554433", battery_dns=("NE=33554436",), inverter_dns=("NE=33554434",))
BLANK = PlantTarget("NE=33554465")
DONGLE = PlantTarget("NE=33554449", inverter_dns=("NE=33554450",))
CHARGE = ChargeDischarge("charge", "duration", duration_min=30)


def _sent(target, remote_id):
    return SentTask(target, remote_id, datetime.now(UTC))


def test_charge_and_its_status(cloud, replayed, served):
    cloud.answer("vpp/chargeAndDischarge", fixture("charge_and_discharge.json"))
    cloud.answer("vpp/chargeAndDischargeStatus", fixture("charge_and_discharge_status.json"))

    sent = replayed.send(CHARGE, [BERLIN, BLANK], request_id="5")
    done, running = replayed.poll(CHARGE, "5", [_sent(BERLIN, "12345679"), _sent(BLANK, "12345680")])

    accepted, refused = sent.results
    assert (accepted.outcome, accepted.remote_id) == (Outcome.ACCEPTED, "12345679")  # dispatchResult 0.0
    assert (refused.outcome, refused.vendor_code) == (Outcome.REJECTED, "20049")  # dispatchResult "1"
    assert (done.state, done.charged_kwh, done.discharged_kwh) == (TaskState.COMPLETED, 2.35, None)
    assert done.exec_end is not None
    assert (running.state, running.charged_kwh) == (TaskState.IN_PROGRESS, None)

    plant = served.plants()[0]
    body = {"plantCodes": plant["plantCode"], "dispatchSwitch": 1, "requestID": 5, "controlType": 2}
    answer = served("vpp/chargeAndDischarge", {**body, "dispatchTime": 30})
    assert shape_mismatches(fixture("charge_and_discharge.json")["data"][0], answer["data"][0]) == []
    status = served("vpp/chargeAndDischargeStatus", {"requestID": 5})
    assert shape_mismatches(fixture("charge_and_discharge_status.json"), status) == []


def test_dod_inverter_on_off_and_ems(cloud, replayed, served):
    cloud.answer("vpp/dod", fixture("dod.json"))
    cloud.answer("vpp/devOnOff", fixture("dev_on_off.json"))
    cloud.answer("vpp/ems", fixture("ems.json"))

    (dod,) = replayed.send(SetDod(90), [BERLIN], request_id="6").results
    (on,) = replayed.send(DevicePower(on=True), [BERLIN], request_id="7").results
    (ems,) = replayed.send(EmsMode(6), [BERLIN], request_id="8").results

    assert (dod.state, dod.message) == (TaskState.COMPLETED, "setDOD=90.0")  # result 0.0, setDOD 90.0
    assert on.state == TaskState.COMPLETED  # result "0"
    assert (ems.state, ems.devices) == (TaskState.COMPLETED, ("Logger-1",))

    plant = next(p for p in served.plants() if p["hasSmartLogger"])
    dns = {d["deviceTypeId"]: d["dn"] for d in plant["devices"]}
    for name, interface, body in (
        ("dod.json", "vpp/dod", {"dns": dns[20815], "dod": 90}),
        ("dev_on_off.json", "vpp/devOnOff", {"dns": dns[20822], "controlType": 1}),
        ("ems.json", "vpp/ems", {"dn": plant["plantCode"], "controlType": 6}),
    ):
        assert shape_mismatches(fixture(name), served(interface, body)) == [], name


def test_drm_and_its_status(cloud, replayed, served):
    cloud.answer("vpp/drm", fixture("drm.json"))
    cloud.answer("vpp/drmStatus", fixture("drm_status.json"))
    command = Drm(drm0=True, drm1=False, drm5=False)

    (sent,) = replayed.send(command, [DONGLE], request_id="9").results
    (status,) = replayed.poll(command, "9", [_sent(DONGLE, sent.remote_id)])

    assert (sent.outcome, sent.remote_id) == (Outcome.ACCEPTED, "5720350070339604")
    assert status.state == TaskState.COMPLETED and status.exec_end is not None

    plant = next(p for p in served.plants() if not p["hasSmartLogger"])
    drms = {"drm0": "true", "drm1": "false", "drm5": "false"}
    answer = served("vpp/drm", {"plantcodes": plant["plantCode"], "drms": drms})
    assert shape_mismatches(fixture("drm.json"), answer) == []
    status_answer = served("vpp/drmStatus", {"remoteIds": answer["data"][0]["remoteId"]})
    assert shape_mismatches(fixture("drm_status.json"), status_answer) == []


def test_default_setting_and_its_status(cloud, replayed, served):
    cloud.answer("vpp/plantDefaultSetting", fixture("plant_default_setting.json"))
    cloud.answer("vpp/plantDefaultSettingStatus", fixture("plant_default_setting_status.json"))
    command = DefaultSetting(max_feed_grid_power_kw=3.0)

    result = replayed.send(command, [BERLIN], request_id="10")
    (status,) = replayed.poll(command, "10", [_sent(BERLIN, result.results[0].remote_id)])

    assert result.results[0].outcome == Outcome.ACCEPTED  # result 0.0
    assert result.vendor_request_id == "1299460682406574"
    assert status.state == TaskState.COMPLETED  # status "1"

    plant = served.plants()[0]["plantCode"]
    answer = served("vpp/plantDefaultSetting", {"tasks": [{"plantCode": plant, "maxFeedGridPower": 3.0}]})
    assert shape_mismatches(fixture("plant_default_setting.json"), answer) == []
    body = {"requestId": answer["data"]["requestId"], "plantCodes": plant}
    status_answer = served("vpp/plantDefaultSettingStatus", body)
    assert shape_mismatches(fixture("plant_default_setting_status.json"), status_answer) == []
