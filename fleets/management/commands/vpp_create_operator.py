from django.core.management.base import BaseCommand, CommandError

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
        parser.add_argument(
            "--staff",
            action="store_true",
            help="Let an admin (--role admin) into the Django admin, where it sees only its organization",
        )
        parser.add_argument(
            "--superuser",
            action="store_true",
            help="Platform staff: sees and changes every organization's objects in the Django admin",
        )

    def handle(self, *args, **opts):
        if opts["staff"] and opts["role"] != Membership.Role.ADMIN and not opts["superuser"]:
            # Operators and viewers have no admin access (fleets/admin_access.py): only admins get in.
            raise CommandError("--staff needs --role admin: only an organization's admins use the admin")
        membership, token = operator_create(
            organization_name=opts["organization"],
            username=opts["username"],
            role=opts["role"],
            email=opts["email"],
            password=opts["password"],
        )
        user = membership.user
        if opts["staff"] or opts["superuser"]:
            user.is_staff = True
            user.is_superuser = opts["superuser"]
            user.save(update_fields=["is_staff", "is_superuser"])
        self.stdout.write(token)
