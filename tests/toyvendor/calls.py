"""The call path of one toy account: a shared rate-limit slot before every try, the refusals as error types,
every exchange handed to the audit trail (vendors.http.recorder)."""

from __future__ import annotations

from typing import Any

from tests.toyvendor.client import Reply, ToyClient
from tests.toyvendor.spec import SPEC
from vendors.base import AccountConfig, CallObserver
from vendors.errors import AuthFailed, RateLimited, VendorRejected
from vendors.http import recorder
from vendors.ratelimit import RateLimitTimeout, effective_limits, rate_key

# Interface -> the group its limit counts in (the simulator's INTERFACES).
GROUPS = {
    "plants/claim": "read",
    "plants/list": "read",
    "devices": "read",
    "realtime": "read",
    "battery/command": "command",
    "battery/tasks": "status",
}


class ToyCalls:
    def __init__(self, account: AccountConfig, *, limiter, max_wait_s: float, observer: CallObserver | None):
        self.account = account
        self.max_wait_s = max_wait_s
        self._limiter = limiter
        self._observer = observer
        self._limits = effective_limits(
            SPEC.limits(), overrides=account.rate_limit_overrides, speed=account.clock_speed
        )
        self._client = ToyClient(
            account.base_url,
            api_key=account.secret,
            timeout_s=account.timeout_s,
            allow_private_network=account.allow_private_network,
        )

    def call(self, name: str, body: dict[str, Any], *, request_id: str | None = None, targets=()) -> Any:
        """The answer's data; `RateLimited`, `AuthFailed` or `VendorRejected` when the cloud refused."""
        hook = recorder(
            self._observer, account_key=self.account.key, request_id=request_id, targets=tuple(targets)
        )
        group = GROUPS[name]
        key = rate_key(SPEC.name, self.account.key, group)

        def once(number: int) -> Reply:
            try:
                slot = self._limiter.take(
                    key, self._limits[group], max_wait_s=self.max_wait_s, flight_s=self.account.timeout_s + 1
                )
            except RateLimitTimeout as exc:
                raise RateLimited(
                    f"{name}: no slot within {self.max_wait_s:g} s", retry_after_s=exc.retry_after_s
                ) from exc
            with slot:
                return self._client.post_once(name, body, number=number, on_exchange=hook)

        reply = self._client.with_retries(once)
        if reply.http_status == 401:
            raise AuthFailed(f"{name}: {reply.message}")
        if reply.code in SPEC.rate_limit_codes:
            window_s = self._limits[group][0].window_s
            raise RateLimited(f"{name}: {reply.message}", retry_after_s=window_s, vendor_said=True)
        if reply.code != "0":
            raise VendorRejected(reply.code, reply.message)
        return reply.data

    def close(self) -> None:
        self._client.close()
