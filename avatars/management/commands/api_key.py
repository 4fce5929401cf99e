"""Team API keys from the command line.

    manage.py api_key create --team SLUG --name NAME [--scope read,render,manage]
    manage.py api_key revoke NAME --team SLUG
    manage.py api_key list --team SLUG

`create` prints the key as its last line: it is shown this once and stored only hashed.
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from avatars.api import keys
from avatars.models import ApiKey, Team


class Command(BaseCommand):
    help = "Create, revoke or list a team's API keys."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        create = actions.add_parser("create", help="Make a key; prints it as the last line.")
        create.add_argument("--team", required=True, help="The team's slug.")
        create.add_argument("--name", required=True, help="What will use the key.")
        create.add_argument(
            "--scope",
            default="read,render",
            help=f"Comma-separated, of {', '.join(keys.SCOPES)} (default read,render).",
        )
        revoke = actions.add_parser("revoke", help="Stop a key working at once.")
        revoke.add_argument("name")
        revoke.add_argument("--team", required=True, help="The team's slug.")
        listed = actions.add_parser("list", help="The team's keys, with their last use.")
        listed.add_argument("--team", required=True, help="The team's slug.")

    def handle(self, *args: Any, **options: Any) -> None:
        team = Team.objects.filter(slug=options["team"]).first()
        if team is None:
            raise CommandError(f"There is no team with the slug “{options['team']}”.")
        getattr(self, f"_{options['action']}")(team, options)

    def _create(self, team: Team, options: dict[str, Any]) -> None:
        try:
            made = keys.create(team, options["name"], keys.parse_scopes(options["scope"]), None)
        except keys.ApiKeyError as refused:
            raise CommandError(str(refused)) from None
        scopes = ", ".join(made.api_key.scopes)
        self.stderr.write(f"Made “{made.api_key.name}” for {team} ({scopes}). Keep it secret:")
        self.stdout.write(made.secret)

    def _revoke(self, team: Team, options: dict[str, Any]) -> None:
        found = ApiKey.objects.filter(team=team, name=options["name"]).first()
        if found is None:
            raise CommandError(f"{team} has no key called “{options['name']}”.")
        if not keys.revoke(found, None):
            raise CommandError(
                f"“{found.name}” was revoked already, on {found.revoked_at:%d %b %Y}."
            )
        self.stdout.write(f"Revoked “{found.name}”: it stops working now.")

    def _list(self, team: Team, options: dict[str, Any]) -> None:
        for found in ApiKey.objects.filter(team=team):
            used = f"{found.last_used_at:%Y-%m-%d %H:%M}" if found.last_used_at else "never used"
            state = "revoked" if found.revoked_at else "active"
            self.stdout.write(
                f"{found.name}\t{found.prefix}…\t{','.join(found.scopes)}\t{used}\t{state}"
            )
