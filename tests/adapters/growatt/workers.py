"""Worker processes for the multi-process test (a plain module, so ``spawn`` children can import it)."""

from __future__ import annotations

from vendors.base import AccountConfig, ChargeDischarge, PlantTarget, StorageSet, VendorName
from vendors.ratelimit import limiter_from_url
from vendors.registry import build_adapter


def send_burst(
    account: dict,
    redis_url: str,
    limiter_prefix: str,
    targets: list[dict],
    shared: dict,
    worker: int,
    barrier,
    results,
) -> None:
    """One worker process: its own adapter on the shared account, limiter and state; a charge to each of
    its own plants, and the same raw setting to the one plant every worker touches."""
    limiter = limiter_from_url(redis_url, prefix=limiter_prefix)
    config = AccountConfig(vendor=VendorName.GROWATT, **account)
    adapter = build_adapter(config, limiter=limiter, state_url=redis_url, max_wait_s=10.0)
    outcomes = []
    try:
        barrier.wait(timeout=60)
        charge = ChargeDischarge("charge", "soc", target_soc_pct=75, duration_min=120)
        for spec in targets:
            target = PlantTarget(**spec)
            (result,) = adapter.send(charge, [target], request_id=f"burst-{target.plant_code}").results
            outcomes.append((target.plant_code, result.outcome.value, result.message))
        setting = StorageSet("storage_cmd_mode", ("0", "", "", ""))
        target = PlantTarget(**shared)
        (result,) = adapter.send(setting, [target], request_id=f"shared-{worker}").results
        outcomes.append((target.plant_code, result.outcome.value, result.message))
    except Exception as exc:  # reported to the parent, which fails the test with it
        outcomes.append(("error", type(exc).__name__, str(exc)))
    finally:
        adapter.close()
        limiter.close()
    results.put(outcomes)
