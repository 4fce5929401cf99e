"""The cast, shared by every test module.

Acme and Globex are two teams.
- alice: Marketing in Acme. Sees and changes Acme's assets only.
- bob: Editor in Acme. Like alice, and may delete.
- charlie: Marketing in Globex. Must never see or touch Acme's rows.
- gus: Editor in Globex. Holds every permission bob holds: where Acme's rows stop him, it is
  the team boundary, not a missing permission.
- audrey: Auditor, in no team. Sees every team's rows, changes nothing.
- root: superuser. Sees and changes everything.
"""

import datetime
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from avatars import roles
from avatars.models import Avatar, Team

PASSWORD = "correct-horse-battery"
GRACE = Path(__file__).resolve().parent.parent / "avatars" / "demo" / "grace-hopper.jpg"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path: Path) -> Path:
    """Every test stores media in its own empty folder, so leftovers can be counted."""
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = root
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": root},
        },
    }
    return root


@pytest.fixture
def fast_passwords(settings) -> None:
    """A quick password hasher, for tests that log in through the login page."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def grace(acme: Team) -> Avatar:
    """Acme's avatar of Grace Hopper, from the demo's portrait (a real face), consented."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone

    from avatars import media
    from avatars.library import attach_portrait

    avatar = Avatar(team=acme, name="Grace")
    upload = SimpleUploadedFile("grace.jpg", GRACE.read_bytes())
    attach_portrait(avatar, media.prepare_portrait(upload))
    avatar.consent_person = "A. Person"
    avatar.consent_scope = "any"
    avatar.consent_expires = timezone.localdate() + datetime.timedelta(days=90)
    avatar.save()
    return avatar


def stored_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


@pytest.fixture
def user_factory(db) -> Callable[..., User]:
    def make(username: str, role: str | None = None, team: Team | None = None) -> User:
        user = User.objects.create_user(
            username, f"{username}@example.com", PASSWORD, is_staff=True, is_superuser=role is None
        )
        if role:
            user.groups.add(Group.objects.get(name=role))
        if team:
            team.members.add(user)
        return user

    return make


@pytest.fixture
def acme(db) -> Team:
    return Team.objects.create(name="Acme", slug="acme")


@pytest.fixture
def globex(db) -> Team:
    return Team.objects.create(name="Globex", slug="globex")


@pytest.fixture
def alice(user_factory, acme) -> User:
    return user_factory("alice", roles.MARKETING, acme)


@pytest.fixture
def bob(user_factory, acme) -> User:
    return user_factory("bob", roles.EDITOR, acme)


@pytest.fixture
def charlie(user_factory, globex) -> User:
    return user_factory("charlie", roles.MARKETING, globex)


@pytest.fixture
def gus(user_factory, globex) -> User:
    return user_factory("gus", roles.EDITOR, globex)


@pytest.fixture
def audrey(user_factory) -> User:
    return user_factory("audrey", roles.AUDITOR)


@pytest.fixture
def root(user_factory) -> User:
    return user_factory("root")


@pytest.fixture
def login() -> Callable[[User], Client]:
    def make(user: User) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def asset_factory(db):
    """Makes library rows the way the app does, real files included."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone

    from avatars import media
    from avatars.library import attach_audio, attach_portrait
    from avatars.models import AudioClip, Avatar, RenderJob, Script, Tag, Voice
    from avatars.scripts import save_with_revision
    from tests.files import portrait_bytes, tone, wav_bytes

    class Assets:
        seed = 0

        def avatar(self, team: Team, name: str = "Ada", **fields: object) -> Avatar:
            Assets.seed += 1
            upload = SimpleUploadedFile("p.jpg", portrait_bytes(seed=Assets.seed, size=(300, 400)))
            avatar = Avatar(team=team, name=name, **fields)
            attach_portrait(avatar, media.prepare_portrait(upload))
            avatar.save()
            return avatar

        def consenting_avatar(self, team: Team, name: str = "Grace") -> Avatar:
            """An avatar whose person consented to any use, for another month."""
            return self.avatar(
                team,
                name,
                consent_person=name,
                consent_scope="any",
                consent_expires=timezone.localdate() + datetime.timedelta(days=30),
            )

        def voice(self, team: Team, name: str = "Host") -> Voice:
            return Voice.objects.create(team=team, name=name, speaker="Kore", language="en-US")

        def script(self, team: Team, title: str = "Hello", text: str = "Hello {{name}}!") -> Script:
            script = Script(team=team, title=title, text=text)
            save_with_revision(script, None)
            return script

        def clip(self, team: Team, title: str = "Intro") -> AudioClip:
            Assets.seed += 1
            upload = SimpleUploadedFile(
                "a.wav", wav_bytes(tone(1.0, amplitude=0.1 + Assets.seed / 1e4))
            )
            clip = AudioClip(team=team, title=title)
            attach_audio(clip, media.prepare_audio(upload), upload)
            clip.save()
            return clip

        def tag(self, team: Team, name: str = "sales") -> Tag:
            return Tag.objects.create(team=team, name=name)

        def job(self, team: Team, status: str = "succeeded", **fields: Any) -> RenderJob:
            """A render job row as the pipeline leaves it, without running the pipeline."""
            script = self.script(team, f"Job script {Assets.seed}")
            Assets.seed += 1
            return RenderJob.objects.create(
                team=team,
                avatar=fields.pop("avatar", None) or self.avatar(team, f"Job face {Assets.seed}"),
                script_revision=script.revisions.get(),
                voice=self.voice(team, f"Job voice {Assets.seed}"),
                text=fields.pop("text", script.text),
                provider=fields.pop("provider", "sandbox"),
                status=status,
                **fields,
            )

    return Assets()


pytest_plugins = ["tests.pipeline", "tests.browser", "tests.fakes.fixtures", "tests.s3"]
