"""What a share page shows someone without an account: the render's title, the video with its
poster and captions, a link to copy, and the Open Graph and Twitter tags a chat tool reads to
preview a pasted link. bob (Editor) shares Acme's approved render."""

import html
import re

import pytest
from django.test import Client

from avatars.models import ShareLink
from tests.helpers.shares import approved_render, page_media, share_page, shared

pytestmark = pytest.mark.django_db


@pytest.fixture
def link(acme, asset_factory, bob) -> ShareLink:
    return shared(approved_render(asset_factory, acme, "Spring webinar invite"), bob)


def meta(page: str) -> dict[str, str]:
    """The page's <meta property|name=… content=…> tags."""
    return {
        name: html.unescape(content)
        for name, content in re.findall(
            r'<meta (?:property|name)="([^"]+)" content="([^"]*)">', page
        )
    }


def test_the_page_is_titled_by_the_render(link):
    page = share_page(link)

    assert "<title>Spring webinar invite</title>" in page
    assert "<h1>Spring webinar invite</h1>" in page
    assert "<title>Video</title>" not in page


def test_a_recording_renders_title_is_the_recordings(acme, asset_factory, bob):
    clip = asset_factory.clip(acme, "Founder's note")
    job = approved_render(asset_factory, acme)
    job.audio_clip, job.script_revision = clip, None
    job.save()

    page = share_page(shared(job, bob))

    assert "<title>Founder&#x27;s note</title>" in page


def test_the_video_has_a_poster_and_captions_from_the_render(link):
    page = share_page(link)
    media = page_media(page)
    anyone = Client()

    poster = anyone.get(media["poster"])
    track = anyone.get(media["captions"])

    assert re.search(r'<track kind="captions" label="English \(US\)" srclang="en-US" ', page)
    assert " default>" in page
    assert poster.status_code == 200 and poster["Content-Type"] == "image/jpeg"
    assert track.status_code == 200 and track["Content-Type"] == "text/vtt"
    cues = b"".join(track.streaming_content).decode()
    assert cues.startswith("WEBVTT") and "Welcome aboard, Ada." in cues


def test_the_link_can_be_copied_by_hand_and_by_a_button(link):
    page = share_page(link)
    url = f"http://testserver/s/{link.token}/"

    assert f'<input type="text" id="share-url" value="{url}" readonly>' in page
    assert '<label for="share-url">Link to this video</label>' in page
    # The button works only with the script, which unhides it; without it the field is enough.
    assert re.search(r'<button type="button"[^>]* data-copy="share-url" hidden>Copy link<', page)
    assert '<script src="/static/studio/copy.js" defer></script>' in page


def test_a_pasted_link_previews_with_title_poster_and_video(link):
    page = share_page(link)
    tags = meta(page)
    media = page_media(page)

    assert tags["og:type"] == "video.other"
    assert tags["og:title"] == tags["twitter:title"] == "Spring webinar invite"
    assert tags["og:url"] == f"http://testserver/s/{link.token}/"
    assert tags["og:video"].startswith("http://testserver/m/")
    assert tags["og:video:type"] == "video/mp4"
    assert (tags["og:video:width"], tags["og:video:height"]) == ("128", "72")
    assert tags["og:image"] == tags["twitter:image"]
    assert tags["twitter:card"] == "summary_large_image"
    # The absolute links are the page's own media links, with the same share-bound grant.
    for tag, part in (("og:video", "video"), ("og:image", "poster")):
        assert Client().get(tags[tag]).status_code == 200
        assert Client().get(media[part]).status_code == 200


def test_a_render_without_a_poster_previews_without_an_image(acme, asset_factory, bob):
    job = approved_render(asset_factory, acme)
    job.poster = ""
    job.save()

    page = share_page(shared(job, bob))

    assert "og:image" not in page and "poster=" not in page
    assert meta(page)["twitter:card"] == "summary"


def test_the_page_tells_nothing_else_of_the_team(link):
    page = share_page(link).lower()

    for private in ("acme", "bob", "job face", "job voice", "timeline", "approved"):
        assert private not in page, private


def test_a_link_preview_may_ask_for_the_headers_alone(link):
    head = Client().head(f"/s/{link.token}/")

    assert head.status_code == 200 and head.content == b""
    assert head["Content-Type"].startswith("text/html")
