"""Every other Huawei command through the engine: settings answered at once (DoD, device on/off) end with
the send; DRM and default settings are polled (drmStatus, plantDefaultSettingStatus) until they apply."""

from __future__ import annotations

import pytest

from dispatch.models import DispatchJob, DispatchTask, VendorRequest
from dispatch.services import dispatch_job_create
from tests.dispatch.engine.conftest import wait_job_finished
from tests.dispatch.engine.world import add_huawei
from vendors.base import DefaultSetting, DevicePower, Drm, SetDod

T = DispatchTask.State


def _run(world, plants, kind, command):
    job, _ = dispatch_job_create(
        organization=world.organization,
        created_by=None,
        command_kind=kind,
        params={},
        command=command,
        plant_ids=[p.pk for p in plants],
    )
    return wait_job_finished(job, timeout_s=90)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_dod_on_off_drm_and_default_settings_reach_the_plants(start_engine, world, huawei_sim):
    plants = add_huawei(world, huawei_sim, plants=8)
    start_engine(workers=1, concurrency=3)

    dod = _run(world, plants, "dod", SetDod(dod_pct=80))
    assert dod.state == DispatchJob.State.COMPLETED
    assert not VendorRequest.objects.filter(job=dod, poll_count__gt=0).exists()  # final at the send (9.3.6)
    assert all(huawei_sim.control.plant(p.plant_code)["battery"]["dod"] == 80 for p in plants)

    off = _run(world, plants, "device_power", DevicePower(on=False))
    assert off.state == DispatchJob.State.COMPLETED
    for plant in plants:
        inverters = [
            d for d in huawei_sim.control.plant(plant.plant_code)["devices"] if d["deviceTypeId"] == 20822
        ]
        assert inverters and not any(d["on"] for d in inverters)

    # NBI V7 9.6.1.6: DRM is not available where a SmartLogger connects the plant: those are refused.
    with_logger = {p.pk for p in plants if world.truth[p.pk]["hasSmartLogger"]}
    assert 0 < len(with_logger) < len(plants), "the seed gives both kinds of plant"
    drm = _run(world, plants, "drm", Drm(drm0=False, drm1=True, drm5=False))
    assert drm.state == DispatchJob.State.PARTIALLY_COMPLETED
    drm_tasks = DispatchTask.objects.filter(job=drm)
    assert {t.plant_id for t in drm_tasks if t.state == T.REJECTED and t.vendor_code} == with_logger
    assert VendorRequest.objects.filter(job=drm, poll_count__gt=0).exists()  # drmStatus (9.6.1.7)
    for plant in plants:
        assert bool(huawei_sim.control.plant(plant.plant_code)["drm"]) == (plant.pk not in with_logger)

    default = _run(world, plants, "default_setting", DefaultSetting(max_feed_grid_power_kw=3.0))
    assert default.state == DispatchJob.State.COMPLETED
    # The vendor assigns this request's id (9.6.1.3); its status is asked by that id (9.6.1.4).
    assert all(r.vendor_request_id for r in VendorRequest.objects.filter(job=default))
    assert all(huawei_sim.control.plant(p.plant_code)["maxFeedGridPower"] == 3.0 for p in plants)
    others = DispatchTask.objects.filter(job__in=[dod, off, default])
    assert set(others.values_list("state", flat=True)) == {T.COMPLETED}
