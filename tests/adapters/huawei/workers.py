"""Worker processes for the multi-process adapter test (a plain module, so ``spawn`` children import it)."""

from __future__ import annotations

import os
import traceback
from datetime import UTC, datetime

from vendors.base import AccountConfig, ChargeDischarge, PlantTarget, SentTask, VendorName
from vendors.errors import AuthFailed
from vendors.huawei.adapter import HuaweiAdapter
from vendors.ratelimit import limiter_from_url


def charge_burst(
    *,
    base_url: str,
    speed: float,
    account_key: str,
    username: str,
    password: str,
    limiter_url: str,
    limiter_prefix: str,
    state_url: str,
    rate_limit_overrides: dict,
    batches: list[tuple[str, list[str]]],
    barrier,
    results,
) -> None:
    """One worker: its own adapter on the shared account; send every (request_id, plant codes) batch as
    fast as the shared limiter allows, then poll each. Reports outcomes, states and the vendor codes seen."""
    seen: list[str | None] = []
    report: dict = {"pid": os.getpid(), "outcomes": [], "states": [], "vendor_codes": seen, "error": ""}
    limiter = limiter_from_url(limiter_url, prefix=limiter_prefix)
    account = AccountConfig(
        key=account_key,
        vendor=VendorName.HUAWEI,
        base_url=base_url,
        username=username,
        secret=password,
        clock_speed=speed,
        rate_limit_overrides=rate_limit_overrides,
        timeout_s=10.0,
    )
    adapter = HuaweiAdapter(
        account,
        limiter=limiter,
        state_url=state_url,
        max_wait_s=60.0,
        observer=lambda record: seen.append(record.vendor_code),
    )
    command = ChargeDischarge("charge", "soc", target_soc_pct=95, power_w=2000)
    try:
        barrier.wait(timeout=60)
        sent = []
        for request_id, codes in batches:
            plants = [PlantTarget(code) for code in codes]
            result = adapter.send(command, plants, request_id=request_id)
            report["outcomes"] += [r.outcome.value for r in result.results]
            now = datetime.now(UTC)
            sent.append(
                (
                    request_id,
                    [SentTask(p, r.remote_id, now) for p, r in zip(plants, result.results, strict=True)],
                )
            )
        for request_id, tasks in sent:
            report["states"] += [s.state.value for s in adapter.poll(command, request_id, tasks)]
    except Exception:
        report["error"] = traceback.format_exc()
    finally:
        adapter.close()
        limiter.close()
        results.put(report)


def wrong_password_reads(
    *,
    base_url: str,
    speed: float,
    account_key: str,
    username: str,
    password: str,
    limiter_url: str,
    limiter_prefix: str,
    state_url: str,
    plant_code: str,
    reads: int,
    barrier,
    results,
) -> None:
    """One worker reading KPIs with a wrong password, as a telemetry worker would every few minutes: every
    read must end AuthFailed. Reports how many did and the last message."""
    report: dict = {"pid": os.getpid(), "auth_failed": 0, "message": "", "error": ""}
    limiter = limiter_from_url(limiter_url, prefix=limiter_prefix)
    account = AccountConfig(
        key=account_key,
        vendor=VendorName.HUAWEI,
        base_url=base_url,
        username=username,
        secret=password,
        clock_speed=speed,
        timeout_s=10.0,
    )
    adapter = HuaweiAdapter(account, limiter=limiter, state_url=state_url, max_wait_s=60.0)
    try:
        barrier.wait(timeout=60)
        for _ in range(reads):
            try:
                adapter.realtime_kpis([plant_code])
            except AuthFailed as exc:
                report["auth_failed"] += 1
                report["message"] = str(exc)
    except Exception:
        report["error"] = traceback.format_exc()
    finally:
        adapter.close()
        limiter.close()
        results.put(report)
