"""dispatch_job_create: one transaction writes the job, its tasks and its request batches, or nothing."""

from __future__ import annotations

import pytest

from dispatch.models import DispatchJob, DispatchTask, VendorRequest
from dispatch.selectors import dispatch_job_summaries, dispatch_job_summary
from dispatch.services import dispatch_job_create
from fleets.models import Plant, Vendor
from tests.factories import FleetFactory, OrganizationFactory, PlantFactory, VendorAccountFactory
from vendors.base import ChargeDischarge, SetDod
from vpp.errors import DomainError

T = DispatchTask.State
CHARGE = ChargeDischarge(action="charge", control="soc", target_soc_pct=80)
PARAMS = {"action": "charge", "control": "soc", "target_soc_pct": 80}


def _plants(org, n, vendor=Vendor.HUAWEI, account=None):
    account = account or VendorAccountFactory(organization=org, vendor=vendor)
    return Plant.objects.bulk_create(
        PlantFactory.build(organization=org, vendor_account=account, plant_code=f"{vendor}-{account.pk}-{i}")
        for i in range(n)
    )


def _create(org, plants, **kwargs):
    kwargs.setdefault("command_kind", "charge_discharge")
    kwargs.setdefault("params", PARAMS)
    kwargs.setdefault("command", CHARGE)
    return dispatch_job_create(organization=org, created_by=None, plant_ids=[p.pk for p in plants], **kwargs)


def _counts():
    return DispatchJob.objects.count(), DispatchTask.objects.count(), VendorRequest.objects.count()


@pytest.mark.django_db
def test_a_job_is_written_whole_with_batches_of_at_most_the_vendor_maximum(org):
    huawei = _plants(org, 250)
    growatt = _plants(org, 3, vendor=Vendor.GROWATT)
    job, created = _create(org, huawei + growatt)

    assert created and job.state == DispatchJob.State.RUNNING and job.task_count == 253
    sizes = sorted(r.tasks.count() for r in VendorRequest.objects.filter(job=job))
    assert sizes == [1, 1, 1, 50, 100, 100]  # Huawei: 100 plants a request (NBI V7 9.3.4); Growatt: one
    ids = list(VendorRequest.objects.values_list("request_id", flat=True))
    # Our identity, stored before sending: a decimal Long for Huawei, unique.
    assert len(set(ids)) == len(ids) and all(i.isdigit() and 0 < int(i) < 2**63 for i in ids)
    assert set(DispatchTask.objects.filter(job=job).values_list("state", flat=True)) == {T.PENDING}


@pytest.mark.django_db
def test_plants_a_vendor_cannot_command_are_unsupported_at_once(org):
    growatt = _plants(org, 2, vendor=Vendor.GROWATT)
    job, _ = _create(org, growatt, command_kind="dod", params={"dod_pct": 80}, command=SetDod(dod_pct=80))
    assert set(DispatchTask.objects.filter(job=job).values_list("state", flat=True)) == {T.UNSUPPORTED}
    assert not VendorRequest.objects.filter(job=job).exists()
    job.refresh_from_db()
    assert job.state == DispatchJob.State.FAILED and job.finished_at is not None


@pytest.mark.django_db
def test_the_same_idempotency_key_and_request_return_the_same_job(org):
    plants = _plants(org, 3)
    first, created = _create(org, plants, idempotency_key="k-1", request_fingerprint="fp-a")
    again, created_again = _create(org, plants, idempotency_key="k-1", request_fingerprint="fp-a")
    assert created and not created_again and again.pk == first.pk
    assert _counts() == (1, 3, 1)
    # The same key in another organisation is another key.
    other = OrganizationFactory(name="Rival Energy")
    _, created_elsewhere = _create(
        other, _plants(other, 1), idempotency_key="k-1", request_fingerprint="fp-a"
    )
    assert created_elsewhere


@pytest.mark.django_db
def test_the_same_idempotency_key_with_another_request_is_refused(org):
    plants = _plants(org, 3)
    _create(org, plants, idempotency_key="k-1", request_fingerprint="fp-a")
    with pytest.raises(DomainError) as refused:
        _create(org, plants, idempotency_key="k-1", request_fingerprint="fp-b")
    assert refused.value.http_status == 422 and refused.value.field == "Idempotency-Key"
    assert _counts() == (1, 3, 1)


@pytest.mark.django_db
def test_another_organisations_plants_or_fleet_are_not_found_and_nothing_is_written(org):
    mine = _plants(org, 2)
    other = OrganizationFactory(name="Rival Energy")
    theirs = _plants(other, 2)
    with pytest.raises(DomainError) as refused:
        _create(org, mine + theirs)
    assert refused.value.http_status == 404 and refused.value.field == "plants"
    assert all(str(p.pk) in refused.value.detail for p in theirs)
    with pytest.raises(DomainError) as refused:
        dispatch_job_create(
            organization=org, created_by=None, command_kind="charge_discharge", params=PARAMS, command=CHARGE,
            fleet=FleetFactory(organization=other),
        )  # fmt: skip
    assert refused.value.http_status == 404 and refused.value.field == "fleet"
    assert _counts() == (0, 0, 0)


@pytest.mark.django_db
def test_a_command_that_does_not_match_its_kind_is_refused(org):
    with pytest.raises(DomainError) as refused:
        _create(org, _plants(org, 1), command_kind="dod")
    assert refused.value.field == "command_kind"
    assert _counts() == (0, 0, 0)


@pytest.mark.django_db
def test_a_fleet_job_targets_the_fleets_active_plants(org):
    plants = _plants(org, 5)
    Plant.objects.filter(pk=plants[0].pk).update(state=Plant.State.DISABLED)
    fleet = FleetFactory(organization=org)
    fleet.plants.set(plants)
    job, _ = dispatch_job_create(
        organization=org, created_by=None, command_kind="charge_discharge", params=PARAMS, command=CHARGE,
        fleet=fleet,
    )  # fmt: skip
    assert set(job.tasks.values_list("plant_id", flat=True)) == {p.pk for p in plants[1:]}


@pytest.mark.django_db
def test_the_summary_of_a_10000_task_job_costs_the_same_single_query_as_a_small_one(
    org, django_assert_num_queries
):
    accounts = [VendorAccountFactory(organization=org) for _ in range(5)]
    big = [p for account in accounts for p in _plants(org, 2000, account=account)]
    small = _plants(org, 10)
    big_job, _ = _create(org, big)
    small_job, _ = _create(org, small)
    DispatchTask.objects.filter(job=big_job, pk__in=big_job.tasks.values("pk")[:4000]).update(
        state=T.COMPLETED, charged_kwh=1.5
    )
    with django_assert_num_queries(1):
        summary = dispatch_job_summary(job=big_job)
    assert summary["total"] == 10_000
    assert summary["counts"][T.COMPLETED] == 4000 and summary["counts"][T.PENDING] == 6000
    assert summary["charged_kwh"] == 6000.0
    with django_assert_num_queries(1):
        dispatch_job_summary(job=small_job)
    with django_assert_num_queries(1):
        both = dispatch_job_summaries(job_ids=[big_job.pk, small_job.pk])
    assert both[small_job.pk]["total"] == 10
