"""The bridge from Django models to `vendors`: build (and cache per process) the adapter for an account.

`dispatch` and `fleets` get adapters only from here, so the limiter, the shared session state and the wait
budget are configured in one place (settings VENDOR_RATE_LIMITER_URL, VENDOR_STATE_URL, VENDOR_MAX_WAIT_S).
Every vendor call is recorded as a VendorCall row, attributed with `call_context(...)`:

    with call_context(requested_by=job.created_by_id, job=job.pk, vendor_request=req.pk):
        adapter_for(account).send(...)
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import logging
import threading

from django.conf import settings

from fleets.models import VendorAccount, VendorCall
from vendors import registry
from vendors.base import AccountConfig, CallRecord, VendorAdapter
from vendors.registry import build_adapter

log = logging.getLogger(__name__)
_lock = threading.Lock()
_cache: dict[tuple, VendorAdapter] = {}
_context: contextvars.ContextVar[dict | None] = contextvars.ContextVar("vendor_call_context", default=None)


@contextlib.contextmanager
def call_context(*, requested_by: int | None = None, **context):
    """Attribute the vendor calls made inside the block to a user and to what caused them."""
    token = _context.set({"requested_by": requested_by, **context})
    try:
        yield
    finally:
        _context.reset(token)


def _record_call(account_pk: int, record: CallRecord) -> None:
    ctx = dict(_context.get() or {})
    try:
        VendorCall.objects.create(
            vendor_account_id=account_pk,
            endpoint=record.endpoint[:100],
            request_id=(record.request_id or "")[:64],
            targets=list(record.targets),
            params=record.params,
            http_status=record.http_status,
            vendor_code=(record.vendor_code or "")[:32],
            duration_ms=record.duration_ms,
            error=record.error[:500],
            response_excerpt=record.response_excerpt[:2000],
            requested_by_id=ctx.pop("requested_by", None),
            context=ctx,
        )
    except Exception:  # the audit row must never break the command it records
        log.exception("could not record vendor call %s", record.endpoint)


def health_written(store, key: str, record) -> None:
    """vendors.health listener: announce the account's health status once per change, across processes.

    The winner of the conditional update of `health_status` (from the status it read to the new one)
    emits the event; a process that lost the race, or wrote the same status again, emits nothing. Runs in
    the vendor call path: one small read, and only on a change an update and the hook; failures logged."""
    vendor, _, pk = key.partition(":")
    if not pk.isdigit():
        return  # not one of our accounts' keys (account_key)
    try:
        current = record.status
        previous = (
            VendorAccount.objects.filter(pk=int(pk), vendor=vendor)
            .values_list("health_status", flat=True)
            .first()
        )
        if previous is None or previous == current:
            return
        won = (
            VendorAccount.objects.filter(pk=int(pk), health_status=previous).update(health_status=current)
            == 1
        )
        if won:
            from webhooks import hooks

            account = VendorAccount.objects.get(pk=int(pk))
            hooks.vendor_account_health_changed(
                account=account, previous=previous, current=current, detail=record.last_error or ""
            )
    except Exception:  # never break the vendor call that wrote the record
        log.exception("could not announce the health change of %s", key)


def account_config(account: VendorAccount) -> AccountConfig:
    overrides = {
        endpoint: [(int(limit), float(window)) for limit, window in rules]
        for endpoint, rules in (account.rate_limit_overrides or {}).items()
    }
    return AccountConfig(
        key=account_key(account),
        vendor=registry.spec(account.vendor).name,  # KeyError: a vendor the registry does not list
        base_url=account.base_url.rstrip("/"),
        username=account.username,
        secret=account.secret,
        clock_speed=account.clock_speed,
        rate_limit_overrides=overrides,
        timeout_s=settings.VENDOR_HTTP_TIMEOUT_S,
        allow_private_network=settings.VENDOR_URL_ALLOW_PRIVATE,
    )


@functools.cache
def shared_limiter():
    from vendors.ratelimit import limiter_from_url

    return limiter_from_url(settings.VENDOR_RATE_LIMITER_URL, prefix=settings.VENDOR_KEY_PREFIX or None)


def shared_state_store():
    """The vendor state store the adapters write to (sessions, plans, account health), for readers here."""
    return _state_store(settings.VENDOR_STATE_URL)


_stores: dict[str, object] = {}


def _state_store(url: str):
    from vendors.sessions import DEFAULT_PREFIX
    from vendors.state import state_store_from_url

    with _lock:
        if url not in _stores:
            _stores[url] = state_store_from_url(url, prefix=DEFAULT_PREFIX)
        return _stores[url]


def close_state_stores() -> None:
    """Close the readers' stores (before a test database is dropped, say)."""
    for store in list(_stores.values()):
        store.close()
    _stores.clear()


def account_key(account: VendorAccount) -> str:
    """The key the adapters know the account by (AccountConfig.key)."""
    return f"{account.vendor}:{account.pk}"


def adapter_for(account: VendorAccount) -> VendorAdapter:
    """The adapter for this account, reused by the process while the account's settings stay the same."""
    config = account_config(account)
    cache_key = (
        config.key,
        config.base_url,
        config.username,
        config.secret,
        config.clock_speed,
        config.allow_private_network,
        repr(sorted(config.rate_limit_overrides.items())),
    )
    with _lock:
        adapter = _cache.get(cache_key)
        if adapter is None:
            for stale in [k for k in _cache if k[0] == config.key]:
                _cache.pop(stale).close()
            adapter = build_adapter(
                config,
                limiter=shared_limiter(),
                state_url=settings.VENDOR_STATE_URL,
                max_wait_s=settings.VENDOR_MAX_WAIT_S,
                observer=functools.partial(_record_call, account.pk),
            )
            _cache[cache_key] = adapter
        return adapter
