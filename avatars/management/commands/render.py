"""Request a render from the command line, through the same code as the admin."""

import json
import time
from typing import Any, TypeVar

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Model

from avatars import render
from avatars.catalog import PROVIDER_LABELS
from avatars.models import AudioClip, Avatar, RenderJob, Script, Team, Voice
from avatars.worker import start_embedded_worker

M = TypeVar("M", bound=Model)


class Command(BaseCommand):
    help = "Render a video: an avatar speaking a script with a voice, or an audio clip."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--avatar", required=True, help="avatar name")
        speech = parser.add_mutually_exclusive_group(required=True)
        speech.add_argument("--script", help="script title")
        speech.add_argument("--audio", help="audio clip title")
        parser.add_argument("--voice", help="voice name (default: the team's first voice)")
        parser.add_argument(
            "--var",
            action="append",
            default=[],
            metavar="NAME=VALUE",
            help="a {{variable}} of the script; repeat for each",
        )
        parser.add_argument(
            "--provider",
            default="",
            help=f"{', '.join(PROVIDER_LABELS)} (default: the team's preferred provider, else "
            f"{settings.DEFAULT_PROVIDER})",
        )
        parser.add_argument("--resolution", default="720p", choices=["720p", "1080p"])
        parser.add_argument("--seed", type=int)
        parser.add_argument("--team", help="team slug (needed when there are several)")
        parser.add_argument("--wait", action="store_true", help="block until the job is final")
        parser.add_argument("--timeout", type=float, default=600.0, help="seconds to wait")

    def handle(self, *args: Any, **options: Any) -> None:
        team = self._team(options["team"])
        request = render.RenderRequest(
            team=team,
            user=None,
            avatar=self._one(Avatar, team, name=options["avatar"]),
            script=self._one(Script, team, title=options["script"]) if options["script"] else None,
            voice=self._voice(team, options),
            audio_clip=self._one(AudioClip, team, title=options["audio"])
            if options["audio"]
            else None,
            variables=dict(pair.split("=", 1) for pair in options["var"] if "=" in pair),
            resolution=options["resolution"],
            seed=options["seed"],
            provider=options["provider"],
        )
        try:
            job = render.request_render(request)
        except render.RenderRequestError as error:
            raise CommandError("; ".join(error.errors.values())) from None
        if not options["wait"]:
            self.stdout.write(json.dumps({"job": job.pk, "status": job.status}))
            return
        start_embedded_worker()
        job = self._wait(job, options["timeout"])
        self.stdout.write(json.dumps(summary(job)))
        if job.status != "succeeded":
            raise SystemExit(1)

    def _team(self, slug: str | None) -> Team:
        teams = Team.objects.filter(slug=slug) if slug else Team.objects.all()
        found = list(teams[:2])
        if len(found) != 1:
            raise CommandError("Name the team with --team SLUG." if found else "No such team.")
        return found[0]

    def _one(self, model: type[M], team: Team, **lookup: str) -> M:
        try:
            return model._default_manager.get(team=team, **lookup)
        except ObjectDoesNotExist:
            raise CommandError(f"{team} has no {model._meta.verbose_name} {lookup}.") from None

    def _voice(self, team: Team, options: dict[str, Any]) -> Voice | None:
        if options["audio"]:
            return None
        if options["voice"]:
            return self._one(Voice, team, name=options["voice"])
        return Voice.objects.filter(team=team, archived=False).first()

    def _wait(self, job: RenderJob, timeout: float) -> RenderJob:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            job.refresh_from_db()
            if job.is_final:
                return job
            time.sleep(0.5)
        return job


def summary(job: RenderJob) -> dict[str, Any]:
    return {
        "job": job.pk,
        "status": job.status,
        "video": job.video.path if job.video and _is_local(job) else (job.video.name or None),
        "duration_s": job.duration_seconds,
        "cost": str(job.cost) if job.cost is not None else None,
        "error": job.error_message or None,
    }


def _is_local(job: RenderJob) -> bool:
    try:
        job.video.path  # noqa: B018
    except NotImplementedError:
        return False
    return True
