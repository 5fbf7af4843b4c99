"""/_sim/plants/under-deliver: a battery gives a share of the commanded power (0: takes the command and
ignores it); the task reports as usual, and the true state and KPIs show what really moved."""

from __future__ import annotations

import pytest

from tests.simulators.huawei.helpers import HOUR, ok


@pytest.mark.parametrize("share", [0.5, 0.0])
def test_an_under_delivering_plant_gives_its_share_of_the_commanded_power(nbi, sim, plants, share):
    plant = next(p for p in plants if p["battery"] and p["battery"]["soc"] > 60)
    code, battery = plant["plantCode"], plant["battery"]
    sim.control.under_deliver([code], share)
    body = {
        "plantCodes": code, "dispatchSwitch": 2, "controlType": 2, "dispatchTime": 60,
        "powerDispatch": -2000, "requestID": 77,
    }  # fmt: skip
    (row,) = ok(nbi("/vpp/chargeAndDischarge", body))
    assert row["dispatchResult"] == 0
    sim.control.advance(0.25 * HOUR)
    now = sim.control.plant(code)["battery"]
    assert abs(now["powerW"]) == pytest.approx(2000 * share)
    rated = battery["ratedKwh"]
    assert now["soc"] == pytest.approx(battery["soc"] - 100 * 2 * share * 0.25 / rated, abs=0.01)
    sim.control.restore([code])
    assert sim.control.plant(code)["deliverShare"] == 1.0


def test_under_deliver_checks_its_share(sim, plants):
    for share in (2, -1, "half", None):
        response = sim.control._http.post(
            "/_sim/plants/under-deliver", json={"plantCodes": [plants[0]["plantCode"]], "share": share}
        )
        assert response.status_code == 400
