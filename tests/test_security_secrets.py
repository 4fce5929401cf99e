"""No secret in any response or log line.

Every secret gets a distinctive value. The three providers point at one hostile server on
127.0.0.1 that answers every call with an error whose body echoes the Authorization header
and the whole request back; the provider health page's "Test connection" calls each of them.
Then every page people open (studio, review desk, admin, credits and their CSV exports,
error pages) is fetched by every role; no secret may be in a body, a header or a log line
(captured at DEBUG).
"""

import json
import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.test import Client

from avatars.catalog import PROVIDER_LABELS

SECRETS = {
    "SECRET_KEY": "sk-DJANGO-7f3a9c1e-never-shown",
    "CRUN_API_KEY": "sk-CRUN-5b2d8e4f-never-shown",
    "LUMENFALL_API_KEY": "sk-LUMENFALL-9a1c3e5b-never-shown",
    "LUMENFALL_WEBHOOK_SECRET": "whsec_TFVNRU5GQUxMLVdFQkhPT0stbmV2ZXItc2hvd24=",
    "REPLICATE_API_TOKEN": "r8_REPLICATE-2e4f6a8c-never-shown",
    "REPLICATE_WEBHOOK_SECRET": "whsec_UkVQTElDQVRFLVdFQkhPT0stbmV2ZXItc2hvd24=",
    "AWS_SECRET_ACCESS_KEY": "aws-SECRET-1d3f5b7e-never-shown",
}
# What a leak would look like: each secret, and the bare part of the webhook secrets.
NEEDLES = [*SECRETS.values()] + [
    value.removeprefix("whsec_") for value in SECRETS.values() if value.startswith("whsec_")
]


@pytest.fixture(scope="module")
def echo_server() -> Iterator[str]:
    """A provider that refuses everything and echoes the caller's credentials back."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            sent = self.rfile.read(length).decode("utf-8", "replace") if length else ""
            body = json.dumps(
                {
                    "code": 401,
                    "message": f"Invalid key {self.headers.get('Authorization')}",
                    "detail": f"You sent {dict(self.headers)} {sent} to {self.path}",
                    "error": {"message": f"Bad token: {self.headers.get('Authorization')}"},
                }
            ).encode()
            self.send_response(401 if self.path.endswith(("balance", "dryRun")) else 500)
            self.send_header("Content-Type", "application/json")
            self.send_header("X-Echo-Authorization", self.headers.get("Authorization", ""))
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _answer

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)


@pytest.fixture(autouse=True)
def secrets(settings, echo_server) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    for name, value in SECRETS.items():
        setattr(settings, name, value)
    settings.CRUN_BASE_URL = echo_server
    settings.LUMENFALL_BASE_URL = f"{echo_server}/v1"
    settings.REPLICATE_BASE_URL = f"{echo_server}/v1"


def assert_no_secret(where: str, text: str) -> None:
    for needle in NEEDLES:
        assert needle not in text, f"a secret in {where}"


def assert_clean(response, path: str) -> None:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert_no_secret(f"the body of {path}", body.decode("utf-8", "replace"))
    assert_no_secret(f"the headers of {path}", str(response.headers))


def test_provider_errors_that_echo_the_key_never_show_it(root, caplog):
    client = Client()
    client.force_login(root)
    with caplog.at_level(logging.DEBUG):
        for name in PROVIDER_LABELS:
            if name == "sandbox":
                continue
            response = client.post(f"/admin/avatars/providercall/check/{name}/", follow=True)
            assert response.status_code == 200
            assert_clean(response, f"the {name} connection test")
        page = client.get("/admin/avatars/providercall/")
        assert_clean(page, "provider health")
        messages = " ".join(str(m) for m in page.context["messages"]) if page.context else ""

    assert_no_secret("the log", caplog.text)
    assert_no_secret("the log", " ".join(repr(r.args) for r in caplog.records))
    assert_no_secret("the messages", messages)
    # The calls were made and failed: the test saw the errors it was meant to see.
    assert "Invalid key" in caplog.text or "error" in page.content.decode().lower()


PAGES = {
    "alice": ["/studio/", "/studio/scripts/", "/studio/render/", "/studio/renders/",
              "/studio/notifications/", "/admin/", "/admin/avatars/avatar/",
              "/admin/avatars/renderjob/add/", "/studio/renders/999999/"],
    "bob": ["/review/", "/admin/avatars/renderjob/"],
    "audrey": ["/credits/", "/credits/ledger/", "/credits/holds/", "/credits/reconciliation/",
               "/credits/audit/", "/credits/?format=csv", "/credits/ledger/?format=csv",
               "/credits/holds/?format=csv", "/credits/reconciliation/?format=csv",
               "/credits/audit/?format=csv", "/admin/avatars/team/1/change/"],
    "root": ["/admin/", "/admin/avatars/providercall/", "/admin/avatars/team/",
             "/admin/auth/user/", "/admin/no-such-page/", "/admin/login/"],
    "anonymous": ["/admin/login/", "/studio/", "/no-such-page/", "/m/forged/",
                  "/s/forged/", "/metrics", "/healthz", "/readyz"],
}  # fmt: skip


def test_no_page_shows_a_secret(alice, bob, audrey, root, acme, asset_factory, caplog, request):
    asset_factory.job(acme, "failed", requested_by=alice, error_message="Provider said no.")
    with caplog.at_level(logging.DEBUG):
        for who, paths in PAGES.items():
            client = Client(raise_request_exception=False)
            if who != "anonymous":
                client.force_login(request.getfixturevalue(who))
            for path in paths:
                response = client.get(path)
                assert response.status_code != 500, path
                assert_clean(response, path)
        failed = Client(raise_request_exception=False).post(
            "/admin/login/", {"username": "root", "password": SECRETS["CRUN_API_KEY"]}
        )
        # A password typed into the login form is not echoed back either.
        assert SECRETS["CRUN_API_KEY"] not in failed.content.decode()

    assert_no_secret("the log", caplog.text)
