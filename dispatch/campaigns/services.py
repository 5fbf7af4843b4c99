"""What changes campaigns: create, update, pause, resume, and the scheduler that starts their runs.

The scheduler (`campaigns_schedule_due`) is driven by beat and may run in several processes at once, before
and after restarts. Each due occurrence is decided exactly once:
- the campaign row is locked for the decision (SELECT ... FOR UPDATE SKIP LOCKED on PostgreSQL; SQLite
  serialises writers with its IMMEDIATE transactions), and its cursor `scheduled_until` moves in the same
  transaction as the run rows it covers;
- CampaignRun has a unique (campaign, scheduled_at), and the job's idempotency key names the occurrence, so
  even a scheduler that raced past the lock cannot start a run twice.

Missed runs (the service was down): an occurrence more than `missed_grace_min` late is skipped and recorded;
of the occurrences still inside the grace window only the latest runs, once; the others are recorded as
superseded. Overlap: when the previous run's job is still open, `skip` records the new run as skipped and
`replace` cancels the previous job (which stops its plants) and starts the new one.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, time, timedelta

from django.db import IntegrityError, connection, transaction
from django.utils import timezone as djtz
from rest_framework.exceptions import ErrorDetail, ValidationError

from dispatch.campaigns.models import Campaign, CampaignRun
from dispatch.campaigns.recurrence import RecurrenceError, parse_recurrence, zone
from dispatch.commands import POWER_TARGET
from dispatch.kinds import validate_command
from dispatch.models import DispatchJob
from vpp.errors import DomainError

log = logging.getLogger(__name__)


def campaign_window(campaign: Campaign) -> tuple[datetime, datetime | None]:
    """The UTC span in which the campaign may run: local midnight of start_date to the end of end_date."""
    tz = zone(campaign.timezone)
    start = datetime.combine(campaign.start_date, time(0, 0), tzinfo=tz).astimezone(UTC)
    end = None
    if campaign.end_date:
        end = datetime.combine(campaign.end_date + timedelta(days=1), time(0, 0), tzinfo=tz).astimezone(UTC)
        end -= timedelta(microseconds=1)
    return start, end


def _next_run(campaign: Campaign, after: datetime) -> datetime | None:
    start, end = campaign_window(campaign)
    for instant in campaign.schedule.occurrences(
        after=max(after, start - timedelta(microseconds=1)), until=end
    ):
        return instant
    return None


def campaign_check(fields: dict) -> tuple[dict | None, dict[str, list[str]]]:
    """The rules a campaign must follow, for the API and the admin alike: an active window that ends after
    it starts, a recurrence valid in its timezone, params valid for the command (dispatch.commands).

    Returns the normalised params (None when the command is unknown or its params invalid) and the errors
    by field name (`params.<field>` for a parameter), empty when the campaign is valid.
    """
    errors: dict[str, list[str]] = {}
    start, end = fields.get("start_date"), fields.get("end_date")
    if start and end and end < start:
        errors["end_date"] = ["must not be before start_date"]
    try:
        parse_recurrence(
            fields.get("recurrence_kind"), fields.get("recurrence"), fields.get("timezone") or "", start
        )
    except RecurrenceError as exc:
        errors.setdefault(exc.field, []).append(exc.message)
    params = None
    if fields.get("command_kind"):
        try:
            params, _ = validate_command(fields["command_kind"], fields.get("params") or {})
            if fields["command_kind"] == POWER_TARGET and fields.get("fleet") is not None:
                _check_power_target(fields["fleet"], params)
        except DomainError as exc:
            params = None
            # A dispatch names `plants` for an empty fleet; here the fleet is the field at fault.
            errors[exc.field if exc.field and exc.field != "plants" else "fleet"] = [
                ErrorDetail(exc.detail, code=exc.code)
            ]
        except ValidationError as exc:
            detail = exc.detail if isinstance(exc.detail, dict) else {"params": exc.detail}
            for key, value in detail.items():
                name = key if key.startswith("params") or key == "command_kind" else f"params.{key}"
                nested = value.items() if isinstance(value, dict) else [(None, value)]
                for sub, messages in nested:
                    errors[f"{name}.{sub}" if sub else name] = (
                        messages if isinstance(messages, list) else [messages]
                    )
    return params, errors


def _check_power_target(fleet, params: dict) -> None:
    """A power target's checks against its fleet, as POST /dispatches makes them (a fleet with active
    plants and batteries, power_kw not above what they could ever give together), so a campaign that
    could never run is refused when it is saved. What depends on telemetry (available power now) is
    planned at each run, with its warnings, as for a dispatch."""
    from dispatch.powertargets.services import power_target_check

    power_target_check(organization=fleet.organization, params=params, fleet=fleet)


def campaign_reschedule(campaign: Campaign, *, now: datetime) -> None:
    """Set the cursor to `now` (nothing before it will run) and compute the next run. Does not save."""
    campaign.scheduled_until = now
    campaign.next_run_at = _next_run(campaign, now) if campaign.enabled else None


def campaign_create(*, organization, created_by, now: datetime | None = None, **fields) -> Campaign:
    """Create a campaign from validated fields. Its first run is the first occurrence after now."""
    campaign = Campaign(organization=organization, created_by=created_by, **fields)
    campaign_reschedule(campaign, now=now or djtz.now())
    campaign.save()
    return campaign


def campaign_update(*, campaign: Campaign, now: datetime | None = None, **fields) -> Campaign:
    """Change a campaign; a changed schedule applies from now on (no catch-up of the new schedule)."""
    for name, value in fields.items():
        setattr(campaign, name, value)
    campaign_reschedule(campaign, now=now or djtz.now())
    campaign.save()
    return campaign


def campaign_set_enabled(*, campaign: Campaign, enabled: bool, now: datetime | None = None) -> Campaign:
    """Pause or resume. Occurrences while paused are not caught up on resume: pausing means "don't run"."""
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
        campaign.enabled = enabled
        campaign_reschedule(campaign, now=now or djtz.now())
        campaign.save(update_fields=["enabled", "scheduled_until", "next_run_at", "updated_at"])
    return campaign


def campaigns_schedule_due(*, now: datetime | None = None) -> int:
    """Decide every due occurrence of every enabled campaign. Returns how many runs were started."""
    now = now or djtz.now()
    started = 0
    due_ids = list(
        Campaign.objects.filter(enabled=True, next_run_at__lte=now)
        .order_by("next_run_at")
        .values_list("pk", flat=True)
    )
    for campaign_id in due_ids:
        started += _schedule_campaign(campaign_id, now=now)
    return started


def _lock_campaign(campaign_id: int) -> Campaign | None:
    queryset = Campaign.objects.filter(pk=campaign_id)
    if connection.features.has_select_for_update_skip_locked:
        queryset = queryset.select_for_update(skip_locked=True)
    return queryset.first()


def _schedule_campaign(campaign_id: int, *, now: datetime) -> int:
    started = 0
    with transaction.atomic():
        campaign = _lock_campaign(campaign_id)
        if (
            campaign is None
            or not campaign.enabled
            or campaign.next_run_at is None
            or campaign.next_run_at > now
        ):
            return 0  # another scheduler holds it, or already decided it
        start, end = campaign_window(campaign)
        after = max(campaign.scheduled_until, start - timedelta(microseconds=1))
        until = min(now, end) if end else now
        due = list(campaign.schedule.occurrences(after=after, until=until))
        grace = timedelta(minutes=campaign.missed_grace_min)
        in_grace = [t for t in due if now - t <= grace]
        to_run = in_grace[-1] if in_grace else None
        for occurrence in due:
            if occurrence == to_run:
                started += _start_run(campaign, occurrence, now=now)
            elif now - occurrence > grace:
                _record(
                    campaign,
                    occurrence,
                    CampaignRun.State.SKIPPED,
                    f"missed: the scheduler was not running; more than {campaign.missed_grace_min} min late",
                )
            else:
                _record(
                    campaign,
                    occurrence,
                    CampaignRun.State.SKIPPED,
                    f"superseded by the run at {to_run:%Y-%m-%d %H:%M} UTC",
                )
        campaign.scheduled_until = max([after, *due]) if due else until
        campaign.next_run_at = _next_run(campaign, max(campaign.scheduled_until, now))
        campaign.save(update_fields=["scheduled_until", "next_run_at"])
    return started


def _record(
    campaign: Campaign, occurrence: datetime, state: str, reason: str = "", job=None, started_at=None
) -> bool:
    """Insert the run row; False if this occurrence was already decided (by another scheduler)."""
    try:
        with transaction.atomic():
            CampaignRun.objects.create(
                campaign=campaign,
                scheduled_at=occurrence,
                state=state,
                reason=reason[:500],
                job=job,
                started_at=started_at,
            )
        return True
    except IntegrityError:
        return False


def _start_run(campaign: Campaign, occurrence: datetime, *, now: datetime) -> int:
    if CampaignRun.objects.filter(campaign=campaign, scheduled_at=occurrence).exists():
        return 0
    previous = (
        DispatchJob.objects.filter(campaign_run__campaign=campaign, state__in=DispatchJob.OPEN_STATES)
        .order_by("-created_at")
        .first()
    )
    on_conflict = DispatchJob.OnConflict.REJECT
    if previous is not None:
        if campaign.on_overlap == Campaign.OnOverlap.SKIP:
            _record(
                campaign,
                occurrence,
                CampaignRun.State.SKIPPED,
                f"the previous run's job {previous.pk} is still running",
            )
            return 0
        from dispatch.services import dispatch_job_cancel

        dispatch_job_cancel(job=previous, by=campaign.created_by)
        on_conflict = DispatchJob.OnConflict.REPLACE
    from dispatch.powertargets.services import power_target_create
    from dispatch.services import dispatch_job_create

    try:
        with transaction.atomic():
            params, command = validate_command(campaign.command_kind, campaign.params)
            # A power target is planned at each run from the fleet's telemetry then, and fans out as one
            # made through POST /dispatches; any other command is the same per-plant command to all.
            power_target = campaign.command_kind == POWER_TARGET
            create = power_target_create if power_target else dispatch_job_create
            extra = {} if power_target else {"command_kind": campaign.command_kind}
            job, _ = create(
                organization=campaign.organization,
                created_by=campaign.created_by,
                params=params,
                command=command,
                fleet=campaign.fleet,
                idempotency_key=f"campaign:{campaign.pk}:{occurrence.isoformat()}",
                request_fingerprint=f"campaign:{campaign.pk}:{occurrence.isoformat()}",
                on_conflict=on_conflict,
                **extra,
            )
            if not _record(campaign, occurrence, CampaignRun.State.STARTED, job=job, started_at=now):
                raise IntegrityError("occurrence already decided")
    except IntegrityError:
        return 0
    except (
        DomainError,
        ValidationError,
        ValueError,
    ) as exc:  # the fleet is empty, a plant conflicts, params went stale ...
        detail = getattr(exc, "detail", str(exc))
        _record(campaign, occurrence, CampaignRun.State.FAILED, f"could not start: {detail}")
        log.warning("campaign %s run at %s failed to start: %s", campaign.pk, occurrence, detail)
        return 0
    return 1
