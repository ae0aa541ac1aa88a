from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from mlgov.actors import Actor
from mlgov.exceptions import DomainError
from mlgov.roles import Role
from mlgov.services import ensure_service_account, issue_token
from registry.services import join_teams


class Command(BaseCommand):
    help = (
        "Issue an API bearer token for a user, creating a service account with "
        "--role if the user does not exist, and adding it to each --team. The "
        "token is printed once."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="cli", help="What the token is for.")
        parser.add_argument("--days", type=int, default=None, help="Lifetime in days.")
        parser.add_argument(
            "--role",
            choices=Role.values,
            help="Create (or re-role) a service account with this role.",
        )
        parser.add_argument(
            "--team",
            action="append",
            default=[],
            dest="teams",
            metavar="TEAM",
            help="Add the user to this team (repeatable). A data scientist "
            "registers models and versions only for its teams.",
        )

    def handle(self, *args, username, name, days, role, teams, **options):
        try:
            with transaction.atomic():
                user: Actor | None
                if role:
                    user = ensure_service_account(username=username, role=role)
                else:
                    user = get_user_model().objects.filter(username=username).first()
                if user is None:
                    raise CommandError(
                        f"No user {username!r}; pass --role to create a "
                        "service account."
                    )
                joined = join_teams(user=user, team_names=teams)
                issued = issue_token(user=user, name=name, days=days)
        except DomainError as error:
            raise CommandError(error.message) from error
        self.stdout.write(issued.raw)
        member_of = ", ".join(team.name for team in joined) or "no team"
        self.stderr.write(
            f"Token {issued.token.key_hint}… for {username} ({member_of}), expires "
            f"{issued.token.expires_at:%Y-%m-%d}. It is not shown again."
        )
