"""Query strings are inputs too: an unknown parameter, an unknown ordering term, an id that is not digits in
1..2^63-1, a time without its zone, a bad page or a NUL in a search is a JSON 400 naming the parameter,
where it used to be ignored (listing everything) or a 500."""

from __future__ import annotations

import pytest

from dispatch.models import DispatchTask
from fleets.models import Vendor
from tests.dispatch.api.conftest import make_job
from tests.factories import CampaignFactory, FleetFactory, PlantFactory, VendorAccountFactory


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def acme(org, bob):
    account = VendorAccountFactory(organization=org, vendor=Vendor.HUAWEI)
    plants = [PlantFactory(vendor_account=account, name=name) for name in ("Bravo", "Alpha")]
    fleet = FleetFactory(organization=org, name="North")
    fleet.plants.set(plants)
    job = make_job(org, bob, plants, states=[DispatchTask.State.PENDING], fleet=fleet)
    campaign = CampaignFactory(organization=org, fleet=fleet)
    return {"account": account, "plants": plants, "fleet": fleet, "job": job, "campaign": campaign}


def _error(response, name: str) -> list[str]:
    assert response.status_code == 400, (response.status_code, response.content)
    body = response.json()
    assert set(body) == {"error", "detail", "fields"} and name in body["fields"], body
    return [problem["code"] for problem in body["fields"][name]]


LISTS = [
    "/api/v1/plants",
    "/api/v1/fleets",
    "/api/v1/enrolments",
    "/api/v1/vendor-accounts",
    "/api/v1/dispatches",
    "/api/v1/dispatches/{job}/tasks",
    "/api/v1/campaigns",
]


@pytest.mark.django_db
@pytest.mark.parametrize("url", LISTS)
def test_an_unknown_query_parameter_is_a_400_naming_it_on_every_list(bob_api, acme, url):
    url = url.format(job=acme["job"].pk)
    assert bob_api.get(url).status_code == 200
    assert _error(bob_api.get(f"{url}?stat=failed"), "stat") == ["unknown_parameter"]


@pytest.mark.django_db
@pytest.mark.parametrize("url", LISTS)
def test_an_unknown_ordering_is_a_400_naming_ordering(bob_api, acme, url):
    url = url.format(job=acme["job"].pk)
    assert _error(bob_api.get(f"{url}?ordering=secret"), "ordering") == ["invalid_ordering"]
    assert _error(bob_api.get(f"{url}?ordering=-id,bogus"), "ordering") == ["invalid_ordering"]


@pytest.mark.django_db
def test_known_parameters_and_orderings_still_work(bob_api, acme):
    names = [
        p["name"] for p in bob_api.get("/api/v1/plants?ordering=name&page_size=1&page=2").json()["results"]
    ]
    assert names == ["Bravo"]
    names = [p["name"] for p in bob_api.get("/api/v1/plants?ordering=-name&search=a").json()["results"]]
    assert names == ["Bravo", "Alpha"]
    fleet = acme["fleet"].pk
    assert bob_api.get(f"/api/v1/dispatches?fleet={fleet}&format=json").json()["count"] == 1
    assert bob_api.get(f"/api/v1/plants?fleet={fleet}&vendor=huawei").json()["count"] == 2


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["10.0", "1e3", "abc", " 1", "+1", "0", "-1", str(2**63), "9" * 30])
@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("/api/v1/plants?fleet=", "fleet"),
        ("/api/v1/plants?vendor_account=", "vendor_account"),
        ("/api/v1/dispatches?fleet=", "fleet"),
        ("/api/v1/dispatches/{job}/tasks?plant=", "plant"),
        ("/api/v1/campaigns?fleet=", "fleet"),
        ("/api/v1/enrolments?vendor_account=", "vendor_account"),
    ],
)
def test_an_id_in_a_query_is_digits_in_the_bigint_range(bob_api, acme, url, name, value):
    response = bob_api.get(url.format(job=acme["job"].pk) + value)
    assert _error(response, name)


@pytest.mark.django_db
def test_an_id_filter_takes_only_the_callers_objects(bob_api, charlie, acme):
    theirs = FleetFactory(organization=charlie.membership.organization)
    assert _error(bob_api.get(f"/api/v1/dispatches?fleet={theirs.pk}"), "fleet") == ["invalid_choice"]
    assert _error(bob_api.get("/api/v1/campaigns?fleet=999999"), "fleet") == ["invalid_choice"]


@pytest.mark.django_db
def test_times_in_queries_carry_their_zone(bob_api, acme):
    assert _error(bob_api.get("/api/v1/dispatches?created_after=2026-01-01T00:00:00"), "created_after") == [
        "timezone_required"
    ]
    assert _error(bob_api.get("/api/v1/dispatches?created_before=2026-01-01"), "created_before")
    assert bob_api.get("/api/v1/dispatches?created_after=2026-01-01T00:00:00%2B02:00").json()["count"] == 1
    plant = acme["plants"][0].pk
    assert _error(bob_api.get(f"/api/v1/plants/{plant}/telemetry?from=2026-01-01T00:00:00"), "from") == [
        "timezone_required"
    ]
    assert _error(bob_api.get(f"/api/v1/plants/{plant}/telemetry?since=x"), "since") == ["unknown_parameter"]


@pytest.mark.django_db
def test_pages_search_and_preview_count_are_checked(bob_api, acme):
    assert _error(bob_api.get("/api/v1/plants?page=0"), "page")
    assert _error(bob_api.get("/api/v1/plants?page=99"), "page")
    assert _error(bob_api.get("/api/v1/plants?page_size=abc"), "page_size")
    assert _error(bob_api.get("/api/v1/plants?search=a%00b"), "search") == ["null_characters_not_allowed"]
    preview = f"/api/v1/campaigns/{acme['campaign'].pk}/preview"
    assert _error(bob_api.get(f"{preview}?count=1.5"), "count")
    assert _error(bob_api.get(f"{preview}?cnt=3"), "cnt")
    assert len(bob_api.get(f"{preview}?count=3").json()["next_runs"]) == 3


@pytest.mark.django_db
def test_campaigns_filter_by_command_and_by_its_old_name(bob_api, acme):
    for name in ("command", "command_kind"):
        assert bob_api.get(f"/api/v1/campaigns?{name}=charge_discharge").json()["count"] == 1
        assert bob_api.get(f"/api/v1/campaigns?{name}=dod").json()["count"] == 0
        assert _error(bob_api.get(f"/api/v1/campaigns?{name}=teleport"), name) == ["invalid_choice"]


@pytest.mark.django_db
def test_paged_detail_lists_take_only_their_page_parameters(bob_api, acme):
    for url in (f"/api/v1/fleets/{acme['fleet'].pk}/plants", f"/api/v1/campaigns/{acme['campaign'].pk}/runs"):
        assert bob_api.get(f"{url}?page_size=1").status_code == 200
        assert _error(bob_api.get(f"{url}?state=active"), "state") == ["unknown_parameter"]


@pytest.mark.django_db
def test_the_task_vendor_filter_takes_a_vendor(bob_api, acme):
    tasks = f"/api/v1/dispatches/{acme['job'].pk}/tasks"
    assert bob_api.get(f"{tasks}?vendor=huawei").json()["count"] == 2
    assert _error(bob_api.get(f"{tasks}?vendor=hauwei"), "vendor") == ["invalid_choice"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("/api/v1/campaigns?enabled=null", "enabled"),
        ("/api/v1/vendor-accounts?enabled=yes", "enabled"),
        ("/api/v1/campaigns?enabled=", "enabled"),
        ("/api/v1/dispatches?created_before=", "created_before"),
        ("/api/v1/plants?fleet=", "fleet"),
    ],
)
def test_a_typed_filter_takes_a_value_of_its_type_not_an_empty_or_null_one(bob_api, acme, query, name):
    assert _error(bob_api.get(query), name)


@pytest.mark.django_db
def test_boolean_filters_take_true_and_false(bob_api, acme):
    assert bob_api.get("/api/v1/campaigns?enabled=true").json()["count"] == 1
    assert bob_api.get("/api/v1/campaigns?enabled=false").json()["count"] == 0
