"""Default task, rated data and DRM (# NBI V7 9.6.1.3 - 9.6.1.7)."""

from __future__ import annotations

import pytest

from tests.simulators.huawei.helpers import codes_csv, fail_code, ok

DRMS = {"drm0": "false", "drm1": "true", "drm5": "false"}


def test_default_task_executes_then_succeeds(nbi, sim, plants):
    tasks = [
        {"plantCode": plants[0]["plantCode"], "maxFeedGridPower": 1.23456},
        {"plantCode": plants[1]["plantCode"], "activePowerVariationGradient": 10},
    ]
    data = ok(nbi("/vpp/plantDefaultSetting", {"tasks": tasks}))
    assert [t["result"] for t in data["tasks"]] == [0, 0] and len(data["requestId"]) == 16
    rows = ok(nbi("/vpp/plantDefaultSettingStatus", {"requestId": data["requestId"]}))
    assert [r["status"] for r in rows] == ["0", "0"] and rows[0]["appliedTime"] is None
    assert rows[0]["maxFeedGridPower"] == 1.235  # three decimals
    sim.control.advance(180)
    body = {"requestId": data["requestId"], "plantCodes": plants[1]["plantCode"]}
    rows = ok(nbi("/vpp/plantDefaultSettingStatus", body))
    assert len(rows) == 1 and rows[0]["status"] == "1" and rows[0]["appliedTime"]
    assert sim.control.plant(plants[0]["plantCode"])["maxFeedGridPower"] == 1.235
    (command,) = sim.control.commands()
    assert command["request_id"] == data["requestId"]


def test_default_task_per_plant_results(nbi, sim, plants):
    sim.control.plants_offline([plants[2]["plantCode"]])
    tasks = [
        {"plantCode": plants[0]["plantCode"]},
        {"plantCode": plants[1]["plantCode"], "activePowerVariationGradient": 0.01},
        {"plantCode": plants[2]["plantCode"], "maxFeedGridPower": 1},
        {"plantCode": plants[3]["plantCode"], "maxFeedGridPower": plants[3]["capacityKwp"] + 1},
        {"plantCode": plants[4]["plantCode"], "maxFeedGridPower": -1000},
    ]
    data = ok(nbi("/vpp/plantDefaultSetting", {"tasks": tasks}))
    assert [t["result"] for t in data["tasks"]] == [20612, 20611, 20614, 20611, 0]
    again = nbi("/vpp/plantDefaultSetting", {"tasks": [tasks[4]]})  # the first is still executing
    assert fail_code(again) == 20613 and again["data"]["tasks"][0]["result"] == 20615


def test_failing_plant_default_task_ends_failed(nbi, sim, plants):
    sim.control.fail_tasks([plants[0]["plantCode"]])
    data = ok(
        nbi(
            "/vpp/plantDefaultSetting",
            {"tasks": [{"plantCode": plants[0]["plantCode"], "maxFeedGridPower": 2}]},
        )
    )
    sim.control.advance(600)
    (row,) = ok(nbi("/vpp/plantDefaultSettingStatus", {"requestId": data["requestId"]}))
    assert row["status"] == "2" and row["appliedTime"] is None


@pytest.mark.parametrize(
    ("body", "code"),
    [({}, 20607), ({"tasks": []}, 20607), ({"tasks": [{"maxFeedGridPower": 1}]}, 20612),
     ({"tasks": [{"plantCode": f"NE={n}", "maxFeedGridPower": 1} for n in range(101)]}, 20015)],
)  # fmt: skip
def test_default_task_request_errors(nbi, body, code):
    assert fail_code(nbi("/vpp/plantDefaultSetting", body)) == code


def test_default_task_duplicates_and_foreign_plants(nbi, plants, other_plants):
    same = {"plantCode": plants[0]["plantCode"], "maxFeedGridPower": 1}
    assert fail_code(nbi("/vpp/plantDefaultSetting", {"tasks": [same, same]})) == 20608
    foreign = {"plantCode": other_plants[0]["plantCode"], "maxFeedGridPower": 1}
    assert fail_code(nbi("/vpp/plantDefaultSetting", {"tasks": [same, foreign]})) == 20045


def test_default_status_errors(nbi, nbi_other, plants):
    assert fail_code(nbi("/vpp/plantDefaultSettingStatus", {})) == 20616
    assert fail_code(nbi("/vpp/plantDefaultSettingStatus", {"requestId": "1"})) == 20617
    data = ok(
        nbi(
            "/vpp/plantDefaultSetting",
            {"tasks": [{"plantCode": plants[0]["plantCode"], "maxFeedGridPower": 1}]},
        )
    )
    assert fail_code(nbi_other("/vpp/plantDefaultSettingStatus", {"requestId": data["requestId"]})) == 20617
    body = {"requestId": data["requestId"], "plantCodes": plants[1]["plantCode"]}
    assert fail_code(nbi("/vpp/plantDefaultSettingStatus", body)) == 20617


def test_default_task_is_ten_per_minute(nbi, sim):
    for _ in range(10):
        assert fail_code(nbi("/vpp/plantDefaultSetting", {})) == 20607  # refused calls still count
    assert fail_code(nbi("/vpp/plantDefaultSetting", {})) == 407
    sim.control.advance(60)
    assert fail_code(nbi("/vpp/plantDefaultSetting", {})) == 20607


def test_rated_data(nbi, plants, other_plants):
    data = ok(nbi("/vpp/plantRatedData", {"plantCodes": codes_csv(plants[:3])}))
    assert data["total"] == 3 and [r["plantCode"] for r in data["plantRatedData"]] == [
        p["plantCode"] for p in plants[:3]
    ]
    row = data["plantRatedData"][0]
    assert set(row) == {
        "plantCode",
        "ratedActivePower",
        "ratedApparentPower",
        "ratedReactivePowerP",
        "ratedReactivePowerN",
    }
    assert row["ratedApparentPower"] >= row["ratedActivePower"] > 0
    assert fail_code(nbi("/vpp/plantRatedData", {"plantCodes": ""})) == 20010
    assert fail_code(nbi("/vpp/plantRatedData", {"plantCodes": other_plants[0]["plantCode"]})) == 20045


def test_rated_data_daily_quota_is_20618(nbi, sim, plants):
    body = {"plantCodes": plants[0]["plantCode"]}
    for minute in range(50):  # 10 a minute, 500 a day
        for _ in range(10):
            assert ok(nbi("/vpp/plantRatedData", body))
        if minute == 0:
            assert fail_code(nbi("/vpp/plantRatedData", body)) == 407
        sim.control.advance(60)
    assert fail_code(nbi("/vpp/plantRatedData", body)) == 20618
    sim.control.advance(86400 - 50 * 60)  # the first minute's calls leave the 24 h window
    nbi.client.headers["XSRF-TOKEN"] = sim.login(0).headers["XSRF-TOKEN"]
    assert ok(nbi("/vpp/plantRatedData", body))


def test_drm_on_a_dongle_plant_executes_then_succeeds(nbi, sim, dongle_plant):
    data = ok(nbi("/vpp/drm", {"plantcodes": dongle_plant["plantCode"], "drms": DRMS}))
    (row,) = data
    assert row["result"] == 0 and row["plantcode"] == dongle_plant["plantCode"]
    assert row["drm"] == "drm0=false,drm1=true,drm5=false"
    (status,) = ok(nbi("/vpp/drmStatus", {"remoteIds": row["remoteId"]}))
    inverters = [d["dn"] for d in dongle_plant["devices"] if d["deviceTypeId"] == 20822]
    assert [d["dn"] for d in status["devicesStatusInfo"]] == inverters
    assert {d["status"] for d in status["devicesStatusInfo"]} == {"0"}
    sim.control.advance(120)
    (status,) = ok(nbi("/vpp/drmStatus", {"remoteIds": row["remoteId"]}))
    assert {d["status"] for d in status["devicesStatusInfo"]} == {"1"}
    assert all(d["appliedTime"] for d in status["devicesStatusInfo"])


def test_drm_is_unavailable_on_smartlogger_plants(nbi, logger_plant, dongle_plant):
    codes = logger_plant["plantCode"] + "," + dongle_plant["plantCode"]
    data = ok(nbi("/vpp/drm", {"plantcodes": codes, "drms": [DRMS]}))
    assert [(d["plantcode"], d["result"]) for d in data] == [
        (logger_plant["plantCode"], 1),
        (dongle_plant["plantCode"], 0),
    ]


def test_failing_drm_reports_status_2(nbi, sim, dongle_plant):
    sim.control.fail_tasks([dongle_plant["plantCode"]])
    (row,) = ok(nbi("/vpp/drm", {"plantcodes": dongle_plant["plantCode"], "drms": DRMS}))
    sim.control.advance(300)
    (status,) = ok(nbi("/vpp/drmStatus", {"remoteIds": row["remoteId"]}))
    assert {d["status"] for d in status["devicesStatusInfo"]} == {"2"}


@pytest.mark.parametrize(
    ("body", "code"),
    [({"drms": DRMS}, 20116), ({"plantcodes": ",".join(f"NE={n}" for n in range(101)), "drms": DRMS}, 20116),
     ({"plantcodes": "NE=1"}, 20612), ({"plantcodes": "NE=1", "drms": {**DRMS, "drm1": "maybe"}}, 20611),
     ({"plantcodes": "NE=1", "drms": DRMS}, 20045)],
)  # fmt: skip
def test_drm_errors(nbi, body, code):
    assert fail_code(nbi("/vpp/drm", body)) == code


def test_drm_status_errors(nbi, nbi_other, dongle_plant):
    assert fail_code(nbi("/vpp/drmStatus", {})) == 20616
    assert fail_code(nbi("/vpp/drmStatus", {"remoteIds": ",".join(str(n) for n in range(101))})) == 20619
    assert fail_code(nbi("/vpp/drmStatus", {"remoteIds": "123"})) == 20620
    (row,) = ok(nbi("/vpp/drm", {"plantcodes": dongle_plant["plantCode"], "drms": DRMS}))
    assert fail_code(nbi_other("/vpp/drmStatus", {"remoteIds": row["remoteId"]})) == 20620
