"""Token auth (# Growatt 3.1, 5): the ``token`` header, 10011 without a valid one, rotation, and scoping
of plants to the API account that owns them."""

import httpx

from tests.simulators.growatt.helpers import code, ok


def test_request_without_token_is_refused_with_10011(growatt_sim) -> None:
    response = httpx.get(f"{growatt_sim.base_url}/v1/plant/list")
    assert code(response) == 10011
    assert response.json()["error_msg"]


def test_unknown_token_is_refused_with_10011(growatt_sim) -> None:
    with growatt_sim.client("not-a-token") as client:
        assert code(client.get("/v1/plant/list")) == 10011


def test_every_account_token_is_accepted_and_sees_only_its_own_plants(growatt_sim) -> None:
    assert growatt_sim.tokens == ["growatt-token-1", "growatt-token-2", "growatt-token-3"]
    truth = growatt_sim.control.plants(enrolled=True, limit=1000)
    for k, token in enumerate(growatt_sim.tokens, start=1):
        with growatt_sim.client(token) as client:
            data = ok(client.get("/v1/plant/list", params={"perpage": 100}))
        expected = sorted(p["plant_id"] for p in truth if p["account"] == f"account-{k}")
        assert data["count"] == len(expected)
        assert sorted(p["plant_id"] for p in data["plants"]) == expected


def test_another_accounts_plant_and_storage_do_not_exist_for_the_caller(growatt_sim, api) -> None:
    other = next(p for p in growatt_sim.control.plants(enrolled=True) if p["account"] == "account-2")
    assert code(api.get("/v1/plant/details", params={"plant_id": other["plant_id"]})) == 10002
    last = api.post("/v1/device/storage/storage_last_data", data={"storage_sn": other["storage_sn"]})
    assert code(last) == 10002


def test_expired_session_rotates_tokens_old_ones_get_10011(growatt_sim) -> None:
    new_tokens = growatt_sim.control.expire_sessions(["account-1"])
    assert new_tokens["account-1"] == "growatt-token-1-r1"
    assert new_tokens["account-2"] == "growatt-token-2"
    with growatt_sim.client("growatt-token-1") as old:
        assert code(old.get("/v1/plant/list")) == 10011
    with growatt_sim.client("growatt-token-1-r1") as new:
        assert ok(new.get("/v1/plant/list"))["count"] > 0
    growatt_sim.control.reset()
    assert growatt_sim.control.tokens()["account-1"] == "growatt-token-1"


def test_requests_are_counted_per_account_in_stats(growatt_sim, api) -> None:
    api.get("/v1/plant/list")
    api.get("/v1/plant/list")
    stats = growatt_sim.control.stats()
    assert stats["accounts"]["account-1"]["/v1/plant/list"]["requests"] == 2
