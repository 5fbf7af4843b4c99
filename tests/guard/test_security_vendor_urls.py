"""Vendor base URLs cannot reach inside: https only, to hosts whose every address is public, checked when an
account is saved (API, admin, model) and again at connect time, on the address connected to (DNS rebinding).

The suite runs with VENDOR_URL_ALLOW_PRIVATE=1 for the simulators (tests/plugins/environment.py); the tests
here turn it off to see the refusals. Nothing here needs a network: public addresses are IP literals that are
parsed, never contacted, and `localhost` resolves through /etc/hosts.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import threading

import pytest
from django.core.exceptions import ValidationError

from fleets.discovery import vendor_account_sync
from fleets.models import VendorAccount
from tests.factories import UserFactory, VendorAccountFactory
from vendors import egress
from vendors.errors import DestinationRefused, TransientError
from vendors.huawei.client import HuaweiClient

REFUSED = [
    ("https://127.0.0.1", "non_public_address"),
    ("https://10.0.0.1", "non_public_address"),
    ("https://169.254.169.254/latest/meta-data", "non_public_address"),
    ("https://192.168.1.10:8443", "non_public_address"),
    ("https://100.64.0.1", "non_public_address"),  # CGNAT, shared address space
    ("https://0.0.0.0", "non_public_address"),
    ("https://224.0.0.1", "non_public_address"),
    ("https://[::1]", "non_public_address"),
    ("https://[fd00::1]", "non_public_address"),  # IPv6 ULA
    ("https://[fe80::1]", "non_public_address"),
    ("https://[::ffff:127.0.0.1]", "non_public_address"),  # IPv4-mapped
    ("https://localhost:8101", "non_public_address"),  # a name, resolved: 127.0.0.1 / ::1
    ("http://8.8.8.8", "https_required"),
    ("ftp://8.8.8.8", "https_required"),
    ("https://user:pw@8.8.8.8", "credentials_in_url"),
]


def huawei_account(url: str) -> dict:
    return {"name": "north", "vendor": "huawei", "base_url": url, "username": "nbi", "secret": "pw"}


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """The test users get passwords: PBKDF2 would cost seconds a test on a busy CPU."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def strict(settings):
    settings.VENDOR_URL_ALLOW_PRIVATE = False
    return settings


@pytest.mark.parametrize(
    ("raw", "public"),
    [
        ("8.8.8.8", True),
        ("2606:4700:4700::1111", True),
        ("127.0.0.1", False),
        ("127.255.0.9", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.0.1", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),
        ("100.127.255.254", False),
        ("0.0.0.0", False),
        ("224.0.0.251", False),
        ("239.255.255.250", False),
        ("240.0.0.1", False),
        ("255.255.255.255", False),
        ("198.18.0.1", False),
        ("192.0.2.1", False),
        ("::", False),
        ("::1", False),
        ("fc00::1", False),
        ("fd12:3456::1", False),
        ("fe80::1", False),
        ("fec0::1", False),
        ("ff02::1", False),
        ("::ffff:8.8.8.8", False),  # IPv4-mapped: refused whatever it wraps
        ("::ffff:10.0.0.1", False),
        ("2002:7f00:1::1", False),  # 6to4 around 127.0.0.1
        ("64:ff9b::a00:1", False),  # NAT64 around 10.0.0.1
        ("2001:db8::1", False),
    ],
)
def test_only_global_unicast_addresses_are_public(raw, public):
    assert egress.address_is_public(ipaddress.ip_address(raw)) is public


@pytest.mark.django_db
def test_the_api_refuses_a_vendor_url_that_reaches_inside(strict, alice_api, org):
    for url, code in REFUSED:
        response = alice_api.post("/api/v1/vendor-accounts", huawei_account(url), format="json")
        assert response.status_code == 400, (url, response.json())
        assert response.json()["fields"]["base_url"][0]["code"] == code, url
    assert not VendorAccount.objects.exists()


@pytest.mark.django_db
def test_the_api_refuses_changing_an_account_to_a_private_url(strict, alice_api, org):
    account = VendorAccountFactory(organization=org, base_url="https://8.8.8.8")
    response = alice_api.patch(
        f"/api/v1/vendor-accounts/{account.pk}", {"base_url": "https://10.0.0.1"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["fields"]["base_url"][0]["code"] == "non_public_address"
    account.refresh_from_db()
    assert account.base_url == "https://8.8.8.8"


@pytest.mark.django_db
def test_a_public_https_url_is_accepted_and_the_flag_allows_the_simulators(strict, alice_api, org):
    response = alice_api.post("/api/v1/vendor-accounts", huawei_account("https://8.8.8.8"), format="json")
    assert response.status_code == 201, response.json()
    strict.VENDOR_URL_ALLOW_PRIVATE = True
    body = {**huawei_account("http://127.0.0.1:8101"), "name": "simulator"}
    response = alice_api.post("/api/v1/vendor-accounts", body, format="json")
    assert response.status_code == 201, response.json()


@pytest.mark.django_db
def test_the_model_clean_refuses_a_private_url(strict, org):
    account = VendorAccountFactory.build(organization=org, base_url="https://169.254.169.254")
    with pytest.raises(ValidationError) as caught:
        account.full_clean()
    assert caught.value.error_dict["base_url"][0].code == "non_public_address"


@pytest.mark.django_db
def test_the_admin_refuses_a_vendor_url_that_reaches_inside(strict, client, org):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    for url in ["https://127.0.0.1", "https://10.0.0.1", "https://169.254.169.254", "http://8.8.8.8"]:
        form = {
            "organization": org.pk,
            "vendor": "huawei",
            "name": "north",
            "base_url": url,
            "username": "nbi",
            "secret": "pw",
            "enabled": "on",
            "clock_speed": "1.0",
            "rate_limit_overrides": "{}",
        }
        page = client.post("/admin/fleets/vendoraccount/add/", form)
        assert page.status_code == 200, url  # the form again, with the error
        assert "base_url" in page.context["adminform"].form.errors, url
    assert not VendorAccount.objects.exists()


# --- connect time -------------------------------------------------------------------------------------------


@contextlib.contextmanager
def listener():
    """A TCP port on 127.0.0.1 that counts who connected (nothing is ever accepted into a conversation)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    sock.setblocking(False)
    try:
        yield sock
    finally:
        sock.close()


def connections_seen(sock: socket.socket) -> int:
    seen = 0
    while True:
        try:
            conn, _ = sock.accept()
        except BlockingIOError:
            return seen
        conn.close()
        seen += 1


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_name_that_resolves_to_loopback_is_refused_at_connect_and_nothing_connects():
    with listener() as sock:
        open_port = sock.getsockname()[1]
        errors = []
        for port in (open_port, closed_port()):
            client = HuaweiClient(f"https://localhost:{port}", max_attempts=1, allow_private_network=False)
            with pytest.raises(DestinationRefused) as caught:
                client.post("vpp/chargeAndDischarge", {})
            client.close()
            errors.append(str(caught.value))
        assert connections_seen(sock) == 0
    # The same words for an open and a closed port: the error is no port scanner.
    assert errors[0] == errors[1]
    assert "not a public address" in errors[0]


def test_plain_http_is_refused_at_connect_without_the_flag():
    with listener() as sock:
        client = HuaweiClient(f"http://127.0.0.1:{sock.getsockname()[1]}", allow_private_network=False)
        with pytest.raises(DestinationRefused) as caught:
            client.post("vpp/chargeAndDischarge", {})
        client.close()
        assert caught.value.code == "https_required"
        assert connections_seen(sock) == 0


def test_the_address_checked_is_the_address_connected_to():
    """DNS rebinding: the name resolved to a public address when it was saved, to loopback now."""
    answers = iter([["8.8.8.8"], ["127.0.0.1"]])

    def rebinding(host, port):
        return next(answers)

    egress.check_url("https://vendor.invalid", allow_private=False, resolver=rebinding)  # saved: fine
    backend = egress.GuardedBackend(allow_private=False, resolver=rebinding)
    with pytest.raises(DestinationRefused) as caught:
        backend.connect_tcp("vendor.invalid", 443, timeout=1)
    assert caught.value.code == "non_public_address"


def test_with_the_flag_an_open_and_a_closed_port_fail_in_the_same_words():
    """A port that answers but speaks no TLS and a port nobody listens on read the same."""

    def failure(port: int) -> str:
        client = HuaweiClient(f"https://127.0.0.1:{port}", max_attempts=1, allow_private_network=True)
        with pytest.raises(TransientError) as caught:
            client.post("vpp/chargeAndDischarge", {})
        client.close()
        return str(caught.value).replace(str(port), "PORT")

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)
        hangs_up = threading.Thread(target=lambda: sock.accept()[0].close(), daemon=True)
        hangs_up.start()
        answered = failure(sock.getsockname()[1])
        hangs_up.join(timeout=30)
    assert answered == failure(closed_port())
    assert "could not connect to the vendor" in answered


@pytest.mark.django_db
def test_an_account_saved_before_its_name_pointed_inside_cannot_sync(strict):
    with listener() as sock:
        # Saved without the check (as if the name had resolved publicly then); it resolves to 127.0.0.1 now.
        account = VendorAccountFactory(base_url=f"https://localhost:{sock.getsockname()[1]}")
        vendor_account_sync(account_id=account.pk)
        account.refresh_from_db()
        assert "not a public address" in account.sync_error
        assert account.synced_at is None
        assert connections_seen(sock) == 0


@pytest.mark.django_db
def test_a_dispatch_through_an_account_that_resolves_inside_is_rejected_and_nothing_connects(
    strict, bob_api, org
):
    from dispatch.engine.send import send_lane_run
    from dispatch.models import DispatchTask
    from tests.factories import PlantFactory

    with listener() as sock:
        account = VendorAccountFactory(
            organization=org, base_url=f"https://localhost:{sock.getsockname()[1]}"
        )
        plants = [PlantFactory(vendor_account=account) for _ in range(2)]
        body = {
            "command": "charge_discharge",
            "plants": [plant.pk for plant in plants],
            "params": {"action": "charge", "control": "soc", "target_soc_pct": 90, "power_w": 3000},
        }
        response = bob_api.post("/api/v1/dispatches", body, format="json")
        assert response.status_code == 201, response.json()
        send_lane_run(account_id=account.pk, budget_s=30)
        tasks = DispatchTask.objects.filter(job_id=response.json()["id"])
        assert {(t.state, t.vendor_code) for t in tasks} == {
            (DispatchTask.State.REJECTED, "non_public_address")
        }
        assert connections_seen(sock) == 0
