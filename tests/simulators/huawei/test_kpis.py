"""Basic plant information, real-time and history KPIs (# NBI V7 9.3.1, 9.3.2, 9.3.3)."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.simulators.huawei.helpers import codes_csv, fail_code, ok

REALTIME_KEYS = {
    "dayEnergy", "monthEnergy", "totalEnergy", "pvPower", "meterPower", "batteryPower", "loadPower",
    "batterySOC", "batteryDOD", "healthState",
}  # fmt: skip


def test_basic_info_reports_battery_and_inverter_ratings(nbi, plants):
    data = ok(nbi("/vpp/plants", {"plantCodes": codes_csv(plants[:3])}))
    assert [d["plantCode"] for d in data] == [p["plantCode"] for p in plants[:3]]
    for info, plant in zip(data, plants[:3], strict=True):
        battery = plant["battery"]
        assert info["batteryInstallCapacity"] == battery["ratedKwh"]
        usable = battery["ratedKwh"] * battery["soc"] / 100 * battery["soh"]
        assert info["batteryUsableCapacity"] == pytest.approx(usable, abs=0.01)
        assert info["inverterPower"] > 0 and info["capacity"] == plant["capacityKwp"]
        assert datetime.fromisoformat(info["installationTime"]).utcoffset() is not None


def test_realtime_kpis_for_100_plants_match_the_true_state(nbi, plants):
    batch = plants[:100]
    data = ok(nbi("/vpp/plantRealtimeKpi", {"plantCodes": codes_csv(batch)}))
    assert len(data) == 100
    for row, plant in zip(data, batch, strict=True):
        item = row["dataItemMap"]
        assert row["plantCode"] == plant["plantCode"] and set(item) == REALTIME_KEYS
        assert item["batterySOC"] == pytest.approx(plant["battery"]["soc"], abs=0.05)
        assert item["healthState"] == 0 and item["batteryPower"] == 0.0
        # meterPower > 0 feeds the grid: PV + battery discharge - load
        assert item["meterPower"] == pytest.approx(
            item["pvPower"] + item["batteryPower"] - item["loadPower"], abs=0.01
        )


def test_realtime_kpis_refuse_101_plants_and_foreign_plants(nbi, plants, other_plants, sim):
    assert (
        fail_code(nbi("/vpp/plantRealtimeKpi", {"plantCodes": ",".join(f"NE={n}" for n in range(101))}))
        == 20015
    )
    assert fail_code(nbi("/vpp/plantRealtimeKpi", {"plantCodes": other_plants[0]["plantCode"]})) == 20007


def test_realtime_limit_is_one_call_per_100_plants_per_5_minutes(nbi, plants, sim):
    body = {"plantCodes": codes_csv(plants[:5])}
    assert ok(nbi("/vpp/plantRealtimeKpi", body))  # 120 plants -> Roundup(120/100) = 2 per 5 minutes
    assert ok(nbi("/vpp/plantRealtimeKpi", body))
    assert fail_code(nbi("/vpp/plantRealtimeKpi", body)) == 407
    sim.control.advance(300)
    assert ok(nbi("/vpp/plantRealtimeKpi", body))


def test_offline_plant_is_disconnected_in_realtime_kpis(nbi, plants, sim):
    sim.control.plants_offline([plants[0]["plantCode"]])
    (row,) = ok(nbi("/vpp/plantRealtimeKpi", {"plantCodes": plants[0]["plantCode"]}))
    assert row["dataItemMap"]["healthState"] == 1 and row["dataItemMap"]["pvPower"] is None


def test_history_gives_5_minute_records_in_plant_time(nbi, plants, sim):
    now_ms = int(sim.control.now() * 1000)
    start = now_ms - now_ms % 300_000 - 3600_000
    data = ok(
        nbi(
            "/vpp/plantHistoryKpi",
            {"plantCodes": codes_csv(plants[:2]), "startTime": start, "endTime": start + 3600_000},
        )
    )
    assert [d["plantCode"] for d in data] == [p["plantCode"] for p in plants[:2]]
    records = data[0]["dataItem"]
    assert len(records) == 12  # [startTime, endTime) at 5-minute steps
    times = [datetime.fromisoformat(r["dataTime"]) for r in records]
    assert all((b - a).total_seconds() == 300 for a, b in zip(times, times[1:], strict=False))
    assert int(times[0].timestamp() * 1000) == start and times[0].utcoffset() is not None
    assert records[-1]["batterySOC"] == pytest.approx(plants[0]["battery"]["soc"], abs=0.05)
    assert {"pvEnergy", "chargeEnergy", "dischargeEnergy", "gridAPhaseVoltage"} <= set(records[0])


@pytest.mark.parametrize(
    ("times", "code"),
    [({"startTime": 1000}, 20012), ({"startTime": 5000, "endTime": 5000}, 20604),
     ({"startTime": -5, "endTime": 5000}, 20605), ({"startTime": 0, "endTime": 86_400_001}, 20611)],
)  # fmt: skip
def test_history_time_errors(nbi, plants, times, code):
    assert fail_code(nbi("/vpp/plantHistoryKpi", {"plantCodes": plants[0]["plantCode"], **times})) == code
