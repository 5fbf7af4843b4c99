"""One lease per vendor account and kind of work (send, poll).

A vendor may allow one chargeAndDischarge call a minute per account (NBI V7 9.3.4): many workers fighting for
that one slot would each hold a process while they wait. Instead one worker at a time holds an account's
lane, claims that account's requests in order and waits for the shared limiter's slot; the other workers
serve other accounts. The lease expires on its own if the holder dies (SIGKILL), and the sweep re-enqueues.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from dispatch.models import DispatchLane


def _lane(account_id: int, kind: str) -> DispatchLane:
    lane = DispatchLane.objects.filter(vendor_account_id=account_id, kind=kind).first()
    if lane is None:
        try:
            with transaction.atomic():
                lane = DispatchLane.objects.create(vendor_account_id=account_id, kind=kind)
        except IntegrityError:  # another worker created it first
            lane = DispatchLane.objects.get(vendor_account_id=account_id, kind=kind)
    return lane


def lane_acquire(*, account_id: int, kind: str, lease_s: float) -> str | None:
    """A holder token if we now hold the lane, else None (someone else does)."""
    lane = _lane(account_id, kind)
    now = timezone.now()
    holder = uuid.uuid4().hex
    taken = (
        DispatchLane.objects.filter(pk=lane.pk)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .update(lease_until=now + timedelta(seconds=lease_s), holder=holder)
    )
    return holder if taken == 1 else None


def lane_renew(*, account_id: int, kind: str, holder: str, lease_s: float) -> bool:
    until = timezone.now() + timedelta(seconds=lease_s)
    return (
        DispatchLane.objects.filter(vendor_account_id=account_id, kind=kind, holder=holder).update(
            lease_until=until
        )
        == 1
    )


def lane_release(*, account_id: int, kind: str, holder: str) -> None:
    DispatchLane.objects.filter(vendor_account_id=account_id, kind=kind, holder=holder).update(
        lease_until=None, holder=""
    )


def lanes_free(kind: str, account_ids: set[int]) -> set[int]:
    """Those of `account_ids` whose lane nobody holds now."""
    now = timezone.now()
    held = set(
        DispatchLane.objects.filter(
            kind=kind, vendor_account_id__in=account_ids, lease_until__gte=now
        ).values_list("vendor_account_id", flat=True)
    )
    return account_ids - held


def lane_run(
    *,
    account_id: int,
    kind: str,
    lease_s: float,
    budget_s: float,
    step: Callable[[], tuple[bool, float | None]],
    next_due_in_s: Callable[[], float | None],
    before_release: Callable[[], None] | None = None,
) -> float | None:
    """Hold the lane and call `step()` until it finds nothing to do, asks to wait, or the budget is spent.

    `step()` returns (did_work, retry_after_s). Returns the countdown after which the lane should run
    again, or None when nothing is due soon (new work and the sweep kick it then).
    """
    holder = lane_acquire(account_id=account_id, kind=kind, lease_s=lease_s)
    if holder is None:
        return None  # another worker holds this account's lane
    stop_at = time.monotonic() + budget_s
    again: float | None = None
    try:
        while True:
            if time.monotonic() >= stop_at:
                again = 0.0
                break
            did_work, retry_after_s = step()
            if retry_after_s is not None:
                again = retry_after_s
                break
            if not did_work:
                break
            lane_renew(account_id=account_id, kind=kind, holder=holder, lease_s=lease_s)
    finally:
        try:
            if before_release is not None:
                before_release()  # e.g. the last answers still being recorded
        finally:
            lane_release(account_id=account_id, kind=kind, holder=holder)
    # Work that arrived while we held the lane found it busy: look once more after letting go.
    return again if again is not None else next_due_in_s()
