"""Every vendor, one line each, and what is derived from them.

The only place that lists the vendors: Django choices, the rate-limit policy, poll cadence, telemetry pacing,
enrolment rules, the demo and the dev server all come from the `VendorSpec` each vendor package declares
in its `spec.py` (vendors.spec). Adding a vendor is its package plus one line in `_SPECS`.

A vendor package that lives outside `vendors/` (a customer's own integration, or the test suite's toy
vendor) is added without editing this file: `VPP_EXTRA_VENDORS` lists its spec modules,
comma-separated, appended after `_SPECS`. Read once per process, before Django builds its choices
(fleets.models.Vendor), so every process (web, worker, beat) must see the same value.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterable, Mapping

from vendors.base import AccountConfig, CallObserver, VendorAdapter
from vendors.spec import VendorSpec

_SPECS = (
    "vendors.huawei.spec",
    "vendors.growatt.spec",
)

EXTRA_ENV = "VPP_EXTRA_VENDORS"  # more spec modules, comma-separated: "acme_vpp.spec,acme_other.spec"

_cache: dict[str, VendorSpec] = {}


def spec_modules() -> tuple[str, ...]:
    """The spec modules: `_SPECS`, then those `VPP_EXTRA_VENDORS` names."""
    extra = (m.strip() for m in os.environ.get(EXTRA_ENV, "").split(","))
    return tuple(dict.fromkeys((*_SPECS, *(m for m in extra if m))))


def specs() -> tuple[VendorSpec, ...]:
    """Every vendor's spec, in registry order."""
    if not _cache:
        loaded: dict[str, VendorSpec] = {}
        for module in spec_modules():
            spec = importlib.import_module(module).SPEC
            if spec.name in loaded:  # two packages claiming one stored value would mix their plants
                raise ValueError(f"{module}: vendor {spec.name!r} is already registered")
            loaded[spec.name] = spec
        _cache.update(loaded)
    return tuple(_cache.values())


def names() -> tuple[str, ...]:
    return tuple(s.name for s in specs())


def spec(vendor: str) -> VendorSpec:
    """The spec of `vendor` (a name or VendorName); KeyError for an unknown one."""
    specs()
    return _cache[str(vendor)]


def find(vendor: str | None) -> VendorSpec | None:
    specs()
    return _cache.get(str(vendor)) if vendor else None


def choices() -> list[tuple[str, str]]:
    """(value, label) per vendor, for Django and DRF choices."""
    return [(s.name, s.label) for s in specs()]


def is_vendor(value) -> bool:
    return isinstance(value, str) and find(value) is not None


def plant_capabilities(vendor: str, devices: Iterable[tuple[str, dict]]) -> list[dict]:
    """What a plant's devices can do, one entry per device family, from the vendor's capability model
    (``(device_type, extra)`` of each stored device); [] for a vendor without one."""
    found = find(vendor)
    if found is None or not found.plant_capabilities:
        return []
    module_name, name = found.plant_capabilities.split(":")
    return getattr(importlib.import_module(module_name), name)(devices)


def setters() -> dict:
    """Every vendor's raw setters (vendors.setters.Setter) by command kind."""
    out: dict = {}
    for s in specs():
        if s.setters:
            out.update(importlib.import_module(s.setters).SETTERS)
    return out


def rate_limit_codes(vendor: str) -> frozenset[str]:
    """The vendor codes that mean "too often" for this vendor."""
    found = find(vendor)
    return found.rate_limit_codes if found else frozenset()


def limits(vendor: str, *, plant_count: int = 1, device_count: int = 1) -> Mapping:
    """The vendor's documented limits (vendors.ratelimit.policy) for an account of that size."""
    return spec(vendor).limits(plant_count=plant_count, device_count=device_count)


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
    as a vendor session token lives (a redis:// URL, or sqlite:///path on the embedded defaults);
    `max_wait_s` is how long a call may wait for a rate-limit slot before raising RateLimited;
    `observer` is called with a CallRecord after every HTTP call (the audit trail).
    """
    module_name, class_name = spec(account.vendor).adapter.split(":")
    cls = getattr(importlib.import_module(module_name), class_name)
    return cls(account, limiter=limiter, state_url=state_url, max_wait_s=max_wait_s, observer=observer)
