"""Power station endpoints (# Growatt 4.2): exact fields and types, paging, errors."""

from datetime import timedelta

from tests.simulators.growatt.helpers import code, ok

PLANT_LIST_FIELDS = {
    "plant_id", "name", "user_id", "country", "longitude", "latitude", "peak_power", "create_date",
    "installer", "current_power", "total_energy",
}  # fmt: skip


def test_plant_list_pages_with_count_and_caps_perpage_at_100(api, plants) -> None:
    first = ok(api.get("/v1/plant/list", params={"page": 1, "perpage": 5}))
    second = ok(api.get("/v1/plant/list", params={"page": 2, "perpage": 5}))
    assert first["count"] == len(plants) == 20
    assert len(first["plants"]) == 5
    assert {p["plant_id"] for p in first["plants"]}.isdisjoint(p["plant_id"] for p in second["plants"])
    assert set(first["plants"][0]) == PLANT_LIST_FIELDS
    assert isinstance(first["plants"][0]["plant_id"], int)
    assert len(ok(api.get("/v1/plant/list", params={"perpage": 1000}))["plants"]) == 20
    assert len(ok(api.get("/v1/plant/list"))["plants"]) == 20  # default perpage 20


def test_plant_list_searches_by_name(api, plant) -> None:
    data = ok(api.get("/v1/plant/list", params={"search_type": "name", "search_keyword": plant["name"]}))
    assert [p["plant_id"] for p in data["plants"]] == [plant["plant_id"]]


def test_plant_details_gives_the_timezone(api, plant) -> None:
    data = ok(api.get("/v1/plant/details", params={"plant_id": plant["plant_id"]}))
    assert data["timezone"] == plant["timezone"]
    assert data["name"] == plant["name"]
    assert data["user_id"] == plant["user_id"]


def test_plant_details_errors(api) -> None:
    assert code(api.get("/v1/plant/details")) == 10003
    assert code(api.get("/v1/plant/details", params={"plant_id": "999999999"})) == 10002


def test_plant_data_overview(api, plant) -> None:
    data = ok(api.get("/v1/plant/data", params={"plant_id": plant["plant_id"]}))
    assert data["timezone"] == plant["timezone"]
    assert (
        0 <= data["today_energy"] <= data["monthly_energy"] <= data["yearly_energy"] <= data["total_energy"]
    )
    assert data["current_power"] >= 0
    assert code(api.get("/v1/plant/data", params={"plant_id": ""})) == 10003


def test_plant_energy_by_day_month_and_year(growatt_sim, api, plant) -> None:
    today = growatt_sim.local_now(plant["timezone"]).date()
    start = today - timedelta(days=9)
    days = ok(
        api.get(
            "/v1/plant/energy",
            params={"plant_id": plant["plant_id"], "start_date": str(start), "end_date": str(today)},
        )
    )
    assert days["count"] == 10 and days["time_unit"] == "day"
    assert [r["date"] for r in days["energys"]] == [str(start + timedelta(days=i)) for i in range(10)]
    assert all(r["energy"] > 0 for r in days["energys"][:-1])
    years = ok(
        api.get(
            "/v1/plant/energy",
            params={
                "plant_id": plant["plant_id"],
                "start_date": f"{today.year - 1}-01-01",
                "end_date": str(today),
                "time_unit": "year",
            },
        )
    )
    assert [r["date"] for r in years["energys"]] == [str(today.year - 1), str(today.year)]
    bad = api.get("/v1/plant/energy", params={"plant_id": plant["plant_id"], "start_date": "2026/01/01"})
    assert code(bad) == 10004


def test_plant_power_is_five_minute_records_up_to_now(growatt_sim, api, plant) -> None:
    today = growatt_sim.local_now("UTC").date()
    data = ok(api.get("/v1/plant/power", params={"plant_id": plant["plant_id"], "date": str(today)}))
    assert data["count"] == len(data["powers"]) > 0
    assert data["powers"][0]["time"] == f"{today} 00:00:00"
    assert code(api.get("/v1/plant/power", params={"plant_id": plant["plant_id"], "date": "x"})) == 10003


def test_user_plant_list_answers_for_the_callers_user(api, plants) -> None:
    mine = ok(api.post("/v1/plant/user_plant_list", data={"user_name": "vpp-user-1"}))
    assert mine["count"] == len(plants)
    assert ok(api.post("/v1/plant/user_plant_list", data={"user_name": "vpp-user-2"}))["count"] == 0


def test_plant_add_validates_then_creates_an_empty_plant(api) -> None:
    base = {"c_user_id": "1001", "name": "New Home", "peak_power": "5", "timezone_id": "Europe/Berlin"}
    assert code(api.post("/v1/plant/add", data={**base, "c_user_id": ""})) == 10002
    assert code(api.post("/v1/plant/add", data={**base, "name": ""})) == 10003
    assert code(api.post("/v1/plant/add", data={**base, "peak_power": ""})) == 10004
    assert code(api.post("/v1/plant/add", data={**base, "c_user_id": "1002"})) == 10005
    plant_id = ok(api.post("/v1/plant/add", data=base))["plant_id"]
    assert code(api.post("/v1/plant/add", data=base)) == 10006  # same name under this user
    details = ok(api.get("/v1/plant/details", params={"plant_id": plant_id}))
    assert details["timezone"] == "Europe/Berlin"
    assert ok(api.get("/v1/device/list", params={"plant_id": plant_id}))["count"] == 0
