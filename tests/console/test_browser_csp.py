"""The Content-Security-Policy the browser tests run under really bites (the service's own, django-csp,
and the tests' default-src 'self' added to every answer): an inline script is refused and the refusal is
on the console the tests read, so the live-dispatch test's empty console proves our pages hold it."""

from __future__ import annotations

import pytest

from tests.plugins.browser import chromium_page, wait_true


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_inline_script_is_refused_under_the_strict_policy(live_server):
    with chromium_page() as browser:
        page = browser.page
        page.goto(f"{live_server.url}/console/login/")
        wait_true(page, "window.VPP !== undefined", what="our static script")
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
