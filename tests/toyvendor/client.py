"""HTTP to the toy cloud on the shared layer (vendors.http): its envelope and its key header, nothing else."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx

from vendors.http import ExchangeHook, Note, VendorHttp

KEY_HEADER = "X-Api-Key"


@dataclass(frozen=True)
class Reply:
    http_status: int
    code: str  # "0": done; anything else: the cloud's refusal
    message: str
    data: Any


class ToyClient(VendorHttp):
    def __init__(self, base_url: str, *, api_key: str, timeout_s: float, allow_private_network: bool) -> None:
        super().__init__(
            base_url,
            timeout_s=timeout_s,
            connect_timeout_s=5.0,
            max_attempts=3,
            backoff_initial_s=0.2,
            backoff_max_s=2.0,
            retry_budget_s=30.0,
            allow_private_network=allow_private_network,
            headers={"Accept": "application/json", KEY_HEADER: api_key},
        )

    def post_once(
        self, name: str, body: dict[str, Any], *, number: int, on_exchange: ExchangeHook | None
    ) -> Reply:
        """One try of ``POST /v1/<name>``; ``TransientError`` for a fault that may pass (vendors.http)."""
        return self.exchange(
            "POST",
            f"/v1/{name}",
            endpoint=name,
            label=name,
            number=number,
            record_params=body,
            read=_read,
            on_exchange=on_exchange,
            json=body,
        )


def _read(response: httpx.Response, note: Note) -> Reply:
    try:
        body = json.loads(response.text)
    except ValueError:
        body = None
    if not isinstance(body, dict):
        note.error = "answer is not a JSON object"
        return Reply(response.status_code, "bad-answer", response.text[:500], None)
    note.vendor_code = str(body.get("code"))
    return Reply(
        response.status_code, str(body.get("code")), str(body.get("message") or ""), body.get("data")
    )
