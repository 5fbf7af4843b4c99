"""storage_data (# Growatt 4.3.14): 5-minute history records, 7-day limit, paging."""

from datetime import timedelta

from tests.simulators.growatt.helpers import advance_to_local, code, morning_if_late, ok, window_params


def test_history_has_five_minute_records_and_pages(growatt_sim, api, plant) -> None:
    today = growatt_sim.local_now("UTC").date()
    growatt_sim.control.advance(3 * 3600)
    query = {
        "storage_sn": plant["storage_sn"],
        "start_date": str(today - timedelta(days=1)),
        "end_date": str(today),
    }
    first = ok(api.post("/v1/device/storage/storage_data", data={**query, "perpage": "100"}))
    assert first["count"] > 288 and len(first["datas"]) == 100
    assert first["datas"][0]["time"] == f"{today - timedelta(days=1)} 00:00:00"
    assert first["datas"][1]["time"] == f"{today - timedelta(days=1)} 00:05:00"
    assert first["datalogger_sn"] == plant["datalogger_sn"]
    second = ok(
        api.post(
            "/v1/device/storage/storage_data",
            data={**query, "perpage": "100", "next_page_start_id": str(first["next_page_start_id"])},
        )
    )
    assert second["datas"][0]["time"] == f"{today - timedelta(days=1)} 08:20:00"


def test_history_shows_a_past_charge(growatt_sim, api, plant, storage_set) -> None:
    tz, sn = plant["timezone"], plant["storage_sn"]
    local = morning_if_late(growatt_sim, tz, latest_hour=20)
    start = (local + timedelta(minutes=30)).replace(second=0, microsecond=0)
    start -= timedelta(minutes=start.minute % 5)  # on the 5-minute grid of the records
    assert (
        code(
            storage_set(sn, "storage_ac_charge_hour_start", *window_params(start, start + timedelta(hours=1)))
        )
        == 0
    )
    assert code(storage_set(sn, "storage_ac_charge_enable_disable", "1")) == 0
    advance_to_local(growatt_sim, tz, start + timedelta(hours=2))
    query = {
        "storage_sn": sn,
        "start_date": str(start.date()),
        "end_date": str(start.date()),
        "timezone_id": tz,
    }
    records = ok(api.post("/v1/device/storage/storage_data", data={**query, "perpage": "1000"}))["datas"]
    statuses = {r["time"][11:16]: r["status"] for r in records}
    assert statuses[(start + timedelta(minutes=10)).strftime("%H:%M")] == 1
    assert statuses[(start - timedelta(minutes=10)).strftime("%H:%M")] == 0
    assert records[-1]["capacity"] > plant["soc"]


def test_history_errors(api, plant) -> None:
    url = "/v1/device/storage/storage_data"
    assert (
        code(api.post(url, data={"storage_sn": "", "start_date": "2026-01-01", "end_date": "2026-01-02"}))
        == 10002
    )
    base = {"storage_sn": plant["storage_sn"]}
    assert code(api.post(url, data={**base, "start_date": "2026-01-01", "end_date": "2026-01-09"})) == 10004
    assert code(api.post(url, data={**base, "start_date": "01/01/2026", "end_date": "2026-01-02"})) == 10003
    missing = {"storage_sn": "SPB9999999", "start_date": "2026-01-01", "end_date": "2026-01-02"}
    assert code(api.post(url, data=missing)) == 10005
