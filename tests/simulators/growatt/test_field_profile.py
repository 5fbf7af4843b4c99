"""The simulator's field profile (the default): each recorded field behaviour (FIELD_NOTES.md), and the
``/_sim/`` routes that provoke it. The directory's other tests pin the document profile."""

from __future__ import annotations

import httpx
import pytest

LAST = "/v1/device/storage/storage_last_data"


@pytest.fixture
def document_profile() -> None:
    """Overrides the directory's autouse fixture: these tests run the field profile."""


def test_the_field_profile_is_the_default_and_document_is_one_switch_away(growatt_sim):
    assert growatt_sim.control.get("/_sim/field")["profile"] == "field"
    switched = growatt_sim.control.field(profile="document")
    assert switched["profile"] == "document" and switched["timezone_text"] is False
    growatt_sim.control.reset()
    assert growatt_sim.control.get("/_sim/field")["profile"] == "field"


def test_time_zones_are_gmt_offsets_and_can_be_set_to_any_form(api, growatt_sim, plant):
    details = api.get("/v1/plant/details", params={"plant_id": plant["plant_id"]}).json()["data"]
    assert details["timezone"].startswith("GMT")
    for value in ("GMT-3:30", 8, "PRC", ""):
        growatt_sim.control.plants_timezone([plant["plant_id"]], value)
        growatt_sim.control.advance(301)  # past the repeat rule
        shown = api.get("/v1/plant/details", params={"plant_id": plant["plant_id"]}).json()["data"]
        assert shown["timezone"] == value


def test_numbers_arrive_as_strings_and_coordinates_can_be_blank(api, growatt_sim, plants):
    record = api.post(LAST, data={"storage_sn": plants[0]["storage_sn"]}).json()["data"]
    assert isinstance(record["capacity"], str) and float(record["capacity"]) == pytest.approx(
        plants[0]["soc"]
    )
    rows = api.get("/v1/plant/list").json()["data"]["plants"]
    assert all(isinstance(r["peak_power"], str) for r in rows)
    assert any(r["latitude"] == "" for r in rows) and any(r["latitude"] not in ("", "0") for r in rows)


def test_every_repeated_call_within_5_minutes_is_refused_with_10012(api, growatt_sim, plant):
    growatt_sim.control.set_speed(0)
    params = {"plant_id": plant["plant_id"]}
    assert api.get("/v1/plant/details", params=params).json()["error_code"] == 0
    again = api.get("/v1/plant/details", params=params).json()
    assert again["error_code"] == 10012 and again["error_msg"].startswith("error_frequently_access")
    growatt_sim.control.advance(300)
    assert api.get("/v1/plant/details", params=params).json()["error_code"] == 0


def test_plant_lists_are_limited_to_ten_a_day(api, growatt_sim):
    growatt_sim.control.set_speed(0)
    codes = []
    for _ in range(11):
        codes.append(api.get("/v1/plant/list").json()["error_code"])
        growatt_sim.control.advance(301)
    assert codes == [0] * 10 + [10012]
    growatt_sim.control.advance(86_400)
    assert api.get("/v1/plant/list").json()["error_code"] == 0


def test_too_many_refusals_block_the_account_for_24_hours(api, growatt_sim, plant):
    growatt_sim.control.set_speed(0)
    params = {"plant_id": plant["plant_id"]}
    for _ in range(41):
        api.get("/v1/plant/details", params=params)
    blocked = api.get("/v1/plant/list").json()
    assert blocked["error_code"] == 507 and "locked for 24 hours" in blocked["error_msg"]
    assert blocked["data"]["lockDuration"] == 24
    growatt_sim.control.advance(12 * 3600)
    for _ in range(50):  # row 26: calls during the block do not lengthen it
        api.get("/v1/plant/details", params=params)
    assert api.get("/v1/plant/list").json()["data"]["lockDuration"] == 12
    growatt_sim.control.advance(12 * 3600)
    assert api.get("/v1/plant/list").json()["error_code"] == 0


@pytest.mark.parametrize(
    ("known", "sent", "code"),
    [
        (["storage_ac_charge_enable_disenable"], "storage_ac_charge_enable_disable", 10006),
        (["storage_ac_charge_enable_disable"], "storage_ac_charge_enable_disenable", 10006),
        (["storage_ac_charge_enable_disenable"], "storage_ac_charge_enable_disenable", 0),
    ],
)
def test_the_ac_charge_spelling_can_be_set_either_way(growatt_sim, storage_set, plant, known, sent, code):
    growatt_sim.control.field(ac_charge_types=known)
    assert storage_set(plant["storage_sn"], sent, "1").json()["error_code"] == code


@pytest.mark.parametrize(("known", "sent", "code"), [(["0001"], "0101", 10008), (["0001"], "0001", 0)])
def test_the_on_code_can_be_set_either_way(api, growatt_sim, plant, known, sent, code):
    growatt_sim.control.field(on_codes=known)
    body = {"device_sn": plant["inverter_sn"], "paramId": "pv_on_off", "command_1": sent, "command_2": ""}
    assert api.post("/v1/inverterSet", data=body).json()["error_code"] == code


@pytest.mark.parametrize("kind", ["html", "truncated", "empty", "wrong_type", "string_code", "code"])
def test_broken_answers_can_be_queued_per_path(api, growatt_sim, plant, kind):
    growatt_sim.control.bad_answer(kind, LAST, code=10099)
    response = api.post(LAST, data={"storage_sn": plant["storage_sn"]})
    if kind in ("html", "truncated", "empty"):
        with pytest.raises(ValueError):
            response.json()
    elif kind == "wrong_type":
        assert isinstance(response.json()["data"], list)
    elif kind == "string_code":
        assert response.json()["error_code"] == "abc"
    else:
        assert response.json()["error_code"] == 10099
    growatt_sim.control.advance(301)
    assert api.post(LAST, data={"storage_sn": plant["storage_sn"]}).json()["error_code"] == 0  # once only


def test_paging_limits_answer_their_codes(api):
    assert api.get("/v1/plant/list", params={"perpage": "101"}).json()["error_code"] == 10013
    assert api.get("/v1/plant/list", params={"page": "251"}).json()["error_code"] == 10014


def test_bad_switches_are_refused_and_change_nothing(growatt_sim):
    before = growatt_sim.control.get("/_sim/field")
    for body in ({"on_codes": ["9999"]}, {"nope": 1}, {"repeat_every_call": "yes"}, {"profile": "x"}):
        response = growatt_sim.control._http.post("/_sim/field", json=body)
        assert response.status_code == 400
    assert growatt_sim.control.get("/_sim/field") == before


def test_a_plant_clock_can_keep_a_fixed_offset_all_year(api, growatt_sim, plant):
    """FIELD_NOTES rows 1-2: /_sim/plants/clock puts the devices on a fixed offset; plant/details shows it."""
    growatt_sim.control.plants_clock([plant["plant_id"]], "UTC-03:30")
    growatt_sim.control.advance(301)
    shown = api.get("/v1/plant/details", params={"plant_id": plant["plant_id"]}).json()["data"]
    assert shown["timezone"] == "GMT-3:30"
    assert growatt_sim.control.plant(plant["plant_id"])["units"][0]["timezone"] == "UTC-03:30"
    for bad in ("GMT-3:30", "UTC+15:00", 5):
        with pytest.raises(httpx.HTTPStatusError, match="400"):
            growatt_sim.control.plants_clock([plant["plant_id"]], bad)


def _advance_to_local(growatt_sim, zone, hour, minute):
    from datetime import datetime, timedelta

    now = datetime.fromtimestamp(growatt_sim.control.now(), zone)
    at = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if at <= now:
        at += timedelta(days=1)
    growatt_sim.control.advance((at - now).total_seconds())


def test_lifetime_totals_read_zero_and_today_bounces_back_after_local_midnight(api, growatt_sim, plant):
    """Row 24: in the first minutes after the plant's midnight the totals read 0 and "today" is yesterday's
    last value; after the window both are real again (today restarted)."""
    from datetime import timedelta, timezone

    growatt_sim.control.set_speed(0)
    growatt_sim.control.plants_clock([plant["plant_id"]], "UTC+05:30")
    zone = timezone(timedelta(minutes=330))

    def read():
        growatt_sim.control.advance(1)  # each read another request time, as the repeat rule wants
        params = {"device_sn": plant["inverter_sn"]}
        return api.get("/v1/device/inverter/last_new_data", params=params).json()["data"]

    _advance_to_local(growatt_sim, zone, 23, 59)
    before = read()
    _advance_to_local(growatt_sim, zone, 0, 4)
    after = read()
    _advance_to_local(growatt_sim, zone, 0, 20)
    later = read()

    assert float(before["powerTotal"]) > 0 and float(before["powerToday"]) > 0, before
    assert float(after["powerTotal"]) == 0
    assert float(after["powerToday"]) == float(before["powerToday"])  # yesterday's (no sun at night)
    assert float(after["timeTotal"]) > 0  # hours run are not energy
    assert float(later["powerTotal"]) > 0 and float(later["powerToday"]) == 0  # today restarted
    growatt_sim.control.field(midnight_window_min=0)  # the document's reading: no zeros
    _advance_to_local(growatt_sim, zone, 0, 4)
    assert float(read()["powerTotal"]) > 0


def test_a_token_works_only_on_its_own_regions_server(api, growatt_sim, plant):
    """Row 25: /_sim/accounts/region moves an account's token to a regional server (/region/<r>/v1)."""
    growatt_sim.control.set_region(["account-1"], "us")
    main = api.get("/v1/plant/list").json()
    regional = api.get("/region/us/v1/plant/list").json()
    other = api.get("/region/au/v1/plant/list").json()
    assert (main["error_code"], main["error_msg"]) == (10011, "error_permission_denied")
    assert regional["error_code"] == 0 and regional["data"]["plants"]
    assert other["error_code"] == 10011
    growatt_sim.control.set_region(["account-1"], "")
    growatt_sim.control.advance(301)
    assert api.get("/v1/plant/list").json()["error_code"] == 0
