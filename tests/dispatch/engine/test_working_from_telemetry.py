"""A Growatt discharge moves to in_progress once telemetry shows the battery discharging.

Growatt's read-back only shows the window set, so a running discharge stayed `accepted`; the sweep now
moves it on when a reading after the command shows >= 100 W in the commanded direction. A plant that
ignores the command (the simulator's under-delivery share 0) stays `accepted`. A real worker, beat and
telemetry worker against the Growatt simulator over HTTP; every wait is on what the database shows.
"""

from __future__ import annotations

import pytest

from dispatch.engine.working import tasks_mark_working
from dispatch.models import DispatchTask
from dispatch.services import dispatch_job_create
from fleets.models import PlantTelemetry, VendorAccount
from tests.dispatch.engine.conftest import ENGINE_ENV
from tests.dispatch.engine.world import add_growatt
from tests.plugins.celery_worker import wait_for, worker_env
from vendors.base import ChargeDischarge

T = DispatchTask.State
SPEED = 120.0  # a KPI window is 2.5 s, the first status poll comes 50 s after the command at the latest


def _readings_after_command(task: DispatchTask, *, discharging: bool | None = None) -> int:
    task.refresh_from_db()
    if task.sent_at is None:
        return 0
    rows = PlantTelemetry.objects.filter(
        plant_id=task.plant_id, measured_at__gt=task.sent_at, battery_power_w__isnull=False
    )
    if discharging:
        rows = rows.filter(battery_power_w__lte=-100)
    return rows.count()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_growatt_discharge_is_in_progress_once_telemetry_shows_it_and_an_idle_one_is_not(
    start_engine, celery_worker_factory, world, growatt_sim
):
    plants = add_growatt(world, growatt_sim, plants=2)
    working_plant, idle_plant = plants
    growatt_sim.control.set_speed(SPEED)
    growatt_sim.control.under_deliver([int(idle_plant.plant_code)], 0.0)  # takes the command, does nothing
    VendorAccount.objects.filter(pk__in=[a.pk for a in world.accounts]).update(clock_speed=SPEED)
    telemetry = {"VPP_TELEMETRY_TICK_S": "0.5"}
    start_engine(workers=1, concurrency=2, env=telemetry)
    celery_worker_factory(
        name="sync", concurrency=1, queues="sync", env=worker_env(**ENGINE_ENV, **telemetry)
    )
    command = ChargeDischarge(action="discharge", control="duration", duration_min=24 * 60)
    job, _ = dispatch_job_create(
        organization=world.organization,
        created_by=None,
        command_kind="charge_discharge",
        params={"action": "discharge", "control": "duration", "duration_min": 24 * 60},
        command=command,
        plant_ids=[p.pk for p in plants],
    )
    working = DispatchTask.objects.get(job=job, plant=working_plant)
    idle = DispatchTask.objects.get(job=job, plant=idle_plant)

    # The vendor's status is not asked before its first refresh after the expected end, at most 20
    # refreshes (100 vendor minutes, 50 s here) after the command: until then only telemetry can tell.
    seen: list[tuple[str, int]] = []

    def in_progress() -> bool:
        seen.append(
            DispatchTask.objects.filter(pk=working.pk).values_list("state", "request__poll_count").get()
        )
        return seen[-1][0] == T.IN_PROGRESS

    wait_for(in_progress, timeout_s=120, message="the discharging plant's task in progress")
    assert seen[-1] == (T.IN_PROGRESS, 0)  # in progress before any status poll: telemetry moved it
    assert _readings_after_command(working, discharging=True) >= 1

    # The idle plant has been read twice since it took the command, and a sweep step has run since.
    wait_for(
        lambda: _readings_after_command(idle) >= 2, timeout_s=120, message="two readings of the idle plant"
    )
    tasks_mark_working()
    idle.refresh_from_db()
    assert idle.state == T.ACCEPTED
    assert _readings_after_command(idle, discharging=True) == 0
