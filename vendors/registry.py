"""Build the adapter for an account. The only place that knows which class serves which vendor."""

from __future__ import annotations

import importlib
from collections.abc import Iterable

from vendors.base import AccountConfig, CallObserver, VendorAdapter, VendorName

_ADAPTERS = {
    VendorName.HUAWEI: "vendors.huawei.adapter:HuaweiAdapter",
    VendorName.GROWATT: "vendors.growatt.adapter:GrowattAdapter",
}


_CALLS = {
    VendorName.HUAWEI: "vendors.huawei.calls",
    VendorName.GROWATT: "vendors.growatt.calls",
}


_CAPABILITIES = {
    VendorName.GROWATT: "vendors.growatt.families:plant_capabilities",
}


def plant_capabilities(vendor: str, devices: Iterable[tuple[str, dict]]) -> list[dict]:
    """What a plant's devices can do, one entry per device family, from the vendor's capability model
    (``(device_type, extra)`` of each stored device); [] for a vendor without one."""
    try:
        module_name, name = _CAPABILITIES[VendorName(vendor)].split(":")
    except (KeyError, ValueError):
        return []
    return getattr(importlib.import_module(module_name), name)(devices)


def rate_limit_codes(vendor: str) -> frozenset[str]:
    """The vendor codes that mean "too often" for this vendor (each vendor's calls.RATE_LIMIT_CODES)."""
    try:
        module = importlib.import_module(_CALLS[VendorName(vendor)])
    except (KeyError, ValueError):
        return frozenset()
    return getattr(module, "RATE_LIMIT_CODES", frozenset())


def build_adapter(
    account: AccountConfig,
    *,
    limiter,
    state_url: str,
    max_wait_s: float = 5.0,
    observer: CallObserver | None = None,
) -> VendorAdapter:
    """An adapter for `account`.

    `limiter` is the shared rate limiter (vendors.ratelimit); `state_url` is where cross-process state such
    as the Huawei session token lives (a redis:// URL, or sqlite:///path on the embedded defaults);
    `max_wait_s` is how long a call may wait for a rate-limit slot before raising RateLimited;
    `observer` is called with a CallRecord after every HTTP call (the audit trail).
    """
    module_name, class_name = _ADAPTERS[VendorName(account.vendor)].split(":")
    cls = getattr(importlib.import_module(module_name), class_name)
    return cls(account, limiter=limiter, state_url=state_url, max_wait_s=max_wait_s, observer=observer)
