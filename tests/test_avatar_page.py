"""An avatar's page in the studio (/studio/avatars/<id>/): what it shows, editing its consent,
tags and archiving, and withdrawing consent; the warnings at upload and the render form's
picker. alice (Marketing) and bob (Editor) work in Acme. Who may open and do what is in
test_avatar_page_permissions.py."""

import datetime
import html
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from avatars import consent, render
from avatars.models import AuditEntry, Avatar, JobStatus, RenderJob, ShareLink
from tests.files import image_bytes, portrait_bytes
from tests.helpers.queries import page_queries
from tests.helpers.studio import add_jobs, consented

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
TODAY = timezone.localdate


def text(response) -> str:
    """The page's text, tags and repeated spaces taken out."""
    body = re.sub(r"<[^>]+>", " ", response.content.decode())
    return " ".join(html.unescape(body).split())


def live_link(job: RenderJob, user, days: int = 7) -> ShareLink:
    return ShareLink.objects.create(
        job=job, created_by=user, expires_at=timezone.now() + datetime.timedelta(days=days)
    )


@pytest.fixture
def grace(acme, asset_factory) -> Avatar:
    return consented(asset_factory, acme, "Grace", consent_reference="Release 2026-14")


# --- the page --------------------------------------------------------------------------------


def test_the_page_shows_the_portrait_the_consent_and_where_it_is_used(
    grace, acme, alice, bob, asset_factory, login
):
    script = asset_factory.script(acme, "Welcome", "Welcome aboard.")
    voice = asset_factory.voice(acme)
    done, queued = add_jobs(grace, script, voice, 1) + add_jobs(
        grace, script, voice, 1, status=JobStatus.QUEUED
    )
    live_link(done, bob)
    ShareLink.objects.create(
        job=done, created_by=bob, expires_at=timezone.now(), revoked_at=timezone.now()
    )

    response = login(alice).get(f"/studio/avatars/{grace.pk}/")

    page = text(response)
    assert f"Consent valid until {grace.consent_expires:%-d %b %Y}." in page
    assert "Grace Person" in page and "Any commercial use" in page and "Release 2026-14" in page
    assert "Renders (2)" in page and f"#{done.pk}" in page and f"#{queued.pk}" in page
    assert "Welcome · 2 renders" in page
    assert "Live share links (1)" in page
    assert "Campaigns are not in the studio yet" in page
    assert "its 1 pending render is canceled and its 1 live share link revoked" in page
    body = response.content.decode()
    assert 'class="portrait-large"' in body and "/m/" in body  # the portrait, by a signed link
    assert f'href="/studio/avatars/{grace.pk}/consent/"' in body


def test_the_gallery_and_a_job_page_link_to_the_avatars_page(
    grace, acme, alice, asset_factory, login
):
    job = asset_factory.job(acme, avatar=grace)
    client = login(alice)
    url = f'href="/studio/avatars/{grace.pk}/"'
    assert url in client.get("/studio/").content.decode()
    assert url in client.get(f"/studio/renders/{job.pk}/").content.decode()


def test_the_page_costs_the_same_queries_however_much_uses_the_avatar(
    grace, acme, alice, bob, asset_factory, login
):
    client = login(alice)
    url = f"/studio/avatars/{grace.pk}/"
    script, voice = asset_factory.script(acme), asset_factory.voice(acme)
    add_jobs(grace, script, voice, 1)
    one = len(page_queries(client, url))

    other = asset_factory.script(acme, "Other", "Other text.")
    jobs = add_jobs(grace, script, voice, 10) + add_jobs(grace, other, voice, 10)
    for job in jobs[:5]:
        live_link(job, bob)
    grace.tags.create(team=acme, name="sales")
    grace.tags.create(team=acme, name="EMEA")

    assert len(page_queries(client, url)) == one
    assert one <= 16


def test_an_avatar_uploaded_before_faces_were_checked_says_so(grace, alice, login):
    page = text(login(alice).get(f"/studio/avatars/{grace.pk}/"))
    assert "not checked for a face" in page
    assert "Could not check whether the portrait of “Grace” shows a face" in page


# --- consent ---------------------------------------------------------------------------------


def consent_post(**changes) -> dict:
    return {
        "consent_person": "Grace Brewster Hopper",
        "consent_scope": "organic",
        "consent_expires": (TODAY() + datetime.timedelta(days=200)).isoformat(),
        "consent_reference": "Release 2027-01",
        **changes,
    }


def test_editing_consent_saves_it_with_its_signed_release_and_audits_it(grace, alice, login):
    data = consent_post(consent_document=SimpleUploadedFile("release.pdf", PDF))

    response = login(alice).post(f"/studio/avatars/{grace.pk}/consent/", data, follow=True)

    grace.refresh_from_db()
    assert (grace.consent_person, grace.consent_scope) == ("Grace Brewster Hopper", "organic")
    assert grace.consent_document.name.endswith("/consent.pdf")
    assert grace.consent_document.read() == PDF
    page = text(response)
    assert (
        f"Consent for “Grace” saved: Consent valid until {grace.consent_expires:%-d %b %Y}." in page
    )
    assert "Download the signed release" in page
    entry = AuditEntry.objects.get(action=AuditEntry.Action.CONSENT_CHANGED)
    assert (entry.actor, entry.team) == (alice, grace.team)
    assert "person portrayed, scope, expiry, reference, signed release" in entry.detail


@pytest.mark.parametrize(
    "path", ["/studio/avatars/{}/consent/", "/admin/avatars/avatar/{}/change/"]
)
def test_the_release_on_record_is_linked_by_an_expiring_link(grace, alice, login, path):
    grace.consent_document.save("release.pdf", SimpleUploadedFile("release.pdf", PDF))
    client = login(alice)

    body = client.get(path.format(grace.pk)).content.decode()

    link = re.search(r'href="(/m/[^"]+)">consent\.pdf</a>', body)
    assert link, body[:3000]
    response = client.get(link.group(1))
    assert b"".join(response.streaming_content) == PDF


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        ("release.docx", b"PK\x03\x04word", "“.docx” files are not accepted"),
        ("release.pdf", b"<html><body>phish</body></html>", "it looks like an HTML web page"),
        ("release.png", image_bytes((300, 300), "JPEG"), "is named .png but is not a PNG image"),
        ("release.pdf", b"", "The submitted file is empty."),
    ],
)
def test_a_signed_release_must_be_a_pdf_or_an_image_as_named(
    grace, alice, login, name, content, says
):
    data = consent_post(consent_document=SimpleUploadedFile(name, content))

    response = login(alice).post(f"/studio/avatars/{grace.pk}/consent/", data)

    assert response.status_code == 200
    assert says in text(response)
    grace.refresh_from_db()
    assert not grace.consent_document and grace.consent_person == "Grace Person"


def test_a_signed_release_over_the_size_limit_is_refused(grace, alice, login, settings):
    settings.CONSENT_DOCUMENT_MAX_BYTES = 1000
    data = consent_post(consent_document=SimpleUploadedFile("big.pdf", PDF + b"0" * 2000))

    response = login(alice).post(f"/studio/avatars/{grace.pk}/consent/", data)

    assert "signed releases can be at most 1 kB" in text(response)


def test_saving_an_expired_consent_warns_that_it_cannot_be_rendered(grace, alice, login):
    data = consent_post(consent_expires="2025-01-31")

    page = text(login(alice).post(f"/studio/avatars/{grace.pk}/consent/", data, follow=True))

    assert "Consent expired on 31 Jan 2025: “Grace” cannot be rendered" in page
    assert "until" not in page.split("Consent expired on")[1][:20]


# --- tags and archiving ----------------------------------------------------------------------


def test_tags_are_saved_reusing_the_teams_tags(grace, acme, alice, asset_factory, login):
    sales = asset_factory.tag(acme, "Sales")

    login(alice).post(f"/studio/avatars/{grace.pk}/tags/", {"tag_names": "sales, EMEA, emea"})

    assert sorted(t.name for t in grace.tags.all()) == ["EMEA", "Sales"]
    assert grace.tags.get(name="Sales") == sales


def test_archiving_takes_it_out_of_the_gallery_and_unarchiving_brings_it_back(grace, alice, login):
    client = login(alice)
    client.post(f"/studio/avatars/{grace.pk}/archive/", {"archived": "1"})
    grace.refresh_from_db()
    assert grace.archived
    assert 'class="card"' not in client.get("/studio/").content.decode()
    assert (
        f'href="/studio/avatars/{grace.pk}/">Grace'
        in client.get("/studio/?archived=1").content.decode()
    )

    client.post(f"/studio/avatars/{grace.pk}/archive/", {"archived": "0"})
    grace.refresh_from_db()
    assert not grace.archived


# --- consent withdrawn -----------------------------------------------------------------------


@pytest.fixture
def used(grace, acme, alice, bob, asset_factory):
    """Grace rendered twice (both shared), with two renders pending; and another avatar's
    render and link, which the withdrawal must leave alone."""
    script, voice = asset_factory.script(acme), asset_factory.voice(acme)
    done = add_jobs(grace, script, voice, 2, review="approved")
    pending = add_jobs(grace, script, voice, 1, status=JobStatus.QUEUED) + add_jobs(
        grace, script, voice, 1, status=JobStatus.AWAITING_APPROVAL
    )
    links = [live_link(done[0], bob), live_link(done[0], bob), live_link(done[1], bob)]
    other = asset_factory.job(acme, "queued", avatar=consented(asset_factory, acme, "Linus"))
    return {"done": done, "pending": pending, "links": links, "other": other}


def test_withdrawing_consent_cancels_pending_renders_revokes_links_and_says_so(
    grace, used, alice, client, login
):
    response = login(alice).post(
        f"/studio/avatars/{grace.pk}/withdraw/", {"confirm": "yes"}, follow=True
    )

    summary = "Canceled 2 pending renders, revoked 3 share links."
    assert f"Consent for “Grace” is withdrawn. {summary}" in text(response)
    grace.refresh_from_db()
    assert grace.consent_withdrawn_by == alice and grace.consent_withdrawn_at is not None
    assert "Consent withdrawn on" in text(response)
    for job in used["pending"]:
        job.refresh_from_db()
        assert job.status == JobStatus.CANCELED
    assert {j.status for j in RenderJob.objects.filter(pk__in=[j.pk for j in used["done"]])} == {
        JobStatus.SUCCEEDED
    }
    for link in used["links"]:
        assert client.get(f"/s/{link.token}/").status_code == 410
    used["other"].refresh_from_db()
    assert used["other"].status == JobStatus.QUEUED
    entry = AuditEntry.objects.get(action=AuditEntry.Action.CONSENT_WITHDRAWN)
    assert (entry.actor, entry.team) == (alice, grace.team)
    assert entry.detail == f"Grace (avatar #{grace.pk}): consent withdrawn. {summary}"
    # Each cancellation is in the audit log too, by the cancel flow.
    assert AuditEntry.objects.filter(action=AuditEntry.Action.RENDER_CANCELED).count() == 2


def test_without_the_confirmation_nothing_is_withdrawn(grace, used, alice, login):
    response = login(alice).post(f"/studio/avatars/{grace.pk}/withdraw/", {}, follow=True)

    assert "Tick the box to confirm the withdrawal" in text(response)
    grace.refresh_from_db()
    assert grace.consent_withdrawn_at is None
    assert ShareLink.objects.filter(revoked_at=None).count() == 3


def test_a_withdrawn_likeness_is_never_rendered_again(grace, acme, alice, asset_factory, login):
    script, voice = asset_factory.script(acme), asset_factory.voice(acme)
    consent.withdraw(grace, alice)
    request = render.RenderRequest(
        team=acme, user=alice, avatar=grace, script=script, voice=voice, variables={"name": "A"}
    )

    assert render.validate(request)["avatar"] == (
        "“Grace” cannot be rendered: the person withdrew their consent."
    )
    page = login(alice).get(f"/studio/avatars/{grace.pk}/")
    assert "Record the withdrawal" not in text(page) and "Edit consent" not in text(page)
    assert login(alice).get(f"/studio/avatars/{grace.pk}/consent/").status_code == 302


def test_a_render_queued_as_consent_was_withdrawn_is_canceled_when_it_comes_to_be_sent(
    grace, acme, alice, asset_factory
):
    job = asset_factory.job(acme, "queued", avatar=grace)
    # The withdrawal's sweep ran just before this job was committed.
    Avatar.objects.filter(pk=grace.pk).update(consent_withdrawn_at=timezone.now())

    render.submit(job.pk)

    job.refresh_from_db()
    assert job.status == JobStatus.CANCELED
    assert job.events.last().message == "Not sent: the person portrayed withdrew their consent."


def test_withdrawing_again_only_sweeps_what_is_left(grace, used, alice):
    first = consent.withdraw(grace, alice)
    second = consent.withdraw(grace, alice)

    assert (first.canceled, first.revoked) == (2, 3)
    assert (second.canceled, second.revoked) == (0, 0)


# --- warnings at upload ----------------------------------------------------------------------


def upload(team, **changes) -> dict:
    return {
        "team": team.pk,
        "name": "Blank",
        "consent_person": "",
        "consent_scope": "",
        "consent_expires": "",
        "portrait": SimpleUploadedFile(
            "blank.png", image_bytes((600, 600), "PNG", color=(255, 255, 255))
        ),
        **changes,
    }


def test_an_upload_without_consent_or_a_face_is_accepted_with_warnings(acme, alice, login):
    response = login(alice).post("/studio/avatars/new/", upload(acme), follow=True)

    page = text(response)
    assert "“Blank” is in the library." in page
    assert (
        "No consent on record: “Blank” cannot be rendered until the person's consent is recorded"
        in page
    )
    assert "No face was found in the portrait of “Blank”." in page
    assert Avatar.objects.get(name="Blank").face_found is False


def test_an_upload_of_a_real_face_with_consent_has_no_warning(acme, alice, login):
    from tests.conftest import GRACE

    data = upload(
        acme,
        name="Grace",
        consent_person="Grace Hopper",
        consent_scope="any",
        consent_expires=(TODAY() + datetime.timedelta(days=365)).isoformat(),
        portrait=SimpleUploadedFile("grace.jpg", GRACE.read_bytes()),
    )

    response = login(alice).post("/studio/avatars/new/", data, follow=True)

    assert 'class="warning"' not in response.content.decode()
    assert Avatar.objects.get(name="Grace").face_found is True


def test_without_a_face_detector_the_upload_says_it_could_not_check(
    acme, alice, login, monkeypatch
):
    from avatars import faces

    monkeypatch.setattr(faces, "_detectors", [])

    page = text(login(alice).post("/studio/avatars/new/", upload(acme), follow=True))

    assert "Could not check whether the portrait of “Blank” shows a face" in page
    assert Avatar.objects.get(name="Blank").face_found is None


def test_the_admin_warns_of_an_expired_consent_at_upload(acme, alice, login):
    data = upload(
        acme,
        consent_person="Someone",
        consent_scope="any",
        consent_expires="2025-01-31",
        portrait=SimpleUploadedFile("p.jpg", portrait_bytes(seed=99)),
        tag_names="",
    )

    response = login(alice).post("/admin/avatars/avatar/add/", data, follow=True)

    page = text(response)
    assert "Consent expired on 31 Jan 2025: “Blank” cannot be rendered" in page
    assert Avatar.objects.filter(name="Blank").exists()


# --- the render form's picker ----------------------------------------------------------------


def test_the_render_form_greys_out_avatars_that_cannot_be_rendered_and_links_their_pages(
    grace, acme, alice, asset_factory, login
):
    expired = asset_factory.avatar(
        acme, "Eileen", consent_person="Eileen", consent_scope="any",
        consent_expires=datetime.date(2025, 1, 31),
    )  # fmt: skip
    nobody = asset_factory.avatar(acme, "Nobody")

    body = login(alice).get("/studio/render/").content.decode()

    assert re.search(rf'<option value="{grace.pk}">Grace</option>', body)
    assert re.search(
        rf'<option value="{expired.pk}" disabled>Eileen \(consent expired on 31 Jan 2025\)<', body
    )
    assert re.search(rf'<option value="{nobody.pk}" disabled>Nobody \(no consent on record\)', body)
    assert (
        f'<a href="/studio/avatars/{expired.pk}/">Eileen</a> (consent expired on 31 Jan 2025)'
        in body
    )


def test_refusing_an_avatar_without_consent_links_to_its_page(acme, alice, asset_factory, login):
    nobody = asset_factory.avatar(acme, "Nobody")
    script, voice = asset_factory.script(acme), asset_factory.voice(acme)
    data = {
        "team": acme.pk, "avatar": nobody.pk, "script": script.pk, "voice": voice.pk,
        "variables": "name=Ada", "resolution": "720p", "provider": "sandbox",
    }  # fmt: skip

    body = login(alice).post("/studio/render/", data).content.decode()

    assert (
        "“Nobody” cannot be rendered: no consent on record. "
        f'<a href="/studio/avatars/{nobody.pk}/">Record the person&#x27;s consent first.</a>'
    ) in body
