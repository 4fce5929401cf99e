"""The month's ledger summary as CSV on stdout: the figures of the /credits/ overview."""

import argparse
from typing import Any

from django.core.management.base import (
    BaseCommand,
    CommandError,
    CommandParser,
    DjangoHelpFormatter,
)

from avatars.csv_export import csv_lines
from avatars.models import Team
from avatars.report_rows import summary_rows
from avatars.reports import Month


class HelpFormatter(DjangoHelpFormatter, argparse.RawDescriptionHelpFormatter):
    pass


class Command(BaseCommand):
    help = """Print a month's ledger summary as CSV.

Columns:
  month     the month, YYYY-MM
  team      the team's name, as the pages show it; TOTAL (or the --team team's name)
            on total lines
  team_slug the team's slug, for machines (a name can change); empty on TOTAL lines
  user      who asked for the render; for a refund or adjustment of no render, who
            entered it; empty on total lines
  provider  the provider the money went to; empty for entries of no render
  kind      hold, charge, release, refund or adjustment; on total lines also:
              net_spend                charges + refunds + adjustments of the month
              rerender_charges         charges of renders that re-render another
              open_holds               holds not yet released, taken in any month
              failed_render_cost       what providers reported for renders that failed
                                       this month (the teams were not charged)
              failed_render_estimates  what those failed renders were estimated at
              free_drafts              free drafts requested this month (the draft
                                       provider's renders: no ledger rows, always 0)
  entries   how many ledger rows (renders, on the open_holds, failed_ and free_ lines)
  amount    their sum in USD, a plain decimal; holds and charges are positive,
            releases and refunds negative

One line per team × user × provider × kind, then the total lines."""

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        return super().create_parser(prog_name, subcommand, formatter_class=HelpFormatter)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--month", help="YYYY-MM; the current month if left out.")
        parser.add_argument("--team", metavar="SLUG", help="Only this team.")

    def handle(self, *args: Any, month: str | None, team: str | None, **options: Any) -> None:
        try:
            period = Month.parse(month) if month else Month.current()
        except ValueError:
            raise CommandError(f"--month {month} is not a month like 2026-11.") from None
        chosen = None
        if team:
            chosen = Team.objects.filter(slug=team).first()
            if chosen is None:
                raise CommandError(f"No team has the slug {team!r}.")
        for line in csv_lines(summary_rows(period, chosen), line_end="\n"):
            self.stdout.write(line, ending="")
