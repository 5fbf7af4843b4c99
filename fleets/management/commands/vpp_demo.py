import logging
from collections import Counter

from django.core.management.base import BaseCommand
from django.db import transaction

from fleets.discovery import vendor_account_sync
from fleets.models import Device, Fleet, Membership, Plant, VendorAccount
from fleets.services import fleet_create, operator_create, vendor_account_sync_request
from vendors import registry

DEMO_FLEET = "Demo fleet"

DEMO_ORG = "Demo Grid Operator"
DEMO_PASSWORD = "vpp-demo-password"  # local demo only: the server listens on 127.0.0.1


class Command(BaseCommand):
    help = (
        "Create the demo organisation, its admin user and vendor accounts on the simulators; print the token."
    )

    def add_arguments(self, parser):
        # Per vendor of vendors.registry: --<vendor>-url and --<vendor>-accounts.
        for spec in registry.specs():
            parser.add_argument(f"--{spec.name}-url", help=f"Base URL of a running {spec.brand} simulator")
        parser.add_argument("--sim-speed", type=float, default=1.0)
        for spec in registry.specs():
            parser.add_argument(f"--{spec.name}-accounts", type=int, default=spec.demo_accounts)
        parser.add_argument(
            "--no-discover", action="store_true", help="Leave plant discovery to the worker (daily sync)"
        )

    def handle(self, *args, **opts):
        for noisy in ("httpx", "fleets", "vendors"):  # the summary below says what discovery did
            logging.getLogger(noisy).setLevel(logging.WARNING)
        org, token, accounts = self._accounts(opts)
        self.stdout.write(f"Organization: {org.name}")
        self.stdout.write(f"Admin user:   demo / {DEMO_PASSWORD}")
        self.stdout.write(f"API token:    {token}")
        self.stdout.write(f"Vendor accounts: {', '.join(a.name for a in accounts) or 'none'}")
        if accounts and not opts["no_discover"]:
            self._discover(accounts)
        self._demo_fleet(org)

    def _discover(self, accounts: list[VendorAccount]) -> None:
        """Discover the simulators' plants now (a few seconds for ~50 plants at the demo's speed); an account
        that cannot be read now is left to a worker, and the output says so."""
        for account in accounts:
            outcome = vendor_account_sync(account_id=account.pk)
            if outcome.error or not outcome.claimed:
                with transaction.atomic():
                    vendor_account_sync_request(account=account)
                why = outcome.error or "another sync is running"
                self.stdout.write(f"  {account.name}: {why}; discovery queued for the worker (running)")
            else:
                self.stdout.write(f"  {account.name}: {outcome.plants} plants, {outcome.devices} devices")

    def _demo_fleet(self, org) -> None:
        fleet = Fleet.objects.filter(organization=org, name=DEMO_FLEET).first()
        if fleet is None:
            fleet = fleet_create(
                organization=org,
                name=DEMO_FLEET,
                description="Every plant of the demo organisation (a filter with no criteria)",
                criteria={},
            )
        count = Plant.objects.filter(organization=org, state=Plant.State.ACTIVE).count()
        self.stdout.write(
            f"Fleet:        {fleet.name} (id {fleet.pk}, {count} plants; GET /api/v1/fleets/{fleet.pk})"
        )
        # Device families as discovery stored them (Device.extra "family"): the demo fleet mixes them.
        families = Counter(
            str(extra["family"])
            for extra in Device.objects.filter(plant__organization=org).values_list("extra", flat=True)
            if isinstance(extra, dict) and extra.get("family")
        )
        if families:
            shown = ", ".join(f"{name} {n}" for name, n in sorted(families.items()))
            self.stdout.write(f"Device families: {shown} (GET /api/v1/plants/<id> capabilities)")

    @transaction.atomic
    def _accounts(self, opts):
        membership, token = operator_create(
            organization_name=DEMO_ORG, username="demo", role=Membership.Role.ADMIN, password=DEMO_PASSWORD
        )
        user = membership.user
        user.is_staff = user.is_superuser = True
        user.save(update_fields=["is_staff", "is_superuser"])
        org = membership.organization
        accounts = []
        for spec in registry.specs():
            url, count = opts[f"{spec.name}_url"], opts[f"{spec.name}_accounts"]
            if not url or spec.demo_account is None:
                continue
            for i in range(1, count + 1):
                demo = spec.demo_account(i, count)
                accounts.append((demo.name, spec.name, url, demo.username, demo.secret))
        created = []
        for name, vendor, url, username, secret in accounts:
            account, _ = VendorAccount.objects.update_or_create(
                organization=org,
                name=name,
                defaults={
                    "vendor": vendor,
                    "base_url": url,
                    "username": username,
                    "secret": secret,
                    "clock_speed": opts["sim_speed"],
                    "enabled": True,
                },
            )
            created.append(account)
        return org, token, created
