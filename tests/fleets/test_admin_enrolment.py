"""Enrolment from the Django admin: a form with one item per line, checked by the API's rules, and actions
to run an enrolment again and to discover an account's plants now."""

import pytest

from fleets.models import Enrolment, EnrolmentItem
from fleets.tasks import enrolment_run, vendor_account_sync
from tests.factories import EnrolmentFactory, UserFactory, VendorAccountFactory


@pytest.fixture
def admin_client(client, db):
    user = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(user)
    return client


@pytest.fixture
def huawei(org):
    return VendorAccountFactory(organization=org, vendor="huawei")


@pytest.mark.django_db
def test_the_add_form_enrols_one_item_per_line(admin_client, huawei, django_capture_on_commit_callbacks):
    lines = "HV0000000001, owner_1@example.com\nHV0000000002, owner_2\n\nHV0000000003, +61400000003\n"
    with django_capture_on_commit_callbacks() as callbacks:
        response = admin_client.post(
            "/admin/fleets/enrolment/add/", {"vendor_account": huawei.pk, "method": "sn", "lines": lines}
        )
    assert response.status_code == 302, response.content.decode()[-2000:]
    enrolment = Enrolment.objects.get()
    assert (enrolment.organization, enrolment.method, enrolment.requested_by.username) == (
        huawei.organization,
        "sn",
        "root",
    )
    items = list(
        EnrolmentItem.objects.filter(enrolment=enrolment).values_list(
            "sn", "owner_email", "owner_username", "owner_phone"
        )
    )
    assert items == [
        ("HV0000000001", "owner_1@example.com", "", ""),
        ("HV0000000002", "", "owner_2", ""),
        ("HV0000000003", "", "", "+61400000003"),
    ]
    assert len(callbacks) == 1  # the task, once committed


@pytest.mark.django_db
def test_a_bad_line_is_shown_with_its_number_and_nothing_is_written(admin_client, huawei):
    lines = "HV0000000001, owner_1@example.com\nHV 2, owner_2\nHV0000000003\n"
    response = admin_client.post(
        "/admin/fleets/enrolment/add/", {"vendor_account": huawei.pk, "method": "sn", "lines": lines}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "line 2 (sn)" in page
    assert not Enrolment.objects.exists() and not EnrolmentItem.objects.exists()


@pytest.mark.django_db
def test_actions_hand_work_to_a_worker(admin_client, huawei, monkeypatch, django_capture_on_commit_callbacks):
    sent = []
    monkeypatch.setattr(enrolment_run, "delay", lambda *args: sent.append(("enrolment_run", args)))
    monkeypatch.setattr(
        vendor_account_sync, "delay", lambda *args: sent.append(("vendor_account_sync", args))
    )
    enrolment = EnrolmentFactory(vendor_account=huawei)
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            "/admin/fleets/enrolment/", {"action": "run_again", "_selected_action": [enrolment.pk]}
        )
        admin_client.post(
            "/admin/fleets/vendoraccount/", {"action": "sync_now", "_selected_action": [huawei.pk]}
        )
    assert sent == [("enrolment_run", (enrolment.pk,)), ("vendor_account_sync", (huawei.pk, sent[1][1][1]))]
