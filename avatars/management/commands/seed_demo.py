"""A demo team with one user per role, voices, scripts and two consented avatars. Idempotent."""

import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from avatars import demo_logins, media, roles
from avatars.library import attach_portrait, files_removed_on_error
from avatars.models import Avatar, ConsentScope, Script, Tag, Team, Voice
from avatars.scripts import save_with_revision

DEMO_DIR = Path(__file__).resolve().parents[2] / "demo"

USERS = [
    # username, role group (None: superuser), first name
    ("admin", None, "Ada"),
    ("maria", roles.MARKETING, "Maria"),
    ("eddie", roles.EDITOR, "Eddie"),
    ("audrey", roles.AUDITOR, "Audrey"),
]

VOICES = [
    ("Friendly US host", "Zephyr", "en-US", "Warm and upbeat, like greeting a customer."),
    ("Calm UK narrator", "Charon", "en-GB", "Measured and calm."),
    ("Spanish presenter", "Puck", "es", ""),
]

SCRIPTS = [
    (
        "Welcome aboard",
        "en-US",
        [
            "Hi {{first_name}}, welcome to Avatar Studio!",
            "Hi {{first_name}}, welcome to Avatar Studio! We are glad you are here, and "
            "{{company}} is ready when you are.",
        ],
    ),
    (
        "Product launch teaser",
        "en-US",
        [
            "Something new is coming next week. Keep an eye on your inbox, because you will want "
            "to be the first to try it."
        ],
    ),
    ("Hola", "es", ["Hola {{first_name}}, gracias por acompañarnos hoy."]),
]

AVATARS = [
    (
        "Grace",
        "grace-hopper.jpg",
        "Grace M. Hopper (public-domain US Navy portrait)",
        ["navy", "classic"],
    ),
    (
        "Eileen",
        "eileen-collins.png",
        "Eileen Collins (public-domain NASA portrait)",
        ["nasa", "space"],
    ),
]


class Command(BaseCommand):
    help = "Create the demo team, its users (one per role), voices, scripts and avatars."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force", action="store_true", help="Seed even with DEBUG off (never in production)."
        )

    def handle(self, *args: Any, force: bool = False, **options: Any) -> None:
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo creates users with known passwords; it runs only with DEBUG on."
            )
        with transaction.atomic():
            team, _ = Team.objects.get_or_create(
                slug="demo", defaults={"name": "Demo Marketing", "monthly_budget": 500}
            )
            logins = [self._user(team, *spec) for spec in USERS]
            owner = User.objects.get(username="maria")
            for name, speaker, language, prompt in VOICES:
                Voice.objects.get_or_create(
                    team=team,
                    name=name,
                    defaults={
                        "speaker": speaker,
                        "language": language,
                        "style_prompt": prompt,
                        "created_by": owner,
                    },
                )
            for title, language, versions in SCRIPTS:
                self._script(team, owner, title, language, versions)
            for name, filename, person, tags in AVATARS:
                self._avatar(team, owner, name, filename, person, tags)
        self.stdout.write(f"Demo team “{team.name}” is ready. Logins:")
        for username, password, role in logins:
            self.stdout.write(f"  {role:<11} {username} / {password}")

    def _user(
        self, team: Team, username: str, role: str | None, first_name: str
    ) -> tuple[str, str, str]:
        email = f"{username}@{demo_logins.EMAIL_DOMAIN}"
        user, created = User.objects.get_or_create(
            username=username, defaults={"first_name": first_name, "email": email}
        )
        if not created and user.email != email:
            raise CommandError(
                f"A user named {username!r} already exists and is not a demo user; "
                "seed_demo will not take it over."
            )
        password = f"{username}-demo"
        user.set_password(password)
        user.is_staff = True
        user.is_superuser = role is None
        user.save()
        if role:
            user.groups.add(Group.objects.get(name=role))
        if role != roles.AUDITOR:
            team.members.add(user)
        return username, password, role or "superuser"

    def _script(
        self, team: Team, owner: User, title: str, language: str, versions: list[str]
    ) -> None:
        script = Script.objects.filter(team=team, title=title).first()
        if script:
            return
        script = Script(team=team, title=title, language=language, created_by=owner)
        for text in versions:
            script.text = text
            save_with_revision(script, owner)

    def _avatar(
        self, team: Team, owner: User, name: str, filename: str, person: str, tags: list[str]
    ) -> None:
        path = DEMO_DIR / filename
        portrait = media.prepare_portrait(SimpleUploadedFile(filename, path.read_bytes()))
        if Avatar.objects.filter(team=team, sha256=portrait.sha256).exists():
            return
        avatar = Avatar(
            team=team,
            name=name,
            created_by=owner,
            consent_person=person,
            consent_scope=ConsentScope.ANY,
            consent_expires=timezone.localdate() + datetime.timedelta(days=730),
            consent_reference="Public domain: no release needed",
        )
        attach_portrait(avatar, portrait)
        with files_removed_on_error(avatar):
            avatar.save()
        avatar.tags.set([Tag.objects.get_or_create(team=team, name=tag)[0] for tag in tags])
