"""Private objects on S3, reached only through presigned links: by providers, players, downloads."""

import datetime
import html
import re
import time
from urllib.parse import parse_qs, urlsplit

import botocore.auth
import httpx
from django.core import signing
from django.core.files.base import ContentFile
from django.urls import reverse

from avatars import render
from avatars.media_urls import SALT, media_url
from tests.files import mp4_bytes

PUBLIC_GROUPS = ("http://acs.amazonaws.com/groups/global/AllUsers",)


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def test_objects_are_private(acme, asset_factory, s3_server, s3_storage):
    avatar = asset_factory.avatar(acme)
    client = s3_server.client()

    anonymous = httpx.get(f"{s3_server.endpoint}/{s3_storage}/{avatar.image.name}")
    grants = client.get_object_acl(Bucket=s3_storage, Key=avatar.image.name)["Grants"]

    assert anonymous.status_code == 403
    assert [g["Permission"] for g in grants] == ["FULL_CONTROL"]
    assert all(g["Grantee"].get("URI") not in PUBLIC_GROUPS for g in grants)
    assert all(g["Grantee"]["Type"] == "CanonicalUser" for g in grants)


def test_providers_get_presigned_inputs_that_work_for_input_url_max_age(
    acme, asset_factory, s3_server, s3_storage, settings
):
    settings.INPUT_URL_MAX_AGE = 5400
    clip = asset_factory.clip(acme)
    job = asset_factory.job(acme, status="queued", audio_clip=clip)

    inputs = render.render_inputs(job)

    for url, field in ((inputs.image_url, job.avatar.image), (inputs.audio_url, clip.file)):
        assert url.startswith(f"{s3_server.endpoint}/{s3_storage}/{field.name}?")
        assert query(url)["X-Amz-Expires"] == "5400"
        assert "X-Amz-Signature" in query(url)
        response = httpx.get(url)
        assert response.status_code == 200
        with field.open("rb") as stored:
            assert response.content == stored.read()


def test_a_presigned_link_with_a_wrong_signature_or_key_is_refused(
    acme, asset_factory, s3_server, s3_storage
):
    avatar = asset_factory.avatar(acme)
    url = media_url(avatar.image, absolute=True)
    signature = query(url)["X-Amz-Signature"]
    forged = url.replace(signature, ("0" if signature[0] != "0" else "1") + signature[1:])
    other_key = url.replace("/portrait.jpg?", "/original.jpg?")

    assert httpx.get(url).status_code == 200
    assert httpx.get(forged).status_code == 403
    assert httpx.get(other_key).status_code == 403


def test_a_presigned_link_stops_working_when_it_expires(
    acme, asset_factory, s3_server, s3_storage, monkeypatch
):
    avatar = asset_factory.avatar(acme)
    signed_at = botocore.auth.get_current_datetime() - datetime.timedelta(hours=2)
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: signed_at)

    expired = media_url(avatar.image, max_age=3600)
    still_valid = media_url(avatar.image, max_age=3 * 3600)

    assert httpx.get(expired).status_code == 403
    assert httpx.get(still_valid).status_code == 200


def job_with_video(team, asset_factory):
    job = asset_factory.job(team, duration_seconds=2.0)
    job.video.save("video.mp4", ContentFile(mp4_bytes(2.0)), save=False)
    job.poster.save("poster.jpg", ContentFile(b"\xff\xd8poster"), save=False)
    job.save()
    return job


def page_links(page: str) -> dict[str, str]:
    found = {
        "video": re.search(r'<video[^>]* src="([^"]+)"', page),
        "poster": re.search(r'<video[^>]* poster="([^"]+)"', page),
        "download": re.search(r'<a[^>]* href="([^"]+)"[^>]* download=', page),
    }
    assert all(found.values()), found
    return {name: html.unescape(match.group(1)) for name, match in found.items()}


def test_the_job_page_plays_and_downloads_through_presigned_links_with_ranges(
    alice, acme, asset_factory, login, s3_server, s3_storage
):
    job = job_with_video(acme, asset_factory)
    with job.video.open("rb") as stored:
        video = stored.read()

    page = login(alice).get(f"/studio/renders/{job.pk}/").content.decode()
    links = page_links(page)

    for name in ("video", "poster", "download"):
        assert links[name].startswith(f"{s3_server.endpoint}/{s3_storage}/renders/")
    assert httpx.get(links["poster"]).content == b"\xff\xd8poster"
    saved = httpx.get(links["download"].replace("&amp;", "&"))
    assert saved.content == video
    # The download attribute is ignored across origins: the link itself asks S3 to attach it.
    assert saved.headers["Content-Disposition"] == f'attachment; filename="render-{job.pk}.mp4"'
    seek = httpx.get(links["video"], headers={"Range": "bytes=100-199"})
    assert seek.status_code == 206
    assert seek.headers["Content-Range"] == f"bytes 100-199/{len(video)}"
    assert seek.content == video[100:200]


def test_a_signed_link_made_for_local_media_redirects_to_a_presigned_link(
    acme, asset_factory, client, s3_server, s3_storage
):
    avatar = asset_factory.avatar(acme)
    token = signing.dumps({"n": avatar.image.name, "e": int(time.time()) + 600}, salt=SALT)

    response = client.get(reverse("signed-media", args=[token]))

    assert response.status_code == 302
    assert query(response["Location"])["X-Amz-Expires"] in ("599", "600")
    with avatar.image.open("rb") as stored:
        assert httpx.get(response["Location"]).content == stored.read()
