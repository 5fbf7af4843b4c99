"""Where the sources disagree, the adapter works against a cloud that knows either form and learns once per
account which one works (FIELD_NOTES "AC-charge spelling", "on code"):

- the AC-charge switch: ``storage_ac_charge_enable_disable`` (our document, 4.3.12) or
  ``storage_ac_charge_enable_disenable`` (Growatt's own app and pages);
- the on code: ``0101`` (our document, 4.3.7) or ``0001`` (growattServer's classic inverter on/off).

The simulator is set to know only one form (``/_sim/field``); the audit trail (every HTTP exchange) shows
the probe is paid once per account, not once per command or per process.
"""

from __future__ import annotations

import pytest

from vendors.base import ChargeDischarge, DevicePower, Outcome

DOC_AC, APP_AC = "storage_ac_charge_enable_disable", "storage_ac_charge_enable_disenable"


def _tried(records, field: str, values: tuple[str, ...]) -> list[str]:
    return [r.params[field] for r in records if r.params.get(field) in values]


@pytest.mark.parametrize("known", [DOC_AC, APP_AC])
def test_a_charge_arms_with_whichever_spelling_the_cloud_knows_learned_once_per_account(growatt, known):
    growatt.control.field(ac_charge_types=[known])
    first, second, third = growatt.plants()[:3]
    adapter = growatt.adapter()
    command = ChargeDischarge("charge", "duration", duration_min=60)

    for n, plant in enumerate((first, second)):
        (result,) = adapter.send(command, [growatt.target(plant)], request_id=f"form-{n}").results
        assert result.outcome == Outcome.ACCEPTED, result.message
        assert growatt.unit(plant["plant_id"])["schedule"]["ac_charge_enabled"] is True
    # Another process of the same account (a second adapter) starts with what was learned.
    other = growatt.adapter()
    (result,) = other.send(command, [growatt.target(third)], request_id="form-2").results
    assert (
        result.outcome == Outcome.ACCEPTED
        and growatt.unit(third["plant_id"])["schedule"]["ac_charge_enabled"]
    )

    tried = _tried(growatt.records, "type", (DOC_AC, APP_AC))
    # The document's form first; a cloud that does not know it refuses it once (10006), and never again.
    assert tried == ([DOC_AC] * 3 if known == DOC_AC else [DOC_AC, APP_AC, APP_AC, APP_AC])
    assert {c["params"]["type"] for c in growatt.commands() if c["params"]["type"] in (DOC_AC, APP_AC)} == {
        known
    }


@pytest.mark.parametrize("known", ["0101", "0001"])
def test_switching_devices_on_works_with_whichever_on_code_the_cloud_knows_learned_once(growatt, known):
    growatt.control.field(on_codes=[known])
    first, second = growatt.plants()[:2]
    adapter = growatt.adapter()

    for n, plant in enumerate((first, second)):
        (off,) = adapter.send(DevicePower(on=False), [growatt.target(plant)], request_id=f"off-{n}").results
        assert off.outcome == Outcome.ACCEPTED, off.message
        assert growatt.unit(plant["plant_id"])["inverter_on"] is False
        (on,) = adapter.send(DevicePower(on=True), [growatt.target(plant)], request_id=f"on-{n}").results
        assert on.outcome == Outcome.ACCEPTED, on.message
        unit = growatt.unit(plant["plant_id"])
        assert unit["inverter_on"] is True and unit["schedule"]["storage_on"] is True

    inverter = _tried(growatt.records, "command_1", ("0101", "0001"))
    storage = [r.params["param1"] for r in growatt.records if r.params.get("type") == "storage_cmd_on_off"]
    ons = [v for v in storage if v != "0000"]
    if known == "0101":
        assert inverter == ["0101", "0101"] and ons == ["0101", "0101"]
    else:  # one refusal (10008) for the whole account, on the first device switched on
        assert inverter == ["0101", "0001", "0001"] and ons == ["0001", "0001"]
