"""Which vendor request goes next, and who holds it: the claim (pending -> sending, with a lease).

Owns the rows' side of sending: which pending requests are due (`due_requests`, `next_due_in_s`), the
claim of one (`request_claim_next`), the fencing token every later write of that attempt is conditional
on (`request_mine`), and the tasks a claimed request carries to the vendor (`request_tasks_to_send`).
Calling the adapter is send.py; recording what it answered is apply.py.

`attempts` is the request's fencing token: the claim increments it, and every later write of this attempt
is conditional on it, so a worker whose lease ran out cannot overwrite what the re-sender recorded.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, Exists, OuterRef, Q, Value, When
from django.utils import timezone

from dispatch.models import DispatchTask, VendorRequest

R = VendorRequest.State
T = DispatchTask.State
DONE_BEFORE = (R.SENT, R.FAILED, R.CANCELLED)  # an `after` request in these states no longer holds us up
# A stop goes to tasks the vendor runs, and to those that timed out at their job's deadline (stops.py).
STOP_TARGET_STATES = (*DispatchTask.RUNNING_STATES, T.TIMED_OUT)


def due_requests(*, account_id: int | None = None, now: datetime | None = None):
    """Pending requests that may go now: past their not_before, after the request they wait for, and, for
    a command, after every stop created before it on its account (a stop may wait for a command in flight;
    the newer command must not overtake it, or the stop would end the newer command)."""
    now = now or timezone.now()
    qs = VendorRequest.objects.filter(state=R.PENDING)
    if account_id is not None:
        qs = qs.filter(vendor_account_id=account_id)
    earlier_stops = VendorRequest.objects.filter(
        vendor_account_id=OuterRef("vendor_account_id"),
        purpose=VendorRequest.Purpose.STOP,
        state__in=(R.PENDING, R.SENDING),
        pk__lt=OuterRef("pk"),
    )
    return (
        qs.filter(Q(not_before__isnull=True) | Q(not_before__lte=now))
        .filter(Q(after__isnull=True) | Q(after__state__in=DONE_BEFORE))
        .filter(Q(purpose=VendorRequest.Purpose.STOP) | ~Exists(earlier_stops))
    )


def request_claim_next(*, account_id: int) -> VendorRequest | None:
    """Claim the account's next due request: stops first (cancel, replace), then in creation order.

    PostgreSQL: FOR UPDATE SKIP LOCKED keeps two claimers off the same row. Everywhere: the claim itself
    is a conditional update from (pending, attempts) and only the worker that changed the row goes on.
    """
    now = timezone.now()
    lease = now + timedelta(seconds=settings.DISPATCH_SEND_LEASE_S)
    priority = Case(When(purpose=VendorRequest.Purpose.STOP, then=Value(0)), default=Value(1))
    qs = due_requests(account_id=account_id, now=now).annotate(priority=priority).order_by("priority", "pk")
    with transaction.atomic():
        if connection.features.has_select_for_update_skip_locked:
            qs = qs.select_for_update(skip_locked=True, of=("self",))
        candidates = list(qs.values_list("pk", "attempts")[:8])
        for pk, attempts in candidates:
            claimed = VendorRequest.objects.filter(pk=pk, state=R.PENDING, attempts=attempts).update(
                state=R.SENDING, attempts=attempts + 1, lease_until=lease
            )
            if claimed == 1:
                return VendorRequest.objects.select_related("job", "vendor_account").get(pk=pk)
    return None


def request_mine(request: VendorRequest):
    """The request, as long as this attempt still holds it (still sending, its fencing token unchanged)."""
    return VendorRequest.objects.filter(pk=request.pk, state=R.SENDING, attempts=request.attempts)


def request_tasks_to_send(request: VendorRequest) -> list[DispatchTask]:
    """The tasks a claimed request carries: a command's pending tasks (now sending), a stop's targets."""
    if request.purpose == VendorRequest.Purpose.COMMAND:
        DispatchTask.objects.filter(request=request, state=T.PENDING).update(state=T.SENDING)
        qs = DispatchTask.objects.filter(request=request, state=T.SENDING)
    else:
        qs = DispatchTask.objects.filter(stop_request=request, state__in=STOP_TARGET_STATES)
    return list(qs.select_related("plant").order_by("pk"))


def next_due_in_s(*, account_id: int, horizon_s: float | None = None) -> float | None:
    """Seconds until the account's next pending request may go, if within the horizon (else the sweep)."""
    horizon_s = 2 * settings.DISPATCH_SWEEP_S if horizon_s is None else horizon_s
    now = timezone.now()
    pending = VendorRequest.objects.filter(vendor_account_id=account_id, state=R.PENDING)
    if due_requests(account_id=account_id, now=now).exists():
        return 0.0
    soonest = (
        pending.filter(not_before__gt=now, not_before__lte=now + timedelta(seconds=horizon_s))
        .order_by("not_before")
        .values_list("not_before", flat=True)
        .first()
    )
    return (soonest - now).total_seconds() if soonest else None
