"""The browser tests' strict Content-Security-Policy really bites: an inline script is refused and the
refusal is on the console the tests read, so the live-dispatch test's empty console proves our pages hold
default-src 'self'."""

from __future__ import annotations

import pytest

from tests.plugins.browser import chromium_page


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_inline_script_is_refused_under_the_strict_policy(live_server):
    with chromium_page() as browser:
        page = browser.page
        page.goto(f"{live_server.url}/console/login/")
        page.wait_for_function("window.VPP !== undefined")  # our static script ran
        with page.expect_console_message(lambda m: "Content Security Policy" in m.text) as refusal:
            page.evaluate(
                "() => { const s = document.createElement('script'); s.textContent = 'window.injected = 1';"
                " document.body.appendChild(s); }"
            )
        injected = page.evaluate("window.injected")
        message = refusal.value.text
        errors = list(browser.console_errors)
    assert injected is None
    assert "inline script" in message and message in errors
