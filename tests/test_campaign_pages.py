"""The studio's campaign pages through the test client: upload → preview → create, what a
refused file or upload token says, the campaign page's queries, who may see and act, and
the status.json the page polls.

Who is who (tests/conftest.py): alice (Marketing, Acme) uploads and runs campaigns; bob
(Editor, Acme) approves samples; charlie (Marketing, Globex) sees none of Acme's; audrey
(Auditor) sees every team's campaign but may change nothing.
"""

import datetime
import html
import time
from decimal import Decimal
from pathlib import Path

import pytest
from django.core import signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from avatars.campaigns import staging
from avatars.models import Campaign, RowVerdict, ShareLink
from tests.conftest import stored_files
from tests.files import image_bytes
from tests.helpers.campaigns import PEOPLE, SCRIPT, campaign, csv_of
from tests.helpers.queries import page_queries

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords", "crun_key")]
ACTIONS = ["sample", "approve", "run", "retry", "pause", "resume", "cancel"]
# The browser's list: the people of PEOPLE, an invalid row (no first name, row 7) and a
# repeat of row 2 (row 8).
UPLOADED = [*PEOPLE, ["", "Hooli", "nobody@example.com"], PEOPLE[1]]


@pytest.fixture
def acme(acme):
    """Acme renders at Crun, whose renders have a price."""
    acme.preferred_provider = "crun"
    acme.save()
    return acme


@pytest.fixture
def choices(acme, asset_factory) -> dict[str, str]:
    """The form's choices, as the browser posts them."""
    return {
        "team": str(acme.pk),
        "name": "Spring welcome",
        "avatar": str(asset_factory.consenting_avatar(acme, "Grace").pk),
        "script": str(asset_factory.script(acme, "Welcome", SCRIPT).pk),
        "voice": str(asset_factory.voice(acme).pk),
        "resolution": "720p",
        "spending_cap": "",
    }


def text(response) -> str:
    return html.unescape(response.content.decode())


def upload(client, choices, data: bytes, name: str = "people.csv"):
    return client.post(
        "/studio/campaigns/new/", {**choices, "file": SimpleUploadedFile(name, data)}
    )


def staged(media_root: Path) -> list[Path]:
    return stored_files(media_root / staging.FOLDER)


def test_an_upload_is_previewed_then_created(alice, login, choices, media_root):
    client = login(alice)
    assert client.get("/studio/campaigns/new/").status_code == 200

    preview = upload(client, choices, csv_of(UPLOADED))

    assert preview.status_code == 200
    page = text(preview)
    assert "Hi Priya, welcome to Initech!" in page
    assert "Hi Ana, welcome to our team!" in page
    assert "<td>7</td><td>“First Name” is empty (it fills {{first_name}}).</td>" in page
    assert '<div class="figure" id="valid-count">5</div>' in page
    assert '<div class="figure" id="estimate">$' in page
    assert not Campaign.objects.exists()
    assert len(staged(media_root)) == 1

    token = preview.context["token"]
    created = client.post("/studio/campaigns/create/", {**choices, "upload": token})

    made = Campaign.objects.get()
    assert created.status_code == 302 and created["Location"] == f"/studio/campaigns/{made.pk}/"
    assert made.created_by == alice and made.name == "Spring welcome"
    verdicts = list(made.rows.order_by("number").values_list("number", "verdict"))
    assert verdicts == [
        *[(n, RowVerdict.VALID) for n in range(2, 7)],
        (7, RowVerdict.INVALID),
        (8, RowVerdict.DUPLICATE),
    ]
    assert staged(media_root) == []
    page = text(client.get(created["Location"]))
    assert "5 people to render" in page


def test_a_file_over_the_limit_is_refused_with_a_clear_message(
    alice, login, choices, settings, media_root
):
    settings.CAMPAIGN_MAX_UPLOAD_BYTES = 1_000_000
    big = csv_of([*PEOPLE, *[["Priya", "x" * 100, f"{n}@example.com"] for n in range(12_000)]])
    assert len(big) > 1_200_000

    response = upload(login(alice), choices, big)

    assert response.status_code == 400
    assert "The file is 1.5 MB; a list of people can be at most 1 MB." in text(response)
    assert not Campaign.objects.exists()
    assert staged(media_root) == []


def test_a_file_that_is_not_a_table_is_refused_with_a_clear_message(
    alice, login, choices, media_root
):
    response = upload(login(alice), choices, image_bytes(fmt="PNG"), "people.png")

    assert response.status_code == 400
    page = text(response)
    assert "“people.png” is not a spreadsheet" in page
    assert 'class="errorlist"' in page
    assert not Campaign.objects.exists()
    assert staged(media_root) == []


def test_another_persons_upload_token_is_refused(alice, bob, login, choices, media_root):
    token = staging.keep(csv_of(PEOPLE), "people.csv", bob.pk)

    response = login(alice).post(
        "/studio/campaigns/create/", {**choices, "upload": token}, follow=True
    )

    assert response.redirect_chain == [("/studio/campaigns/new/", 302)]
    assert "The upload has expired or is not yours: upload the file again." in text(response)
    assert not Campaign.objects.exists()
    assert len(staged(media_root)) == 1  # bob's, still his


def test_an_upload_token_older_than_a_day_is_refused(
    alice, login, choices, monkeypatch, media_root
):
    token = staging.keep(csv_of(PEOPLE), "people.csv", alice.pk)
    later = time.time() + staging.MAX_AGE.total_seconds() + 60
    monkeypatch.setattr(signing.time, "time", lambda: later)

    response = login(alice).post("/studio/campaigns/create/", {**choices, "upload": token})

    assert response.status_code == 302 and response["Location"] == "/studio/campaigns/new/"
    assert not Campaign.objects.exists()


def people(n: int) -> list[list[str]]:
    return [PEOPLE[0], *[[f"Person {i}", "Initech", f"p{i}@example.com"] for i in range(n)]]


def with_renders(asset_factory, made: Campaign) -> Campaign:
    """Every valid row given a finished render with a live link, as a run leaves them."""
    for row in made.rows.filter(verdict=RowVerdict.VALID):
        row.latest_job = asset_factory.job(made.team, campaign_row=row, cost=Decimal("0.05"))
        row.save(update_fields=["latest_job"])
        ShareLink.objects.create(
            job=row.latest_job, expires_at=timezone.now() + datetime.timedelta(days=30)
        )
    return made


def test_the_campaign_page_costs_the_same_queries_at_3_and_30_rows(
    alice, charlie, root, acme, globex, asset_factory, login
):
    # Two teams, for the helper's library of one campaign is one a team; root sees both.
    client = login(root)
    small = with_renders(asset_factory, campaign(asset_factory, acme, alice, people(3)))
    large = with_renders(asset_factory, campaign(asset_factory, globex, charlie, people(30)))

    few = page_queries(client, f"/studio/campaigns/{small.pk}/")
    many = page_queries(client, f"/studio/campaigns/{large.pk}/")

    assert len(few) == len(many) <= 15, "\n".join(many)
    assert text(client.get(f"/studio/campaigns/{large.pk}/")).count("<tr data-row=") == 30


def test_another_teams_campaign_is_not_found(alice, charlie, acme, asset_factory, login):
    made = campaign(asset_factory, acme, alice)
    client = login(charlie)
    base = f"/studio/campaigns/{made.pk}"

    for path in ("/", "/status.json", "/results.csv", "/videos.zip"):
        assert client.get(base + path).status_code == 404, path
    for action in [*ACTIONS, "rows"]:
        assert client.post(f"{base}/{action}/").status_code == 404, action
    assert made.name not in text(client.get("/studio/campaigns/"))


def test_an_auditor_sees_the_page_but_may_not_act(audrey, alice, acme, asset_factory, login):
    made = campaign(asset_factory, acme, alice)
    client = login(audrey)
    base = f"/studio/campaigns/{made.pk}"

    page = text(client.get(f"{base}/"))

    assert made.name in page and "Hi Priya" in page
    assert 'class="campaign-actions"' not in page
    for action in ACTIONS:
        assert f"{base}/{action}/" not in page
        assert client.post(f"{base}/{action}/").status_code == 403, action
    assert client.post(f"{base}/rows/").status_code == 403
    assert client.get("/studio/campaigns/new/").status_code == 403
    assert client.post("/studio/campaigns/create/").status_code == 403
    made.refresh_from_db()
    assert made.status == "draft"
    assert client.get(f"{base}/results.csv").status_code == 200


def test_the_status_json_says_counts_cost_and_percent(alice, acme, asset_factory, login):
    made = campaign(asset_factory, acme, alice, UPLOADED)
    first = made.rows.get(number=2)
    first.latest_job = asset_factory.job(acme, campaign_row=first, cost=Decimal("0.05"))
    first.save(update_fields=["latest_job"])

    answer = login(alice).get(f"/studio/campaigns/{made.pk}/status.json")

    assert answer.status_code == 200
    status = answer.json()
    assert {"campaign", "status", "counts", "cost", "percent"} <= set(status)
    assert status["campaign"] == made.pk
    assert status["status"] == "draft"
    assert status["percent"] == 20  # one of five people's videos has ended
    counts = status["counts"]
    assert (counts["rows"], counts["valid"], counts["invalid"], counts["duplicates"]) == (
        7,
        5,
        1,
        1,
    )
    assert (counts["succeeded"], counts["not_sent"]) == (1, 4)
    assert status["cost"] == "0.0000"  # what the ledger charged: nothing here
