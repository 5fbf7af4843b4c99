"""Discovery of the plants already bound to an account ("bound"), the daily sync: an upsert of plants and
devices that can run any number of times, keeps what operators set, and marks plants the vendor dropped."""

import pytest

from fleets.discovery import vendor_account_sync
from fleets.models import Device, Plant
from tests.factories import PlantFactory
from tests.plugins.fleet_sims import vendor_account_on


@pytest.mark.django_db(transaction=True)
def test_sync_discovers_bound_plants_with_details_and_devices(huawei_enrol_sim, org):
    sim = huawei_enrol_sim
    account = vendor_account_on(sim, org)
    outcome = vendor_account_sync(account_id=account.pk)
    assert (outcome.claimed, outcome.plants, outcome.error) == (True, 30, "")

    truth = {p["plantCode"]: p for p in sim.control.plants(enrolled=True, limit=100)}
    plants = Plant.objects.filter(vendor_account=account)
    assert {p.plant_code for p in plants} == set(truth)
    for plant in plants:
        expected = truth[plant.plant_code]
        assert plant.enrolment_method == "bound"
        assert plant.timezone == expected["timezone"]
        assert plant.battery_rated_kwh == expected["battery"]["ratedKwh"]
        assert plant.region  # from the address' last part
        assert sorted(plant.devices.values_list("dn", flat=True)) == sorted(
            d["dn"] for d in expected["devices"]
        )
    account.refresh_from_db()
    assert account.synced_at is not None
    assert sim.control.stats()["totals"]["rate_limited"] == 0


@pytest.mark.django_db(transaction=True)
def test_sync_again_changes_nothing_but_keeps_operator_choices_and_marks_dropped_plants(
    huawei_enrol_sim, org
):
    sim = huawei_enrol_sim
    account = vendor_account_on(sim, org)
    vendor_account_sync(account_id=account.pk)
    plant = Plant.objects.filter(vendor_account=account).order_by("pk").first()
    Plant.objects.filter(pk=plant.pk).update(
        region="My region", state=Plant.State.DISABLED, enrolment_method="sn"
    )
    gone = PlantFactory(vendor_account=account, plant_code="NE=1", name="Sold and unbound")
    before = (Plant.objects.count(), Device.objects.count())

    vendor_account_sync(account_id=account.pk)

    assert (Plant.objects.count(), Device.objects.count()) == before
    plant.refresh_from_db()
    assert (plant.region, plant.state, plant.enrolment_method) == ("My region", "disabled", "sn")
    gone.refresh_from_db()
    assert gone.state == "removed"
    assert sim.control.stats()["totals"]["rate_limited"] == 0


@pytest.mark.django_db(transaction=True)
def test_a_sync_of_an_account_with_wrong_credentials_records_why(huawei_enrol_sim, org):
    account = vendor_account_on(huawei_enrol_sim, org, secret="wrong")
    outcome = vendor_account_sync(account_id=account.pk)
    assert outcome.error and outcome.retry_after_s is None
    account.refresh_from_db()
    assert account.sync_error and account.synced_at is None and account.sync_lease_until is None
    assert not Plant.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_growatt_sync_discovers_plants_devices_and_timezones(growatt_enrol_sim, org):
    sim = growatt_enrol_sim
    sim.control.field(profile="document")  # IANA names; the field's "GMT+8": test_growatt_field_sync.py
    account = vendor_account_on(sim, org)
    outcome = vendor_account_sync(account_id=account.pk)
    assert (outcome.plants, outcome.error) == (6, "")
    truth = {str(p["plant_id"]): p for p in sim.control.plants(enrolled=True, limit=100)}
    for plant in Plant.objects.filter(vendor_account=account):
        assert plant.timezone == truth[plant.plant_code]["timezone"]
        assert plant.devices.filter(device_type="logger").exists()
    assert sim.control.stats()["totals"]["rate_limited"] == 0
