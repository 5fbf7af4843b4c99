"""Plant lists cost one of about ten calls a day (FIELD_NOTES "plant list budget"): the adapter counts them
for the account across processes, reports what is left in the account's health, and once the day's are
spent answers from the day's last list instead of calling (the simulator would refuse the eleventh)."""

from __future__ import annotations

from tests.adapters.growatt.helpers import wait_real
from vendors.health import health_read


def _plant_lists(growatt) -> int:
    return sum(1 for r in growatt.records if r.endpoint == "plant/list")


def test_plant_lists_stay_within_ten_a_day_and_the_last_list_serves_the_rest(growatt):
    adapter, other = growatt.adapter(), growatt.adapter()  # two processes of one account
    first = [p.plant_code for p in adapter.list_plants()]
    for n in range(9):
        wait_real(adapter.calls.repeat_window_s)  # a different moment: not the 5-minute repeat, a new call
        (other if n % 2 else adapter).list_plants()
    assert _plant_lists(growatt) == 10 and adapter.calls.budget_left("plant/list") == 0
    assert health_read(adapter.calls._health_store, adapter.account.key)["budget_left_today"] == 0

    wait_real(adapter.calls.repeat_window_s)
    again = [p.plant_code for p in other.list_plants()]

    assert again == first
    assert _plant_lists(growatt) == 10  # no eleventh call
    assert growatt.control.stats()["totals"]["rate_limited"] == 0
