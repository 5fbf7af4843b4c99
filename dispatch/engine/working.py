"""An accepted charge or discharge is `in_progress` as soon as telemetry shows the battery working.

Some vendors' status answers never say a forced charge/discharge is running (a window read back as set is
all there is), so their tasks would stay `accepted` for their whole run. The sweep moves such a task to
`in_progress` when a telemetry reading taken after the command acted (the vendor took it, or the window it
carried began) shows at least `WORKING_W` of battery power in the commanded direction (fleets telemetry:
> 0 charging). Vendor-neutral: it reads only our telemetry. A conditional update from `accepted`, so a poll
that ends the task at the same moment wins, and two sweeps do no harm.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Exists, OuterRef, Q

from dispatch.engine.codec import command_from_json, is_stop
from dispatch.models import DispatchTask
from fleets.models import PlantTelemetry
from vendors.base import ChargeDischarge, CommandKind

T = DispatchTask.State
WORKING_W = 100.0
BATCH = 1000


def _moving(sign: str) -> Exists:
    power = {"battery_power_w__gte": WORKING_W} if sign == "+" else {"battery_power_w__lte": -WORKING_W}
    return Exists(
        PlantTelemetry.objects.filter(
            plant_id=OuterRef("plant_id"), measured_at__gt=OuterRef("sent_at"), **power
        )
    )


def tasks_mark_working(now: datetime | None = None, *, batch: int = BATCH) -> int:
    """Move accepted charge/discharge tasks whose battery telemetry shows them working to in_progress;
    returns how many moved."""
    candidates = (
        DispatchTask.objects.filter(
            state=T.ACCEPTED, sent_at__isnull=False, job__command_kind=CommandKind.CHARGE_DISCHARGE
        )
        .filter(Q(_moving("+")) | Q(_moving("-")))
        .select_related("job", "request")
        .only("pk", "plant_id", "sent_at", "job__command", "request__command")
        .order_by("pk")[:batch]
    )
    working = []
    for task in candidates:
        command = command_from_json((task.request.command if task.request else None) or task.job.command)
        if not isinstance(command, ChargeDischarge) or is_stop(command):
            continue
        acted = task.sent_at
        if command.window_start is not None and command.window_start > acted:
            acted = command.window_start
        power = (
            {"battery_power_w__gte": WORKING_W}
            if command.action == "charge"
            else {"battery_power_w__lte": -WORKING_W}
        )
        if PlantTelemetry.objects.filter(plant_id=task.plant_id, measured_at__gt=acted, **power).exists():
            working.append(task.pk)
    if not working:
        return 0
    return DispatchTask.objects.filter(pk__in=working, state=T.ACCEPTED).update(state=T.IN_PROGRESS)
