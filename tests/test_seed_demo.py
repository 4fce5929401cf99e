"""seed_demo: the demo team, one login per role, and a library to try the app with."""

import io
import re
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from avatars.models import Avatar, ConsentStatus, Script, ScriptRevision, Tag, Team, Voice
from tests.conftest import stored_files

pytestmark = pytest.mark.django_db

MODELS = [Team, User, Avatar, Voice, Script, ScriptRevision, Tag]
DEMO_LOGINS = {
    "admin": "admin-demo",
    "maria": "maria-demo",
    "eddie": "eddie-demo",
    "audrey": "audrey-demo",
}
# "  Marketing   maria / maria-demo"
LOGIN_LINE = re.compile(r"^\s+(?P<role>\S+)\s+(?P<username>\S+) / (?P<password>\S+)$", re.MULTILINE)


@pytest.fixture(autouse=True)
def fast_passwords(settings) -> None:
    # The command hashes four passwords per run; the real hasher takes most of a second for that.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def debug(settings) -> None:
    settings.DEBUG = True


def seed(**options: object) -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out, **options)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def printed_logins(output: str) -> dict[str, str]:
    return {m["username"]: m["password"] for m in LOGIN_LINE.finditer(output)}


def log_in_through_form(username: str, password: str) -> Client:
    client = Client(enforce_csrf_checks=True)
    form = client.get("/admin/login/?next=/admin/")
    assert form.status_code == 200
    response = client.post(
        "/admin/login/?next=/admin/",
        {
            "username": username,
            "password": password,
            "next": "/admin/",
            "csrfmiddlewaretoken": client.cookies["csrftoken"].value,
        },
    )
    assert response.status_code == 302, f"{username} could not log in"
    assert response["Location"] == "/admin/"
    return client


def test_it_seeds_the_demo_library(debug) -> None:
    seed()

    team = Team.objects.get(slug="demo")
    assert counts() == {
        "Team": 1,
        "User": 4,
        "Avatar": 2,
        "Voice": 3,
        "Script": 3,
        "ScriptRevision": 4,
        "Tag": 4,
    }
    assert set(team.members.values_list("username", flat=True)) == {"admin", "maria", "eddie"}


def test_running_it_twice_creates_no_duplicates(debug, media_root: Path) -> None:
    seed()
    first, files = counts(), stored_files(media_root)

    seed()

    assert counts() == first
    assert stored_files(media_root) == files


def test_it_prints_the_four_logins(debug) -> None:
    output = seed()

    assert "Demo team “Demo Marketing” is ready." in output
    assert printed_logins(output) == DEMO_LOGINS
    roles = {m["username"]: m["role"] for m in LOGIN_LINE.finditer(output)}
    assert roles == {
        "admin": "superuser",
        "maria": "Marketing",
        "eddie": "Editor",
        "audrey": "Auditor",
    }


def test_every_demo_user_logs_in_with_the_printed_password(debug) -> None:
    seed()
    logins = printed_logins(seed())
    assert len(logins) == 4

    for username, password in logins.items():
        client = log_in_through_form(username, password)
        index = client.get("/admin/")
        assert index.status_code == 200, username
        assert index.context["user"].username == username


def test_a_wrong_password_does_not_log_in(debug) -> None:
    seed()
    client = Client()
    response = client.post(
        "/admin/login/?next=/admin/", {"username": "maria", "password": "maria", "next": "/admin/"}
    )
    assert response.status_code == 200
    assert not response.context["user"].is_authenticated


def test_the_demo_avatars_have_consent_and_their_files(debug, media_root: Path) -> None:
    seed()

    avatars = list(Avatar.objects.order_by("name"))
    assert [avatar.name for avatar in avatars] == ["Eileen", "Grace"]
    for avatar in avatars:
        assert avatar.consent_status() == ConsentStatus.VALID, avatar
        assert avatar.has_valid_consent
        names = [avatar.original.name, avatar.image.name, avatar.thumbnail.name]
        assert len(set(names)) == 3
        for name in names:
            assert (media_root / name).is_file(), name
            assert (media_root / name).stat().st_size > 0, name
        assert avatar.tags.count() == 2
    assert len(stored_files(media_root)) == 6


def test_the_scripts_have_revisions(debug) -> None:
    seed()

    for script in Script.objects.all():
        revisions = list(script.revisions.order_by("number"))
        assert [r.number for r in revisions] == list(range(1, len(revisions) + 1)), script
        assert revisions[-1].text == script.text, script
        assert all(r.author and r.author.username == "maria" for r in revisions), script
    welcome = Script.objects.get(title="Welcome aboard")
    assert welcome.revisions.count() == 2
    assert welcome.variables == ["first_name", "company"]


def test_it_refuses_to_run_without_debug(settings) -> None:
    settings.DEBUG = False

    with pytest.raises(CommandError, match="only with DEBUG on"):
        seed()

    assert not User.objects.exists()
    assert not Team.objects.exists()


def test_it_runs_without_debug_when_forced(settings) -> None:
    settings.DEBUG = False

    output = seed(force=True)

    assert printed_logins(output) == DEMO_LOGINS
    assert Team.objects.filter(slug="demo").exists()


def test_it_never_takes_over_a_real_account_of_the_same_name(debug) -> None:
    real = User.objects.create_user("admin", "ops@company.example", "their-own-password")

    with pytest.raises(CommandError, match="not a demo user"):
        seed()

    real.refresh_from_db()
    assert real.check_password("their-own-password") and not real.is_superuser
    assert not Team.objects.exists()
