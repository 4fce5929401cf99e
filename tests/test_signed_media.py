"""Private media is reachable only through signed links that expire."""

import time

from avatars.media_urls import media_url


def test_a_signed_link_serves_the_file_without_a_session(acme, asset_factory, client):
    avatar = asset_factory.avatar(acme)

    response = client.get(media_url(avatar.thumbnail))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"].startswith("private")
    with avatar.thumbnail.open("rb") as stored:
        assert b"".join(response.streaming_content) == stored.read()


def test_the_media_folder_itself_is_not_served(acme, asset_factory, client):
    avatar = asset_factory.avatar(acme)

    assert client.get(f"/media/{avatar.thumbnail.name}").status_code == 404


def test_a_tampered_link_is_refused(acme, asset_factory, client):
    url = media_url(asset_factory.avatar(acme).thumbnail)
    other = media_url(asset_factory.avatar(acme, "Other").thumbnail)
    token, other_token = url.split("/")[2], other.split("/")[2]
    forged = token.rsplit(":", 1)[0] + ":" + other_token.rsplit(":", 1)[1]

    assert client.get(f"/m/{forged}/").status_code == 404
    assert client.get(url.replace("/m/", "/m/x")).status_code == 404


def test_an_expired_link_is_refused(acme, asset_factory, client, monkeypatch):
    url = media_url(asset_factory.avatar(acme).thumbnail, max_age=60)
    later = time.time() + 61
    monkeypatch.setattr(time, "time", lambda: later)

    assert client.get(url).status_code == 404


def test_an_absolute_link_uses_the_public_base_url(acme, asset_factory, settings):
    settings.PUBLIC_BASE_URL = "https://studio.example.com"

    url = media_url(asset_factory.avatar(acme).image, absolute=True)

    assert url.startswith("https://studio.example.com/m/")


def test_a_download_link_saves_the_file_under_its_name(acme, asset_factory, client):
    avatar = asset_factory.avatar(acme)

    shown = client.get(media_url(avatar.thumbnail))
    saved = client.get(media_url(avatar.thumbnail, download="Ada's face.jpg"))

    assert not shown.get("Content-Disposition", "").startswith("attachment")
    assert saved["Content-Disposition"] == 'attachment; filename="Ada\'s face.jpg"'
    with avatar.thumbnail.open("rb") as stored:
        assert b"".join(saved.streaming_content) == stored.read()
