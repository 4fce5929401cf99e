"""Revoking a share link stops its media at once: the video, poster and captions links its page
handed out are the app's own, bound to the share link and checked on every request, on local
media and on S3 alike (where a presigned link could not be taken back). bob (Editor) shares
and revokes Acme's approved render; the viewer has no account."""

import httpx
import pytest
from django.test import Client
from django.utils import timezone

from avatars import review
from avatars.media_urls import media_url
from avatars.models import ShareLink
from tests.helpers.shares import approved_render, page_media, share_page, shared

pytestmark = pytest.mark.django_db


def answers(media: dict[str, str], **headers: str) -> dict[str, int]:
    viewer = Client()
    return {part: viewer.get(url, headers=headers).status_code for part, url in media.items()}


def test_revoking_stops_the_page_and_every_media_link_it_handed_out(acme, asset_factory, bob):
    link = shared(approved_render(asset_factory, acme), bob)
    media = page_media(share_page(link))
    assert answers(media) == {"video": 200, "poster": 200, "captions": 200}

    review.revoke(link, bob)

    assert Client().get(f"/s/{link.token}/").status_code == 410
    assert answers(media) == {"video": 410, "poster": 410, "captions": 410}
    assert answers(media, Range="bytes=0-99") == {"video": 410, "poster": 410, "captions": 410}
    assert Client().head(media["video"]).status_code == 410


def test_an_expired_or_unapproved_share_stops_its_media_too(acme, asset_factory, bob):
    job = approved_render(asset_factory, acme)
    lapsing, other = shared(job, bob), shared(job, bob)
    lapsing_media, other_media = page_media(share_page(lapsing)), page_media(share_page(other))

    ShareLink.objects.filter(pk=lapsing.pk).update(expires_at=timezone.now())
    assert answers(lapsing_media)["video"] == 410
    assert answers(other_media)["video"] == 200

    review.decide(job, bob, "rejected", "Legal said no.")
    assert answers(other_media)["video"] == 410


def test_one_revoked_link_leaves_the_others_and_the_studios_links_working(acme, asset_factory, bob):
    job = approved_render(asset_factory, acme)
    revoked, kept = shared(job, bob), shared(job, bob)
    revoked_media, kept_media = page_media(share_page(revoked)), page_media(share_page(kept))
    studio_link = media_url(job.video)

    review.revoke(revoked, bob)

    assert answers(revoked_media)["video"] == 410
    assert answers(kept_media) == {"video": 200, "poster": 200, "captions": 200}
    assert Client().get(studio_link).status_code == 200


def test_shared_media_seeks_and_is_not_kept_in_a_cache(acme, asset_factory, bob):
    job = approved_render(asset_factory, acme)
    media = page_media(share_page(shared(job, bob)))
    with job.video.open("rb") as stored:
        video = stored.read()

    part = Client().get(media["video"], headers={"Range": "bytes=50-149"})

    assert part.status_code == 206
    assert part["Content-Range"] == f"bytes 50-149/{len(video)}"
    assert b"".join(part.streaming_content) == video[50:150]
    # Asked afresh each time, so a browser does not play a revoked video from its cache.
    assert part["Cache-Control"] == "private, no-cache"


def test_on_s3_shared_media_is_served_here_with_ranges_and_stops_on_revoking(
    acme, asset_factory, bob, live_server, s3_server, s3_storage
):
    job = approved_render(asset_factory, acme)
    link = shared(job, bob)
    media = page_media(share_page(link))
    with job.video.open("rb") as stored:
        video = stored.read()
    base = live_server.url

    assert all(url.startswith("/m/") for url in media.values()), media
    seek = httpx.get(base + media["video"], headers={"Range": "bytes=100-199"})
    whole = httpx.get(base + media["video"])
    head = httpx.head(base + media["video"])
    past = httpx.get(base + media["video"], headers={"Range": f"bytes={len(video)}-"})
    cues = httpx.get(base + media["captions"])

    assert seek.status_code == 206
    assert seek.headers["Content-Range"] == f"bytes 100-199/{len(video)}"
    assert seek.content == video[100:200]
    assert whole.status_code == 200 and whole.content == video
    assert whole.headers["Accept-Ranges"] == "bytes"
    assert head.status_code == 200 and head.headers["Content-Length"] == str(len(video))
    assert head.content == b""
    assert past.status_code == 416 and past.headers["Content-Range"] == f"bytes */{len(video)}"
    assert cues.status_code == 200 and cues.text.startswith("WEBVTT")

    review.revoke(link, bob)

    for url in media.values():
        assert httpx.get(base + url).status_code == 410
        assert httpx.get(base + url, headers={"Range": "bytes=0-9"}).status_code == 410


def test_on_s3_a_studio_video_link_is_presigned_and_answers_ranges(
    acme, asset_factory, s3_server, s3_storage
):
    job = approved_render(asset_factory, acme)
    with job.video.open("rb") as stored:
        video = stored.read()
    url = media_url(job.video)

    seek = httpx.get(url, headers={"Range": f"bytes={len(video) // 2}-"})
    past = httpx.get(url, headers={"Range": f"bytes={len(video)}-"})

    assert url.startswith(f"{s3_server.endpoint}/{s3_storage}/")
    assert seek.status_code == 206
    assert seek.headers["Content-Range"] == (
        f"bytes {len(video) // 2}-{len(video) - 1}/{len(video)}"
    )
    assert seek.headers["Accept-Ranges"] == "bytes"
    assert seek.content == video[len(video) // 2 :]
    assert past.status_code == 416


def test_on_s3_a_shared_file_gone_from_the_bucket_is_404(
    acme, asset_factory, bob, s3_server, s3_storage
):
    job = approved_render(asset_factory, acme)
    media = page_media(share_page(shared(job, bob)))

    s3_server.client().delete_object(Bucket=s3_storage, Key=job.video.name)

    assert Client().get(media["video"]).status_code == 404
    assert Client().get(media["poster"]).status_code == 200
