"""The Growatt ``/_sim/`` routes tests and benchmarks rely on: true state, accounts, reset."""

import httpx

from tests.simulators.growatt.helpers import code


def test_sim_plants_filters_enrolled_pool_and_account(growatt_sim) -> None:
    control = growatt_sim.control
    body = control.get("/_sim/plants", enrolled="1", limit=5)
    assert body["total"] == 60 and len(body["plants"]) == 5
    pool = control.plants(enrolled=False)
    assert len(pool) == 10
    assert all(p["plant_id"] is None and p["account"] is None and p["check_code"] for p in pool)
    mine = control.plants(account="account-2", limit=1000)
    assert len(mine) == 20 and {p["account"] for p in mine} == {"account-2"}
    timezones = {p["timezone"] for p in control.plants(enrolled=True, limit=1000)}
    assert {"Europe/Berlin", "Australia/Sydney", "Asia/Shanghai"} <= timezones


def test_sim_plant_entry_has_the_true_unit_state(growatt_sim, plant) -> None:
    entry = growatt_sim.control.plant(plant["plant_id"])
    unit = entry["units"][0]
    assert entry["storage_sn"] == unit["storage_sn"] and entry["soc"] == unit["soc"]
    assert unit["max_power_w"] in (2000.0, 3000.0)
    assert unit["capacity_wh"] >= 5000
    assert 20 <= unit["soc"] <= 70


def test_unknown_sim_plant_is_404(growatt_sim) -> None:
    response = httpx.get(f"{growatt_sim.base_url}/_sim/plants/42")
    assert response.status_code == 404


def test_accounts_list_tokens_users_and_plant_counts(growatt_sim) -> None:
    accounts = growatt_sim.control.accounts()
    assert [(a["name"], a["token"], a["user_id"], a["plants"]) for a in accounts] == [
        ("account-1", "growatt-token-1", 1001, 20),
        ("account-2", "growatt-token-2", 1002, 20),
        ("account-3", "growatt-token-3", 1003, 20),
    ]


def test_reset_rebuilds_the_same_world(growatt_sim, storage_set, plant) -> None:
    assert code(storage_set(plant["storage_sn"], "storage_ac_charge_enable_disable", "1")) == 0
    growatt_sim.control.advance(86400)
    growatt_sim.control.reset()
    again = growatt_sim.control.plant(plant["plant_id"])
    assert again["soc"] == plant["soc"] and again["check_code"] == plant["check_code"]
    assert again["units"][0]["schedule"]["ac_charge_enabled"] is False
    assert growatt_sim.control.commands() == []
