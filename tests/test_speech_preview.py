"""The speech preview is asked of the sandbox over HTTP; without the sandbox it is not offered."""

import pytest

from avatars import previews
from tests.helpers.stub_server import Reply, StubServer

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def script(acme, asset_factory):
    return asset_factory.script(acme, "Welcome", "Hello {{name}}, welcome aboard.")


def test_the_sandbox_reads_a_script_aloud_over_http(sandbox):
    wav = previews.speech_wav("Hello there.", "en-US", "Puck")

    assert wav[:4] == b"RIFF" and wav[8:12] == b"WAVE"
    assert len(wav) > 10_000


def test_the_studio_plays_the_preview_of_a_script(sandbox, alice, acme, asset_factory, script):
    from django.test import Client

    client = Client()
    client.force_login(alice)
    voice = asset_factory.voice(acme)

    spoken = client.get(f"/studio/scripts/{script.pk}/preview.wav", {"voice": voice.pk})

    assert spoken.status_code == 200
    assert spoken["Content-Type"] == "audio/wav"
    assert b"".join(spoken.streaming_content)[:4] == b"RIFF"


def test_what_the_sandbox_cannot_speak_is_said_plainly(sandbox, settings):
    with pytest.raises(previews.PreviewUnavailable, match="could not read this script aloud: "):
        previews.speech_wav("Hello", "tlh", "Puck")
    with pytest.raises(previews.PreviewUnavailable, match="longer than"):
        previews.speech_wav("x" * (settings.SCRIPT_MAX_CHARS + 1), "en-US", "Puck")


def test_without_the_sandbox_no_page_offers_a_preview(client, alice, script, settings):
    settings.SANDBOX_ENABLED = False
    client.force_login(alice)

    page = client.get(f"/studio/scripts/{script.pk}/").content.decode()
    new_render = client.get("/studio/render/").content.decode()
    asked = client.get(f"/studio/scripts/{script.pk}/preview.wav")

    assert "preview.wav" not in page
    assert "Hear the script" not in new_render
    assert asked.status_code == 503
    assert "needs the offline sandbox, which is off" in asked.content.decode()


def test_a_sandbox_that_does_not_answer_is_a_clear_503(client, alice, script, settings):
    settings.SANDBOX_ENABLED = True
    client.force_login(alice)
    with StubServer() as broken:
        broken.reply = Reply(status=502, body=b"Bad gateway")
        settings.SANDBOX_BASE_URL = broken.url
        failing = client.get(f"/studio/scripts/{script.pk}/preview.wav")
    settings.SANDBOX_BASE_URL = broken.url  # closed now: nothing listens there

    unreachable = client.get(f"/studio/scripts/{script.pk}/preview.wav")

    assert (failing.status_code, unreachable.status_code) == (503, 503)
    assert "could not read this script aloud" in failing.content.decode()
    assert "the sandbox did not answer" in unreachable.content.decode()
