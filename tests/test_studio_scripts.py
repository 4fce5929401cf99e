"""Scripts in the studio: writing, editing (a revision per save, with its diff), archiving,
copying, reading unsaved text, and rendering a chosen revision.

alice (Marketing) and bob (Editor) write Acme's scripts; charlie (Marketing, Globex) never
sees them (404); audrey (Auditor) reads them and changes nothing (403). Every role's answer
for every URL is in test_studio_permissions.py; this module checks what the pages do.
"""

import html
import json
import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from avatars import scripts as script_text
from avatars.models import JobStatus, RenderJob, Script, ScriptRevision
from avatars.scripts import save_with_revision
from tests.helpers.studio import consented

pytestmark = pytest.mark.django_db

NEW = "/studio/scripts/new/"
# Session, user, groups/permissions, the badge's count and the page's own few queries.
BOUND = 12


def text(response) -> str:
    """The page with its HTML entities decoded, to look for what a person reads."""
    return html.unescape(response.content.decode())


def new_script(team, **fields: object) -> dict[str, object]:
    return {"team": team.pk, "title": "Welcome", "language": "en-US", "text": "Hello.", **fields}


def edit(client, script: Script, **fields: object):
    latest = script.revisions.latest("number")
    data = {"title": script.title, "language": script.language, "text": script.text}
    return client.post(
        f"/studio/scripts/{script.pk}/edit/", {**data, "based_on": latest.number, **fields}
    )


@pytest.fixture(autouse=True)
def no_preview_counts():
    """Each test starts with nobody's speech previews counted."""
    cache.clear()


@pytest.fixture
def welcome(acme, asset_factory) -> Script:
    return asset_factory.script(acme, "Welcome", "Welcome aboard, {{name}}!")


# --- writing -----------------------------------------------------------------------------


def test_a_marketer_writes_a_script_as_revision_one(alice, acme, login):
    response = login(alice).post(
        NEW, new_script(acme, text="Hi {{first_name}}, welcome.", language="es"), follow=True
    )

    script = Script.objects.get()
    assert response.redirect_chain == [(f"/studio/scripts/{script.pk}/", 302)]
    assert "“Welcome” is saved as revision 1." in text(response)
    assert (script.team, script.created_by, script.language) == (acme, alice, "es")
    revision = script.revisions.get()
    assert (revision.number, revision.author, revision.text) == (
        1,
        alice,
        "Hi {{first_name}}, welcome.",
    )


def test_the_new_script_form_offers_only_the_teams_one_works_in(charlie, acme, login):
    response = login(charlie).post(NEW, new_script(acme))

    assert response.status_code == 200
    assert "Select a valid choice" in text(response)
    assert not Script.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"text": "Hi {{first name}}!"}, "text", "“{{first name}}” is not a valid variable"),
        ({"text": "Hi {{name, welcome."}, "text", "without its partner"),
        ({"text": "  "}, "text", "This field is required."),
        ({"title": "Welcome"}, "title", "Acme already has a script called “Welcome”."),
    ],
    ids=["bad-variable", "unbalanced", "blank", "title-taken"],
)
def test_a_script_that_cannot_be_saved_says_why_by_its_field(
    alice, acme, welcome, login, changes, field, message
):
    response = login(alice).post(NEW, new_script(acme, **changes))

    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert message in text(response)
    assert Script.objects.count() == 1


def test_the_editor_shows_the_servers_reading_of_the_text(alice, acme, login):
    response = login(alice).post(
        NEW, new_script(acme, title="", text="Hi {{first_name}} and {first_name}.")
    )

    page = text(response)
    assert '<span id="variables"><code>{{first_name}}</code>' in page
    assert "“{first_name}” has single braces" in page
    assert 'id="hear-it"' in page and "studio/script_editor.js" in page


def test_the_check_reads_variables_length_problems_and_warnings(alice, login):
    client = login(alice)

    good = client.post(
        "/studio/scripts/check.json",
        {"text": "Hola {{nombre}}, " + "palabra " * 158, "language": "es"},
    ).json()
    odd = client.post(
        "/studio/scripts/check.json", {"text": "Hi {{name}} {{Name}} {{first name}}"}
    ).json()

    assert good == {"variables": ["nombre"], "seconds": 60.0, "problem": "", "warnings": []}
    assert odd["variables"] == ["name", "Name"]
    assert "“{{first name}}” is not a valid variable" in odd["problem"]
    assert odd["warnings"] == [
        "{{name}} and {{Name}} look like one variable spelled 2 ways; "
        "each has to be filled in on its own."
    ]


def test_text_warnings_name_single_braces_and_variables_spelled_two_ways():
    assert script_text.warnings("Hi {{first_name}}.") == []
    assert script_text.warnings("Price: {5} or {{a}}{{b}}") == []
    said = script_text.warnings("Hi {name}, {{first_name}}, {{firstName}}, {{FIRST_NAME}}.")
    assert said == [
        "“{name}” has single braces, so it is read out as written. "
        "Write {{name}} to fill it in at render time.",
        "{{first_name}}, {{firstName}} and {{FIRST_NAME}} look like one variable spelled 3 "
        "ways; each has to be filled in on its own.",
    ]


# --- editing and revisions -----------------------------------------------------------------


def test_each_save_is_a_new_revision_shown_with_its_diff_escaped(alice, bob, welcome, login):
    edit(login(bob), welcome, text="Welcome back, {{name}}!\n<script>alert(1)</script>")
    welcome.refresh_from_db()
    response = edit(login(alice), welcome, language="en-GB")

    assert response.status_code == 302
    assert list(welcome.revisions.values_list("number", "author__username", "language")) == [
        (3, "alice", "en-GB"),
        (2, "bob", "en-US"),
        (1, None, "en-US"),
    ]
    page = login(alice).get(f"/studio/scripts/{welcome.pk}/").content.decode()
    assert page.index("Revision 3") < page.index("Revision 2") < page.index("Revision 1")
    assert '<span class="del">- Welcome aboard, {{name}}!</span>' in page
    assert '<span class="add">+ Welcome back, {{name}}!</span>' in page
    assert '<span class="add">+ &lt;script&gt;alert(1)&lt;/script&gt;</span>' in page
    assert "<script>alert(1)" not in page
    assert "Language: English (US) → English (UK)" in page


def test_saving_unchanged_text_keeps_the_revisions(alice, welcome, login):
    response = edit(login(alice), welcome)

    assert response.status_code == 302
    assert list(welcome.revisions.values_list("number", flat=True)) == [1]


def test_a_title_taken_by_another_script_of_the_team_is_refused_on_edit(
    alice, acme, asset_factory, welcome, login
):
    asset_factory.script(acme, "Goodbye", "Bye.")

    response = edit(login(alice), welcome, title="Goodbye")

    assert "Acme already has a script called “Goodbye”." in text(response)
    assert Script.objects.get(pk=welcome.pk).title == "Welcome"


def test_an_edit_over_someone_elses_newer_revision_is_refused_once(alice, bob, welcome, login):
    client = login(alice)
    opened = client.get(f"/studio/scripts/{welcome.pk}/edit/").context["form"]
    based_on = opened["based_on"].value()
    edit(login(bob), welcome, text="Bob's welcome, {{name}}.")

    mine = {"title": "Welcome", "language": "en-US", "text": "Alice's welcome, {{name}}."}
    refused = client.post(f"/studio/scripts/{welcome.pk}/edit/", {**mine, "based_on": based_on})

    assert refused.status_code == 200
    assert "bob saved revision 2 while you were editing." in text(refused)
    assert "Alice&#x27;s welcome" in refused.content.decode(), "the text is kept"
    assert welcome.revisions.count() == 2
    again = refused.context["form"]["based_on"].value()
    kept = client.post(f"/studio/scripts/{welcome.pk}/edit/", {**mine, "based_on": again})
    assert kept.status_code == 302
    assert welcome.revisions.latest("number").text == "Alice's welcome, {{name}}."


def test_archiving_takes_a_script_out_of_the_list_and_new_renders(alice, welcome, login):
    client = login(alice)

    archived = client.post(f"/studio/scripts/{welcome.pk}/archive/", {"archived": "1"}, follow=True)

    assert "“Welcome” is archived" in text(archived)
    assert "Welcome" not in text(client.get("/studio/scripts/"))
    assert "Welcome" in text(client.get("/studio/scripts/?archived=1"))
    render_page = client.get("/studio/render/")
    assert welcome not in render_page.context["form"].fields["script"].queryset
    assert "Render this revision" not in text(archived)
    assert "Unarchive" in text(archived)

    client.post(f"/studio/scripts/{welcome.pk}/archive/", {"archived": "0"})
    assert not Script.objects.get(pk=welcome.pk).archived
    assert "Welcome" in text(client.get("/studio/scripts/"))


def test_duplicating_copies_text_and_language_under_a_free_title(alice, welcome, login):
    welcome.language = "es"
    save_with_revision(welcome, alice)
    client = login(alice)

    first = client.post(f"/studio/scripts/{welcome.pk}/copy/")
    second = client.post(f"/studio/scripts/{welcome.pk}/copy/")

    copies = Script.objects.exclude(pk=welcome.pk).order_by("pk")
    assert [c.title for c in copies] == ["Welcome (copy)", "Welcome (copy 2)"]
    assert first["Location"] == f"/studio/scripts/{copies[0].pk}/edit/"
    assert second.status_code == 302
    for copy in copies:
        assert (copy.text, copy.language, copy.team, copy.created_by) == (
            welcome.text,
            "es",
            welcome.team,
            alice,
        )
        assert list(copy.revisions.values_list("number", "author")) == [(1, alice.pk)]


def test_an_auditor_reads_a_script_without_a_way_to_change_it(audrey, welcome, login):
    client = login(audrey)

    page = text(client.get(f"/studio/scripts/{welcome.pk}/"))

    for offered in ("Edit", "Duplicate", "Archive", "Render this", "New script"):
        assert f">{offered}" not in page
    assert client.get(f"/studio/scripts/{welcome.pk}/edit/").status_code == 403
    assert client.post(f"/studio/scripts/{welcome.pk}/archive/").status_code == 403
    assert client.post(f"/studio/scripts/{welcome.pk}/copy/").status_code == 403
    assert client.get(NEW).status_code == 403
    assert not Script.objects.get(pk=welcome.pk).archived
    assert Script.objects.count() == 1


def test_another_team_gets_404_for_every_script_page(charlie, welcome, login):
    client = login(charlie)

    for path in ("", "edit/"):
        assert client.get(f"/studio/scripts/{welcome.pk}/{path}").status_code == 404
    for path in ("archive/", "copy/", "preview.wav"):
        assert client.post(f"/studio/scripts/{welcome.pk}/{path}").status_code == 404
    assert Script.objects.count() == 1 and not Script.objects.get().archived


def test_new_script_is_offered_to_writers_only(alice, audrey, login):
    for path in ("/studio/", "/studio/scripts/"):
        assert 'href="/studio/scripts/new/"' in login(alice).get(path).content.decode()
        assert 'href="/studio/scripts/new/"' not in login(audrey).get(path).content.decode()


# --- hearing unsaved text ------------------------------------------------------------------


def test_unsaved_text_is_read_aloud_for_a_new_script_and_an_edited_one(
    alice, acme, asset_factory, welcome, login, sandbox
):
    voice = asset_factory.voice(acme)
    client = login(alice)
    unsaved = {"text": "Not saved yet, {{name}}.", "language": "en-US", "voice": voice.pk}

    for url in ("/studio/scripts/preview.wav", f"/studio/scripts/{welcome.pk}/preview.wav"):
        spoken = client.post(url, unsaved)
        assert spoken.status_code == 200, spoken.content[:200]
        assert spoken["Content-Type"] == "audio/wav"
        assert b"".join(spoken.streaming_content)[:4] == b"RIFF"
    assert Script.objects.get(pk=welcome.pk).text == "Welcome aboard, {{name}}!"


def test_previews_are_limited_per_person_per_minute(alice, bob, welcome, login, settings):
    settings.SPEECH_PREVIEWS_PER_MINUTE = 2
    settings.SANDBOX_ENABLED = False  # counted before the sandbox is asked
    client = login(alice)
    url = f"/studio/scripts/{welcome.pk}/preview.wav"

    answers = [client.get(url).status_code for _ in range(2)]
    refused = client.post("/studio/scripts/preview.wav", {"text": "Hi."})

    assert answers == [503, 503]
    assert refused.status_code == 429
    assert "Too many previews in a minute" in refused.content.decode()
    assert login(bob).get(url).status_code == 503, "bob has his own count"


# --- rendering a revision ------------------------------------------------------------------


@pytest.fixture
def library(acme, asset_factory, welcome):
    class Library:
        avatar = consented(asset_factory, acme, "Grace")
        voice = asset_factory.voice(acme, "Host")
        script = welcome

    return Library


def render_post(library, **changes: object) -> dict[str, object]:
    return {
        "team": library.avatar.team_id,
        "avatar": library.avatar.pk,
        "script": library.script.pk,
        "voice": library.voice.pk,
        "variables": "name=Ada",
        "resolution": "720p",
        "provider": "sandbox",
        **changes,
    }


def test_render_this_revision_renders_that_revisions_text(alice, library, login):
    first = library.script.revisions.get()
    edit(login(alice), library.script, text="Welcome back, {{name}}!")
    client = login(alice)
    page = client.get(f"/studio/scripts/{library.script.pk}/")
    link = f"/studio/render/?script={library.script.pk}&amp;script_revision={first.pk}"
    assert link in page.content.decode()

    form = client.get(html.unescape(link)).context["form"]
    assert form["script_revision"].value() == str(first.pk)
    assert form["script"].value() == str(library.script.pk)
    response = client.post("/studio/render/", render_post(library, script_revision=first.pk))

    job = RenderJob.objects.get()
    assert response["Location"] == f"/studio/renders/{job.pk}/"
    assert (job.script_revision, job.text, job.status) == (
        first,
        "Welcome aboard, Ada!",
        JobStatus.QUEUED,
    )


def test_the_page_prices_and_reads_aloud_the_revision_chosen(alice, library, login, monkeypatch):
    from avatars import previews

    first = library.script.revisions.get()
    edit(login(alice), library.script, text="Welcome back, {{name}}! " + "More words. " * 20)
    client = login(alice)
    read: list[str] = []
    monkeypatch.setattr(previews, "speech_wav", lambda text, *_: read.append(text) or b"RIFF")

    page = client.get(f"/studio/render/?script={library.script.pk}&script_revision={first.pk}")
    client.get(f"/studio/scripts/{library.script.pk}/preview.wav", {"revision": first.pk})

    pricing = page.context["pricing"]
    assert pricing["revisions"][str(first.pk)] == script_text.estimated_seconds(first.text, "en-US")
    assert pricing["revisions"][str(first.pk)] < pricing["scripts"][str(library.script.pk)]
    assert read == ["Welcome aboard, name!"]


def test_without_a_revision_the_latest_is_rendered(alice, library, login):
    edit(login(alice), library.script, text="Welcome back, {{name}}!")

    login(alice).post("/studio/render/", render_post(library))

    job = RenderJob.objects.get()
    assert (job.script_revision.number, job.text) == (2, "Welcome back, Ada!")


def test_a_revision_of_another_script_is_refused(alice, acme, asset_factory, library, login):
    other = asset_factory.script(acme, "Other", "Other text.").revisions.get()

    response = login(alice).post("/studio/render/", render_post(library, script_revision=other.pk))

    assert response.status_code == 200
    assert "script_revision" in response.context["form"].errors
    assert not RenderJob.objects.exists()


def test_a_render_warns_of_an_unused_variable_and_a_voice_of_another_language(
    alice, acme, asset_factory, library, login
):
    spanish = asset_factory.script(acme, "Bienvenida", "¡Hola, {{name}}!")
    spanish.language = "es"
    save_with_revision(spanish, alice)

    response = login(alice).post(
        "/studio/render/",
        render_post(library, script=spanish.pk, variables="name=Ada\ncity=Paris"),
        follow=True,
    )

    page = text(response)
    assert "is a free draft" in page  # the sandbox renders it
    assert "“city” is not a variable of “Bienvenida”, so its value is not used." in page
    assert (
        "The script is in Spanish but the voice “Host” speaks English (US). "
        "Pick a voice that speaks Spanish, or change the script's language."
    ) in page
    assert RenderJob.objects.get().variables == {"name": "Ada"}


def test_a_render_without_oddities_has_no_warnings(alice, library, login):
    response = login(alice).post("/studio/render/", render_post(library), follow=True)

    assert 'class="warning"' not in response.content.decode()


def test_the_new_render_page_gives_its_script_what_it_warns_with(alice, acme, library, login):
    page = login(alice).get("/studio/render/").content.decode()

    checks = json.loads(re.search(r'id="checks" type="application/json">(.*?)</script>', page)[1])
    assert checks["scripts"][str(library.script.pk)] == {
        "title": "Welcome",
        "variables": ["name"],
        "language": "en-US",
    }
    assert checks["voices"][str(library.voice.pk)] == {"name": "Host", "language": "en-US"}
    assert checks["languages"]["es"] == "Spanish"
    assert 'id="render-warnings"' in page and "studio/render_checks.js" in page


# --- queries -------------------------------------------------------------------------------


def add_scripts(team, author, count: int) -> None:
    for _ in range(count):
        n = Script.objects.count()
        script = Script(team=team, title=f"Script {n}", text=f"Hello {{{{name}}}} number {n}.")
        save_with_revision(script, author)
        script.text += " Again."
        save_with_revision(script, author)


def add_revisions(script: Script, author, count: int) -> None:
    for _ in range(count):
        script.text += "\nOne more line."
        save_with_revision(script, author)


def queries(client, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200, path
    return len(captured)


@pytest.mark.parametrize("who", ["alice", "audrey"])
@pytest.mark.parametrize("archived", [False, True])
def test_the_scripts_list_takes_the_same_queries_for_3_or_30_scripts(
    who, archived, request, acme, alice, login
):
    client = login(request.getfixturevalue(who))
    path = "/studio/scripts/?archived=1" if archived else "/studio/scripts/"

    def grow(count: int) -> int:
        add_scripts(acme, alice, count)
        Script.objects.update(archived=archived)
        return queries(client, path)

    few, many = grow(3), grow(27)

    print(f"scripts list ({who}, archived={archived}): {few} queries with 3, {many} with 30")
    assert many == few
    assert many <= BOUND


@pytest.mark.parametrize("page", ["", "edit/"])
def test_a_script_page_takes_the_same_queries_for_3_or_30_revisions(
    page, alice, welcome, login, acme, asset_factory
):
    client = login(alice)
    asset_factory.voice(acme, "Host")
    path = f"/studio/scripts/{welcome.pk}/{page}"

    add_revisions(welcome, alice, 2)
    few = queries(client, path)
    add_revisions(welcome, alice, 27)
    many = queries(client, path)

    print(f"script page {page!r}: {few} queries with 3 revisions, {many} with 30")
    assert ScriptRevision.objects.filter(script=welcome).count() == 30
    assert many == few
    assert many <= BOUND
