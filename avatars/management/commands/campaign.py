"""Campaigns from the command line, through the same flows as the studio.

Each subcommand prints one JSON line last; a refusal exits non-zero with its reason in
"error".
"""

import json
import sys
import time
from pathlib import Path
from typing import Any, TypeVar

from django.contrib.auth.models import User
from django.core.exceptions import ObjectDoesNotExist
from django.core.management.base import BaseCommand, CommandParser
from django.db.models import Model

from avatars.campaigns import export, importing, progress, sending
from avatars.models import (
    Avatar,
    Campaign,
    CampaignStatus,
    JobStatus,
    RenderJob,
    Script,
    Team,
    Voice,
)
from avatars.models.jobs import ACTIVE_STATUSES
from avatars.worker import start_embedded_worker

M = TypeVar("M", bound=Model)
WAITS = ("sample", "run", "retry", "resume")


class Refused(Exception):
    pass


class Command(BaseCommand):
    help = "Create, sample, approve, run, retry, pause, resume, cancel and export campaigns."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        create = actions.add_parser("create", help="a campaign from a CSV or XLSX file")
        create.add_argument("file", type=Path)
        create.add_argument("--team", required=True, help="the team's slug")
        create.add_argument("--name", required=True)
        create.add_argument("--avatar", required=True, help="the avatar's name")
        create.add_argument("--script", required=True, help="the script's title")
        create.add_argument("--voice", help="the voice's name (default: the team's first)")
        create.add_argument("--provider", default="")
        create.add_argument("--resolution", default="720p", choices=["720p", "1080p"])
        create.add_argument("--cap", default="", help="a spending cap in dollars")
        create.add_argument("--user", help="who creates it (a username)")
        for name in ("sample", "run", "retry", "pause", "resume", "cancel"):
            action = actions.add_parser(name)
            action.add_argument("id", type=int)
            action.add_argument("--user", help="who acts (a username)")
            if name in WAITS:
                action.add_argument("--wait", action="store_true")
                action.add_argument("--timeout", type=float, default=600.0)
        actions.choices["sample"].add_argument("--rows", type=int, help="the first N valid rows")
        actions.choices["sample"].add_argument(
            "--row", type=int, action="append", dest="numbers", help="this row (repeatable)"
        )
        actions.choices["pause"].add_argument("--reason", default="")
        approve = actions.add_parser("approve")
        approve.add_argument("id", type=int)
        approve.add_argument("--user", required=True, help="the approving Editor's username")
        out = actions.add_parser("export", help="the results CSV")
        out.add_argument("id", type=int)
        out.add_argument("--out", type=Path, help="a file to write (default: stdout)")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        try:
            if action == "create":
                line = self._create(options)
            elif action == "export":
                self._export(options)
                return
            else:
                line = self._act(action, options)
        except (Refused, importing.CampaignError) as refused:
            self.stdout.write(json.dumps({"error": str(refused)}))
            raise SystemExit(1) from None
        self.stdout.write(json.dumps(line))

    # --- create ---------------------------------------------------------------------------

    def _create(self, options: dict[str, Any]) -> dict[str, Any]:
        team = _one(Team, slug=options["team"])
        script = _one(Script, team=team, title=options["script"])
        path: Path = options["file"]
        try:
            data = path.read_bytes()
        except OSError as error:
            raise Refused(f"Cannot read {path}: {error.strerror}.") from None
        planned = importing.plan(
            team=team,
            name=options["name"],
            avatar=_one(Avatar, team=team, name=options["avatar"]),
            script=script,
            voice=self._voice(team, script, options["voice"]),
            data=data,
            filename=path.name,
            provider=options["provider"],
            resolution=options["resolution"],
            spending_cap=importing.parse_cap(options["cap"]),
        )
        campaign = importing.create(planned, _user(options.get("user")))
        checked = planned.checked
        return {
            "campaign": campaign.pk,
            "rows": len(checked.rows),
            "valid": len(checked.valid),
            "invalid": [{"row": r.number, "error": r.error} for r in checked.invalid],
            "duplicates": [
                {"row": r.number, "same_as": r.duplicate_of} for r in checked.duplicates
            ],
            "estimate": f"{checked.estimate:.4f}",
        }

    def _voice(self, team: Team, script: Script, name: str | None) -> Voice:
        if name:
            return _one(Voice, team=team, name=name)
        voices = Voice.objects.filter(team=team, archived=False)
        voice = voices.filter(language=script.language).first() or voices.first()
        if voice is None:
            raise Refused(f"{team} has no voice; add one or name it with --voice.")
        return voice

    # --- actions --------------------------------------------------------------------------

    def _act(self, action: str, options: dict[str, Any]) -> dict[str, Any]:
        campaign = _one(Campaign, pk=options["id"])
        user = _user(options.get("user"))
        if action == "sample":
            sending.sample(campaign.pk, user, rows=options["rows"], numbers=options["numbers"])
        elif action == "approve":
            if user is None:
                raise Refused("Name the approving Editor with --user.")
            sending.approve_sample(campaign.pk, user)
        elif action == "run":
            sending.run(campaign.pk, user)
        elif action == "retry":
            sending.retry_failed(campaign.pk, user)
        elif action == "pause":
            sending.pause(campaign.pk, user, options["reason"])
        elif action == "resume":
            sending.resume(campaign.pk, user)
        elif action == "cancel":
            sending.cancel(campaign.pk, user)
        if options.get("wait"):
            start_embedded_worker()
            _wait(campaign, options["timeout"])
        campaign.refresh_from_db()
        return progress.summary(campaign)

    def _export(self, options: dict[str, Any]) -> None:
        campaign = _one(Campaign, pk=options["id"])
        lines = export.results_lines(campaign)
        if options["out"] is None:
            for line in lines:
                sys.stdout.write(line)
            return
        with options["out"].open("w", encoding="utf-8", newline="") as out:
            for line in lines:
                out.write(line)


def _wait(campaign: Campaign, timeout: float) -> None:
    """Until every row sent is final, or the campaign is paused or canceled."""
    deadline = time.monotonic() + timeout
    rendering = RenderJob.objects.filter(
        campaign_row__campaign=campaign, status__in=ACTIVE_STATUSES
    ).exclude(status=JobStatus.AWAITING_APPROVAL)
    while time.monotonic() < deadline:
        campaign.refresh_from_db(fields=["status"])
        if campaign.status in (CampaignStatus.PAUSED, CampaignStatus.CANCELED):
            return
        if not rendering.exists():
            return
        time.sleep(0.5)


def _one(model: type[M], **lookup: Any) -> M:
    try:
        return model._default_manager.get(**lookup)
    except ObjectDoesNotExist:
        said = ", ".join(f"{k} {v}" for k, v in lookup.items() if not isinstance(v, Model))
        raise Refused(f"There is no {model._meta.verbose_name} with {said}.") from None


def _user(username: str | None) -> User | None:
    if not username:
        return None
    try:
        return User.objects.get(username=username)
    except User.DoesNotExist:
        raise Refused(f"There is no user {username!r}.") from None
