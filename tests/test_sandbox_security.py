"""The sandbox is an outside service in our process, so it must not be a way into our network.

With FETCH_ALLOW_PRIVATE on, as in development, a task still fetches its inputs only from where
our own media lives, calls back only to our own /callbacks/, needs the sandbox's key for every
call, and says what went wrong without echoing a link or its signature. A stub server on
another local port stands for everything else on the machine and remembers what reached it.
"""

import logging
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from django.conf import settings
from django.core.files.storage import default_storage

from avatars.media_urls import media_url
from avatars.sandbox import inputs, service
from tests.helpers.sandbox_api import CREATE, INFO, create, final_task
from tests.helpers.stub_server import Reply, StubServer
from tests.helpers.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True)

BALANCE = "/api/v1/client/account/balance"
PREVIEW = "/preview/speech.wav"
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def stub() -> Iterator[StubServer]:
    with StubServer() as server:
        yield server


def task_files() -> list[str]:
    folder = settings.SANDBOX_ROOT / "tasks"
    return sorted(p.name for p in folder.glob("*.json")) if folder.exists() else []


def test_an_image_at_another_local_port_is_never_fetched(sandbox_http, stub):
    task = final_task(
        sandbox_http,
        create(sandbox_http, image_url=f"{stub.url}/internal-admin", text="Hello."),
    )

    assert stub.paths == []
    assert task["status"] == "failed"
    message = task["result"]["message"]
    assert message.startswith("the portrait could not be downloaded:")
    assert "private or internal network address" in message
    assert "/internal-admin" not in message


def test_audio_at_another_local_port_is_never_fetched(sandbox_http, stub, portrait_url):
    task = final_task(
        sandbox_http,
        create(sandbox_http, image_url=portrait_url, audio_url=f"{stub.url}/internal-admin"),
    )

    assert stub.paths == []
    assert task["status"] == "failed"
    assert task["result"]["message"].startswith("the audio could not be downloaded:")


def test_a_redirect_from_our_own_origin_to_another_local_port_is_not_followed(
    sandbox_http, stub, settings
):
    with StubServer() as ours:
        # Our own media origin, answering with a redirect into the rest of the machine.
        settings.PUBLIC_BASE_URL = ours.url
        ours.reply = Reply(status=302, headers={"Location": f"{stub.url}/internal-admin"})

        task = final_task(
            sandbox_http, create(sandbox_http, image_url=f"{ours.url}/m/token/", text="Hello.")
        )

    assert ours.paths == ["/m/token/"]
    assert stub.paths == []
    assert task["status"] == "failed"
    assert "private or internal network address" in task["result"]["message"]


@pytest.mark.parametrize(
    "callback",
    [
        "{stub}/callbacks/crun/1/token/",
        "{ours}/admin/",
        "{ours}/callbacks/../admin/",
        "{ours_with_user}/callbacks/crun/1/token/",
        "not a link",
    ],
)
def test_a_callback_anywhere_but_our_own_callbacks_is_refused(
    sandbox_http, stub, portrait_url, live_server, callback
):
    url = callback.format(
        stub=stub.url,
        ours=live_server.url,
        ours_with_user=live_server.url.replace("http://", "http://user:pass@"),
    )

    response = create(sandbox_http, image_url=portrait_url, text="Hello.", callback_url=url)

    assert response.status_code == 422
    assert response.json()["code"] == 422
    assert "callback_url must be under this studio's own" in response.json()["message"]
    assert task_files() == []
    assert stub.paths == []


def test_a_callback_to_our_own_callbacks_is_posted(sandbox_http, portrait_url, live_server, caplog):
    url = f"{live_server.url}/callbacks/crun/999999/not-a-token/"

    with caplog.at_level(logging.WARNING, logger="avatars.sandbox"):
        task = final_task(
            sandbox_http,
            create(sandbox_http, image_url=portrait_url, text="Hi.", callback_url=url),
        )
        # No such job: our callback view's 404 is what the sandbox heard back.
        wait_until(lambda: "answered HTTP 404" in caplog.text)

    assert task["status"] == "success"


@pytest.mark.parametrize("key", [None, "", "sandbox", "wrong-key"])
def test_every_call_needs_the_sandbox_key(sandbox, portrait_url, key):
    headers = {} if key is None else {"x-api-key": key}
    with httpx.Client(base_url=settings.SANDBOX_BASE_URL, headers=headers) as client:
        body = {"input": {"image_url": portrait_url, "text": "Hello."}}
        answers = [
            client.post(CREATE, json=body),
            client.get(INFO, params={"task_id": "task_" + "0" * 32}),
            client.get(BALANCE),
            client.post(PREVIEW, json={"text": "Hello.", "language": "en-US"}),
        ]

    assert [a.status_code for a in answers] == [401] * 4
    assert {a.json()["message"] for a in answers} == {"unauthorized"}
    assert task_files() == []


def sandbox_key(**env: str) -> str:
    """SANDBOX_API_KEY as a fresh process with exactly this environment sees it."""
    clean = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME")}
    done = subprocess.run(
        [sys.executable, "-c", "import project.settings as s; print(s.SANDBOX_API_KEY)"],
        env={**clean, **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def test_the_key_is_derived_from_the_secret_key_unless_it_is_given(tmp_path):
    one, other = "a" * 25 + "b" * 25 + "cdefg", "z" * 25 + "y" * 25 + "xwvut"
    given = tmp_path / "sandbox-key"
    given.write_text("a-key-from-a-file\n")

    web, worker = sandbox_key(SECRET_KEY=one), sandbox_key(SECRET_KEY=one)
    elsewhere = sandbox_key(SECRET_KEY=other)

    assert web == worker
    assert web != elsewhere
    assert len(web) == 64 and one not in web and web != "sandbox"
    assert sandbox_key(SECRET_KEY=one, SANDBOX_API_KEY="set") == "set"
    assert sandbox_key(SECRET_KEY=one, SANDBOX_API_KEY_FILE=str(given)) == "a-key-from-a-file"


def test_a_result_is_served_only_through_its_signed_link(sandbox_http, portrait_url):
    task = final_task(sandbox_http, create(sandbox_http, image_url=portrait_url, text="Hello."))
    link = httpx.URL(task["result"]["media_urls"][0])

    unsigned = httpx.get(str(link.copy_with(query=None)))
    forged = httpx.get(str(link.copy_with(params={"signature": "0" * 64})))
    signed = httpx.get(str(link))

    assert (unsigned.status_code, forged.status_code) == (404, 404)
    assert signed.status_code == 200
    assert signed.content[4:8] == b"ftyp"


def test_a_result_link_stops_working_when_it_expires(sandbox_http, portrait_url):
    task = final_task(sandbox_http, create(sandbox_http, image_url=portrait_url, text="Hello."))
    link = httpx.URL(task["result"]["media_urls"][0])
    past = int(time.time()) - 1
    # Signed as the sandbox signs, only its time is up.
    expired = link.copy_with(
        params={"expires": past, "signature": service.result_signature(task["task_id"], past)}
    )
    stretched = link.copy_with(
        params={
            "expires": int(link.params["expires"]) + 3600,
            "signature": link.params["signature"],
        }
    )

    assert httpx.get(str(expired)).status_code == 404
    assert httpx.get(str(stretched)).status_code == 404
    assert int(link.params["expires"]) > time.time() + service.RESULT_LINK_SECONDS - 600


def test_a_failed_download_says_why_without_the_link(sandbox_http, acme, asset_factory, caplog):
    avatar = asset_factory.avatar(acme)
    url = media_url(avatar.image, absolute=True)
    token = httpx.URL(url).path.strip("/").rsplit("/", 1)[-1]
    default_storage.delete(avatar.image.name)

    with caplog.at_level(logging.DEBUG):
        task = final_task(sandbox_http, create(sandbox_http, image_url=url, text="Hello."))

    message = task["result"]["message"]
    assert message.startswith("the portrait could not be downloaded:")
    assert "404" in message
    # Our own web server logs the paths it serves; what the sandbox and the fetcher log must
    # name neither the link nor its token.
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("avatars"))
    assert "the portrait could not be downloaded" in logged
    for secret in (url, token, "/m/"):
        assert secret not in message
        assert secret not in logged


def test_an_input_that_is_not_an_image_fails_in_words(sandbox_http, live_server, settings):
    with StubServer() as ours:
        settings.PUBLIC_BASE_URL = ours.url
        ours.reply = Reply(body=b"<html>not a picture</html>")
        task = final_task(
            sandbox_http,
            create(sandbox_http, image_url=f"{ours.url}/m/secret-token/", text="Hi."),
        )

    assert task["status"] == "failed"
    assert task["result"]["message"] == "the portrait could not be read as an image."


def test_private_addresses_are_reached_only_at_our_own_media(settings):
    settings.FETCH_ALLOW_PRIVATE = True
    settings.PUBLIC_BASE_URL = "http://127.0.0.1:8000"
    settings.MEDIA_STORAGE = "local"
    allowed = inputs.may_reach_private

    assert allowed(httpx.URL("http://127.0.0.1:8000/m/token/"))
    assert allowed(httpx.URL("HTTP://127.0.0.1:8000/m/token/"))
    assert not allowed(httpx.URL("http://127.0.0.1:8001/m/token/"))
    assert not allowed(httpx.URL("https://127.0.0.1:8000/m/token/"))
    assert not allowed(httpx.URL("http://localhost:8000/m/token/"))
    assert not allowed(httpx.URL("http://sub.127.0.0.1:8000/"))
    # Our own origin, but not our media: the admin, the metrics, the health checks.
    for page in ("/admin/", "/metrics", "/healthz/workers", "/mx/token/", "/"):
        assert not allowed(httpx.URL(f"http://127.0.0.1:8000{page}")), page
    settings.PUBLIC_BASE_URL = "https://studio.example/app"
    assert allowed(httpx.URL("https://studio.example/app/m/token/"))
    assert not allowed(httpx.URL("https://studio.example/m/token/"))

    settings.MEDIA_STORAGE = "s3"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"OPTIONS": {"endpoint_url": "http://minio.internal:9000"}},
    }
    assert allowed(httpx.URL("http://minio.internal:9000/bucket/key?X-Amz-Signature=x"))
    assert allowed(httpx.URL("http://bucket.minio.internal:9000/key"))
    assert not allowed(httpx.URL("http://minio.internal:9001/bucket/key"))

    settings.FETCH_ALLOW_PRIVATE = False
    assert not allowed(httpx.URL("http://127.0.0.1:8000/m/token/"))
    assert not allowed(httpx.URL("http://minio.internal:9000/bucket/key"))
