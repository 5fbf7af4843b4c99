"""Running an enrolment: ask the vendor to enrol the pending items, record each answer, then read the new
plants' details and devices (NBI V7 9.6.1.1 snEnrolment, 9.6.1.2 acEnrolment; or a datalogger validated
and added, item by item, where the vendor works that way).

Safe under redelivery (Celery acks_late) and concurrent workers: a run first claims the enrolment with a
conditional update and a lease; every item moves pending -> succeeded | failed once, by conditional update;
plants and devices are upserts. Re-asking the vendor for a plant already enrolled is harmless (the vendor
answers success again), so the worst a crash can cost is one repeated vendor call.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from fleets.adapters import adapter_for, call_context
from fleets.discovery import lease_seconds, plant_details_refresh, plants_ensure
from fleets.models import Enrolment, EnrolmentItem, Plant
from vendors import registry
from vendors.base import EnrolmentResult, SnEnrolment
from vendors.errors import (
    AuthFailed,
    RateLimited,
    SessionExpired,
    TransientError,
    VendorError,
    VendorRejected,
)

log = logging.getLogger(__name__)

# Items per adapter call: the vendor's `enrolment_chunk` (vendors.registry). A vendor that takes the whole
# request in one call gets it whole; one that works item by item gets smaller chunks, which commit progress
# that a rate-limit pause or a crash cannot lose.
DEFAULT_CHUNK = 50
MAX_TRANSIENT_ATTEMPTS = 5
_SN_HAS_TIMEZONE = "timezone" in SnEnrolment.__dataclass_fields__


@dataclass(frozen=True)
class EnrolmentOutcome:
    claimed: bool
    state: str = ""
    retry_after_s: float | None = None


def _claim(enrolment_id: int, now: datetime) -> bool:
    free = Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    due = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    claimed = (
        Enrolment.objects.filter(free, due, pk=enrolment_id)
        .filter(state__in=[Enrolment.State.PENDING, Enrolment.State.RUNNING])
        .update(
            state=Enrolment.State.RUNNING,
            lease_until=now + timedelta(seconds=lease_seconds(long=True)),
            attempts=F("attempts") + 1,
            started_at=Coalesce(F("started_at"), now),
            next_attempt_at=None,
        )
    )
    return claimed == 1


def _release_for_retry(enrolment: Enrolment, retry_after_s: float, error: str) -> EnrolmentOutcome:
    Enrolment.objects.filter(pk=enrolment.pk, state=Enrolment.State.RUNNING).update(
        lease_until=None,
        next_attempt_at=timezone.now() + timedelta(seconds=retry_after_s),
        error=error[:500],
    )
    return EnrolmentOutcome(claimed=True, state=Enrolment.State.RUNNING, retry_after_s=retry_after_s)


def _finish(enrolment: Enrolment, state: str, *, code: str = "", error: str = "") -> EnrolmentOutcome:
    Enrolment.objects.filter(pk=enrolment.pk, state=Enrolment.State.RUNNING).update(
        state=state, lease_until=None, finished_at=timezone.now(), error_code=code[:32], error=error[:500]
    )
    return EnrolmentOutcome(claimed=True, state=state)


def enrolment_process(*, enrolment_id: int) -> EnrolmentOutcome:
    """Run (or resume) one enrolment. Returns retry_after_s when it must run again later."""
    if not _claim(enrolment_id, timezone.now()):
        return EnrolmentOutcome(claimed=False)
    enrolment = Enrolment.objects.select_related("vendor_account").get(pk=enrolment_id)
    account = enrolment.vendor_account
    try:
        with call_context(requested_by=enrolment.requested_by_id, enrolment=enrolment.pk):
            _enrol_pending_items(enrolment)
            _read_plant_details(enrolment)
    except RateLimited as exc:
        # Never hammer: come back when the limiter says a slot is free (at least a second from now).
        return _release_for_retry(enrolment, max(exc.retry_after_s, 1.0), f"rate limited: {exc}")
    except (TransientError, SessionExpired) as exc:
        if enrolment.attempts < MAX_TRANSIENT_ATTEMPTS:  # counts this run (the claim incremented it)
            return _release_for_retry(enrolment, 30.0 * enrolment.attempts, f"vendor unavailable: {exc}")
        return _fail(
            enrolment, "transient", f"vendor unavailable after {MAX_TRANSIENT_ATTEMPTS} attempts: {exc}"
        )
    except VendorRejected as exc:
        return _fail(enrolment, exc.code, f"the vendor refused the request: {exc}")
    except AuthFailed as exc:
        return _fail(enrolment, "auth_failed", f"the vendor refused the account's credentials: {exc}")
    except VendorError as exc:
        return _fail(enrolment, "vendor_error", str(exc))
    except Exception:  # a bug, the database, the task's time limit: free it for a retry, then report
        _release_for_retry(enrolment, 60.0, "interrupted: see the worker log")
        raise
    log.info("enrolment %s completed for account %s", enrolment.pk, account.pk)
    return _finish(enrolment, Enrolment.State.COMPLETED)


def _fail(enrolment: Enrolment, code: str, error: str) -> EnrolmentOutcome:
    """The vendor refused the whole request: every item still pending fails with that reason. Items the
    vendor already answered keep their answer (their plants are real)."""
    EnrolmentItem.objects.filter(enrolment=enrolment, state=EnrolmentItem.State.PENDING).update(
        state=EnrolmentItem.State.FAILED, reason=error[:500]
    )
    if EnrolmentItem.objects.filter(enrolment=enrolment, state=EnrolmentItem.State.SUCCEEDED).exists():
        return _finish(enrolment, Enrolment.State.COMPLETED, code=code, error=error)
    return _finish(enrolment, Enrolment.State.FAILED, code=code, error=error)


def _enrol_pending_items(enrolment: Enrolment) -> None:
    account = enrolment.vendor_account
    adapter = adapter_for(account)
    spec = registry.find(account.vendor)
    chunk = min(spec.enrolment_chunk, Enrolment.MAX_ITEMS) if spec else DEFAULT_CHUNK
    while True:
        items = list(
            EnrolmentItem.objects.filter(enrolment=enrolment, state=EnrolmentItem.State.PENDING).order_by(
                "position"
            )[:chunk]
        )
        if not items:
            return
        if enrolment.method == Enrolment.Method.SN:
            results = adapter.enrol_by_sn(
                [
                    SnEnrolment(
                        sn=item.sn,
                        username=item.owner_username or None,
                        email=item.owner_email or None,
                        phone=item.owner_phone or None,
                        check_code=item.check_code or None,
                        plant_name=item.plant_name or None,
                        **({"timezone": item.timezone or None} if _SN_HAS_TIMEZONE else {}),
                    )
                    for item in items
                ]
            )
        else:
            results = adapter.enrol_by_ac([item.authorization_code for item in items])
        _record_results(enrolment, items, results)


@transaction.atomic
def _record_results(enrolment: Enrolment, items: list[EnrolmentItem], results: list[EnrolmentResult]) -> None:
    by_key = {result.key: result for result in results}
    succeeded = {r.plant_code: r.plant_name or "" for r in results if r.success and r.plant_code}
    plants, ours_before = plants_ensure(
        account=enrolment.vendor_account, found=succeeded.items(), method=enrolment.method
    )
    rows = []
    for item in items:
        result = by_key.get(item.key)
        if result is None:
            rows.append(
                (EnrolmentItem.State.FAILED, None, False, "The vendor did not answer for this item.", item.pk)
            )
        elif result.success and result.plant_code in plants:
            plant = plants[result.plant_code]
            rows.append(
                (EnrolmentItem.State.SUCCEEDED, plant.pk, result.plant_code in ours_before, "", item.pk)
            )
        else:
            reason = result.error or "The vendor refused the item without a reason."
            rows.append((EnrolmentItem.State.FAILED, None, False, reason[:500], item.pk))
    _settle_items(rows)


def _settle_items(rows: list[tuple]) -> None:
    """Each item pending -> its outcome, by conditional update (a redelivered run changes nothing), sent as
    one executemany: a thousand separate UPDATEs cost more than the vendor call they record."""
    meta = EnrolmentItem._meta
    quote = connection.ops.quote_name
    columns = [meta.get_field(name).column for name in ("state", "plant", "already_enrolled", "reason")]
    now = meta.get_field("updated_at").get_db_prep_value(timezone.now(), connection)
    # Identifiers from our own model metadata, quoted; every value is a parameter.
    sql = "UPDATE {} SET {}, {} = %s WHERE {} = %s AND {} = %s".format(  # noqa: S608
        quote(meta.db_table),
        ", ".join(f"{quote(c)} = %s" for c in columns),
        quote(meta.get_field("updated_at").column),
        quote(meta.pk.column),
        quote(meta.get_field("state").column),
    )
    params = [[*row[:4], now, row[4], EnrolmentItem.State.PENDING] for row in rows]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def _read_plant_details(enrolment: Enrolment) -> None:
    """Details and devices of the plants this enrolment brought in, unless read since it was created (so a
    resumed run skips what an earlier run finished)."""
    codes = list(
        Plant.objects.filter(
            pk__in=EnrolmentItem.objects.filter(
                enrolment=enrolment, state=EnrolmentItem.State.SUCCEEDED
            ).values("plant_id")
        )
        .filter(Q(synced_at__isnull=True) | Q(synced_at__lt=enrolment.created_at))
        .order_by("pk")
        .values_list("plant_code", flat=True)
    )
    plant_details_refresh(account=enrolment.vendor_account, plant_codes=codes, method=enrolment.method)
