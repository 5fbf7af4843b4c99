"""Headless Chromium for page tests: Debian's /usr/bin/chromium driven by Playwright (no browser download).

`make chromium` (a prerequisite of `make test`) installs the package when it is missing. Use
`chromium_page(base_url)` as a context manager; it yields a `BrowserSession` whose `requests` lists every
URL the pages asked for, so a test can prove that nothing left loopback.

Playwright's sync API runs an event loop in this thread while it is open, and Django refuses ORM calls
from a thread with a running loop: do database work before or after the `with` block, not inside it.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
# The policy every page must hold (what issue 10's Content-Security-Policy sets): all code from our origin.
STRICT_CSP = "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'self'"


@dataclass
class BrowserSession:
    page: object
    requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)  # CSP violations are reported here too

    def off_loopback(self) -> list[str]:
        """Every request URL whose host is not this machine's loopback (data: and blob: URLs are local)."""
        out = []
        for url in self.requests:
            parts = urlsplit(url)
            if parts.scheme in ("data", "blob", "about"):
                continue
            if parts.hostname not in LOOPBACK_HOSTS:
                out.append(url)
        return out


def wait_true(page, expression: str, *, timeout_s: float = 60, what: str = "") -> None:
    """Poll `expression` in the page until it is truthy (bounded). Not page.wait_for_function: its poller
    compiles the predicate with `new Function`, which our Content-Security-Policy (no 'unsafe-eval')
    refuses; page.evaluate goes through the DevTools protocol, which the policy does not govern."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if page.evaluate(expression):
            return
        page.wait_for_timeout(250)
    pytest.fail(f"timed out after {timeout_s}s waiting for {what or expression}")


def screenshot_dir() -> Path | None:
    """Where to also save the screenshots for the README (scripts/console-screenshots.sh sets it)."""
    value = os.environ.get("VPP_SCREENSHOT_DIR")
    return Path(value) if value else None


def _with_strict_csp(route) -> None:
    """Serve every answer with STRICT_CSP added, so an inline script or style, or a load from elsewhere,
    is refused by the browser and reported on its console (which the tests read)."""
    response = route.fetch(max_redirects=0)  # a redirect goes back to the browser as it came
    headers = {**response.headers, "content-security-policy": STRICT_CSP}
    route.fulfill(response=response, headers=headers)


@contextlib.contextmanager
def chromium_page(
    *, timezone_id: str = "Europe/Berlin", viewport=(1360, 900), strict_csp: bool = True
) -> Iterator[BrowserSession]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: run `make chromium` (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            context = browser.new_context(
                timezone_id=timezone_id,
                locale="en-GB",
                viewport={"width": viewport[0], "height": viewport[1]},
            )
            requests: list[str] = []
            errors: list[str] = []

            def on_console(message) -> None:
                if message.type == "error":
                    errors.append(message.text)

            # On the context, so every tab a test opens is recorded.
            context.on("request", lambda request: requests.append(request.url))
            context.on("console", on_console)
            context.on("weberror", lambda error: errors.append(str(error.error)))
            if strict_csp:
                context.route("**/*", _with_strict_csp)
            yield BrowserSession(page=context.new_page(), requests=requests, console_errors=errors)
            context.close()
        finally:
            browser.close()
