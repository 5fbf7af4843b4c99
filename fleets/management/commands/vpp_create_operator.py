from django.core.management.base import BaseCommand

from fleets.models import Membership
from fleets.services import operator_create


class Command(BaseCommand):
    help = "Create an operator user in an organization (creating it if needed) and print its API token."

    def add_arguments(self, parser):
        parser.add_argument("--organization", required=True)
        parser.add_argument("--username", required=True)
        parser.add_argument("--email", default="")
        parser.add_argument("--role", choices=Membership.Role.values, default=Membership.Role.OPERATOR)
        parser.add_argument("--password", help="Also allow logging in to the admin with this password")
        parser.add_argument("--staff", action="store_true", help="Let the user into the Django admin")

    def handle(self, *args, **opts):
        membership, token = operator_create(
            organization_name=opts["organization"],
            username=opts["username"],
            role=opts["role"],
            email=opts["email"],
            password=opts["password"],
        )
        if opts["staff"]:
            user = membership.user
            user.is_staff = user.is_superuser = True
            user.save(update_fields=["is_staff", "is_superuser"])
        self.stdout.write(token)
