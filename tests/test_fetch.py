"""The result fetcher, against a real HTTP server on 127.0.0.1.

The server is on loopback, so downloads that should work pass allow_private=True. Every
refusal of a private address is checked to happen before any connection: either the real
server saw no request, or the client passed in is a recorder that must receive nothing.
"""

import logging
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from avatars import fetch
from avatars.fetch import Downloaded, FetchFailed, FetchGone, FetchRefused, download
from tests.files import mp4_bytes

VIDEO = mp4_bytes()
SILENT_VIDEO = mp4_bytes(audio=False)
PAGE = b"<!doctype html><html><body>Sign in to continue</body></html>"
SMALL_LIMIT = 10_000
BIG_BODY = b"x" * 50_000
# How long the slow endpoints hold a request; the fetcher's timeout in those tests is far shorter.
STALL_SECONDS = 5.0


@dataclass
class Site:
    port: int
    # (path with query, Host header) of every request that reached the server.
    requests: list[tuple[str, str]] = field(default_factory=list)
    # The Authorization header of each of them ("" for none).
    authorizations: list[str] = field(default_factory=list)

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"


def _handler(site: Site, stop: threading.Event) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            site.requests.append((self.path, self.headers.get("Host", "")))
            site.authorizations.append(self.headers.get("Authorization", ""))
            path = urlsplit(self.path).path
            if path == "/video.mp4":
                self._send(200, VIDEO, "video/mp4")
            elif path == "/silent.mp4":
                self._send(200, SILENT_VIDEO, "video/mp4")
            elif path == "/page.html":
                self._send(200, PAGE, "text/html; charset=utf-8")
            elif path == "/redirect":
                self._redirect("/video.mp4")
            elif path == "/redirect-to-loopback":
                self._redirect(f"http://127.0.0.1:{site.port}/video.mp4")
            elif path == "/redirect-to-private":
                self._redirect("http://10.0.0.1/video.mp4")
            elif path.startswith("/hops/"):
                left = int(path.removeprefix("/hops/"))
                self._redirect(f"/hops/{left - 1}" if left > 1 else "/video.mp4")
            elif path.startswith("/status/"):
                self._status(int(path.removeprefix("/status/")))
            elif path == "/big":
                self._send(200, BIG_BODY, "video/mp4")
            elif path == "/huge":
                self._head(200, {"Content-Length": str(10**10)})
                stop.wait(STALL_SECONDS)
            elif path == "/endless":
                self._endless()
            elif path == "/gzip":
                self._send(200, b"\x1f\x8b" + bytes(100), "video/mp4", {"Content-Encoding": "gzip"})
            elif path == "/slow":
                stop.wait(STALL_SECONDS)
                self._send(200, VIDEO, "video/mp4")
            elif path == "/stall":
                self._head(200, {"Content-Length": str(len(VIDEO)), "Content-Type": "video/mp4"})
                self.wfile.write(VIDEO[:1000])
                self.wfile.flush()
                stop.wait(STALL_SECONDS)
            else:
                self._send(404, b"not here", "text/plain")

        def _head(self, status: int, headers: dict[str, str]) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()

        def _send(
            self, status: int, body: bytes, content_type: str, extra: dict[str, str] | None = None
        ) -> None:
            headers = {"Content-Type": content_type, "Content-Length": str(len(body))}
            self._head(status, headers | (extra or {}))
            self.wfile.write(body)

        def _redirect(self, location: str) -> None:
            self._send(302, b"", "text/plain", {"Location": location})

        def _status(self, status: int) -> None:
            extra = {}
            if status == 503:
                extra["Retry-After"] = "7"
            if status == 429:
                when = datetime.now(UTC) + timedelta(seconds=30)
                extra["Retry-After"] = format_datetime(when, usegmt=True)
            self._send(status, b"no", "text/plain", extra)

        def _endless(self) -> None:
            # No Content-Length: the body ends when the connection closes, which the fetcher
            # must do itself once it has seen too much.
            self._head(200, {"Content-Type": "video/mp4"})
            chunk = b"y" * 8192
            try:
                for _ in range(100_000_000 // len(chunk)):
                    if stop.is_set():
                        return
                    self.wfile.write(chunk)
            except OSError:
                return

    return Handler


@pytest.fixture(scope="module")
def server() -> Iterator[Site]:
    stop = threading.Event()
    site = Site(port=0)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(site, stop))
    site.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield site
    stop.set()
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)


@pytest.fixture
def site(server: Site) -> Site:
    server.requests.clear()
    server.authorizations.clear()
    return server


@pytest.fixture
def dest(tmp_path: Path) -> Path:
    folder = tmp_path / "downloads"
    folder.mkdir()
    return folder


class Recorder:
    """An httpx client transport that keeps every request instead of connecting anywhere."""

    def __init__(self, body: bytes = b"") -> None:
        self.body = body
        self.requests: list[httpx.Request] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        # An iterator, not bytes: httpx would read bytes at once, leaving nothing to stream.
        body = iter([self.body])
        return httpx.Response(200, content=body, headers={"Content-Type": "video/mp4"})

    def client(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self.handle))


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def fake_dns(monkeypatch) -> dict[str, list[str]]:
    """Names added to the returned dict resolve to the given addresses; others as usual."""
    names: dict[str, list[str]] = {}
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host not in names:
            return real(host, port, *args, **kwargs)
        return [
            (
                socket.AF_INET6 if ":" in ip else socket.AF_INET,
                socket.SOCK_STREAM,
                6,
                "",
                (ip, port),
            )
            for ip in names[host]
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return names


@pytest.fixture
def first_hop_is_public(monkeypatch) -> None:
    """Treats the first address checked as public, so a test can start on the loopback server
    and still have every later hop checked for real."""
    real = fetch.is_public_address
    checked = []

    def is_public_address(ip):
        checked.append(ip)
        return len(checked) == 1 or real(ip)

    monkeypatch.setattr(fetch, "is_public_address", is_public_address)


def get(url: str, dest: Path, **options: object) -> Downloaded:
    options = {"max_bytes": 1_000_000, "allow_private": True, "timeout": 5.0} | options
    return download(url, dest, **options)


# --- what works -----------------------------------------------------------------------------


def test_it_downloads_the_exact_bytes(site, dest):
    result = get(site.url("/video.mp4?X-Amz-Signature=abc"), dest)

    assert result.path.parent == dest
    assert result.path.read_bytes() == VIDEO
    assert result.size == len(VIDEO)
    assert result.content_type == "video/mp4"
    assert result.final_url == site.url("/video.mp4?X-Amz-Signature=abc")
    assert list(dest.iterdir()) == [result.path]


def test_it_accepts_a_file_of_exactly_the_limit(site, dest):
    result = get(site.url("/silent.mp4"), dest, max_bytes=len(SILENT_VIDEO))

    assert result.path.read_bytes() == SILENT_VIDEO


def test_it_downloads_whatever_the_server_sends(site, dest):
    result = get(site.url("/page.html"), dest)

    assert result.path.read_bytes() == PAGE
    assert result.content_type == "text/html"


def test_it_follows_a_relative_redirect(site, dest):
    result = get(site.url("/redirect"), dest)

    assert result.path.read_bytes() == VIDEO
    assert result.final_url == site.url("/video.mp4")


def test_it_follows_as_many_redirects_as_allowed(site, dest):
    result = get(site.url("/hops/3"), dest, max_redirects=3)

    assert result.path.read_bytes() == VIDEO
    assert len(site.requests) == 4


def test_it_connects_to_the_address_it_checked(fake_dns, dest):
    fake_dns["cdn.example"] = ["93.184.216.34"]
    recorder = Recorder(body=VIDEO)

    result = get(
        "https://cdn.example/v/out.mp4?sig=1",
        dest,
        allow_private=False,
        client=recorder.client(),
    )

    assert result.path.read_bytes() == VIDEO
    [request] = recorder.requests
    assert str(request.url) == "https://93.184.216.34/v/out.mp4?sig=1"
    assert request.headers["host"] == "cdn.example"
    assert request.extensions["sni_hostname"] == "cdn.example"
    assert request.extensions["timeout"]["connect"] == 10.0
    assert request.extensions["timeout"]["read"] == 5.0
    assert result.final_url == "https://cdn.example/v/out.mp4?sig=1"


def test_it_sends_the_original_host_to_the_server(site, dest, fake_dns, first_hop_is_public):
    fake_dns["cdn.example"] = ["127.0.0.1"]

    get(site.url("/video.mp4", host="cdn.example"), dest, allow_private=False)

    assert site.requests == [("/video.mp4", f"cdn.example:{site.port}")]


KEY = {"Authorization": "Bearer provider-key"}


def test_the_callers_headers_go_to_the_links_own_origin(site, dest):
    get(site.url("/hops/2"), dest, headers=KEY)

    assert site.authorizations == ["Bearer provider-key"] * 3


def test_the_callers_headers_go_nowhere_a_redirect_leads_elsewhere(site, dest):
    # localhost is the same server as 127.0.0.1, under another origin.
    get(site.url("/redirect-to-loopback", host="localhost"), dest, headers=KEY)

    assert [path for path, _ in site.requests] == ["/redirect-to-loopback", "/video.mp4"]
    assert site.authorizations == ["Bearer provider-key", ""]


def test_the_callers_headers_go_to_no_other_port_or_scheme(fake_dns, dest):
    fake_dns["api.example"] = ["93.184.216.34"]
    sent: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        hops = {
            "/start": "https://api.example:8443/next",
            "/next": "http://api.example/last",
        }
        if request.url.path in hops:
            return httpx.Response(302, headers={"Location": hops[request.url.path]})
        return httpx.Response(200, content=iter([VIDEO]))

    with httpx.Client(transport=httpx.MockTransport(answer)) as client:
        get("https://api.example/start", dest, allow_private=False, client=client, headers=KEY)

    assert [r.url.path for r in sent] == ["/start", "/next", "/last"]
    assert [r.headers.get("authorization") for r in sent] == ["Bearer provider-key", None, None]


def test_the_callers_headers_cannot_replace_the_fetchers_own(site, dest, fake_dns):
    fake_dns["cdn.example"] = ["127.0.0.1"]
    smuggled = {"Host": "internal.example", "accept-encoding": "gzip", "X-Trace": "1"}
    recorder = Recorder(body=VIDEO)

    get(
        site.url("/video.mp4", host="cdn.example"), dest, client=recorder.client(), headers=smuggled
    )

    (request,) = recorder.requests
    assert request.headers["host"] == f"cdn.example:{site.port}"
    assert request.headers["accept-encoding"] == "identity"
    assert request.headers["x-trace"] == "1"


def test_it_logs_links_without_their_query(site, dest, caplog):
    with caplog.at_level(logging.INFO, logger="avatars.fetch"):
        get(site.url("/redirect?token=SECRET"), dest)

    assert "SECRET" not in caplog.text
    assert f"http://127.0.0.1:{site.port}/video.mp4" in caplog.text


# --- private and odd addresses: refused before any connection --------------------------------


PRIVATE_URLS = [
    "http://127.0.0.1:{port}/video.mp4",
    "http://localhost:{port}/video.mp4",
    "http://[::1]:{port}/video.mp4",
    "http://10.0.0.1/video.mp4",
    "http://172.16.0.1/video.mp4",
    "http://192.168.1.1/video.mp4",
    "http://169.254.169.254/latest/meta-data/",
    "http://100.64.0.1/video.mp4",
    "http://[::ffff:127.0.0.1]:{port}/video.mp4",
    "http://[fc00::1]/video.mp4",
    "http://0.0.0.0:{port}/video.mp4",
    "http://[::]:{port}/video.mp4",
    "http://2130706433:{port}/video.mp4",
    "http://127.1:{port}/video.mp4",
    "http://[fe80::1]/video.mp4",
    "http://224.0.0.1/video.mp4",
    "http://[64:ff9b::7f00:1]/video.mp4",
    "http://[2002:7f00:1::]/video.mp4",
    "https://[::127.0.0.1]/video.mp4",
]


@pytest.mark.parametrize("template", PRIVATE_URLS)
def test_it_refuses_private_addresses_without_connecting(site, dest, recorder, template):
    with pytest.raises(FetchRefused, match="private or internal network address"):
        get(
            template.format(port=site.port),
            dest,
            allow_private=False,
            client=recorder.client(),
        )

    assert recorder.requests == []
    assert list(dest.iterdir()) == []


def test_it_refuses_loopback_before_the_server_sees_anything(site, dest):
    with pytest.raises(FetchRefused, match=r"\(127\.0\.0\.1\)"):
        get(site.url("/video.mp4"), dest, allow_private=False)

    assert site.requests == []


def test_it_refuses_a_name_that_resolves_to_loopback(site, dest, fake_dns):
    fake_dns["evil.example"] = ["127.0.0.1"]

    with pytest.raises(FetchRefused, match="private or internal"):
        get(site.url("/video.mp4", host="evil.example"), dest, allow_private=False)

    assert site.requests == []
    assert list(dest.iterdir()) == []


def test_it_refuses_a_name_when_any_of_its_addresses_is_private(dest, fake_dns, recorder):
    fake_dns["mixed.example"] = ["93.184.216.34", "10.1.2.3"]

    with pytest.raises(FetchRefused, match=r"\(10\.1\.2\.3\)"):
        get("https://mixed.example/v.mp4", dest, allow_private=False, client=recorder.client())

    assert recorder.requests == []


def test_it_refuses_a_redirect_to_a_private_address(site, dest, fake_dns, first_hop_is_public):
    fake_dns["cdn.example"] = ["127.0.0.1"]

    with pytest.raises(FetchRefused, match=r"10\.0\.0\.1"):
        get(site.url("/redirect-to-private", host="cdn.example"), dest, allow_private=False)

    assert site.requests == [("/redirect-to-private", f"cdn.example:{site.port}")]
    assert list(dest.iterdir()) == []


def test_it_refuses_a_redirect_to_loopback(site, dest, first_hop_is_public):
    with pytest.raises(FetchRefused, match=r"127\.0\.0\.1"):
        get(site.url("/redirect-to-loopback"), dest, allow_private=False)

    assert [path for path, _ in site.requests] == ["/redirect-to-loopback"]
    assert list(dest.iterdir()) == []


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://127.0.0.1/video.mp4",
        "data:video/mp4;base64,AAAA",
        "gopher://127.0.0.1:70/_GET",
        "javascript:alert(1)",
    ],
)
def test_it_refuses_other_schemes(dest, recorder, url):
    scheme = url.split(":")[0]
    with pytest.raises(FetchRefused, match=f"Only http and https .* “{scheme}:”"):
        get(url, dest, client=recorder.client())

    assert recorder.requests == []


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("//127.0.0.1/video.mp4", "not a web link"),
        ("video.mp4", "not a web link"),
        ("http:///video.mp4", "names no server"),
        ("http://user:pass@127.0.0.1/video.mp4", "user name or password"),
    ],
)
def test_it_refuses_links_that_are_not_plain_web_links(dest, recorder, url, words):
    with pytest.raises(FetchRefused, match=words):
        get(url, dest, client=recorder.client())

    assert recorder.requests == []


def test_it_stops_after_too_many_redirects(site, dest):
    with pytest.raises(FetchRefused, match="redirected more than 3 times"):
        get(site.url("/hops/4"), dest, max_redirects=3)

    assert len(site.requests) == 4
    assert list(dest.iterdir()) == []


# --- answers other than the file ------------------------------------------------------------


@pytest.mark.parametrize("status", [403, 404, 410])
def test_a_missing_file_is_gone(site, dest, status):
    with pytest.raises(FetchGone, match=f"no longer available \\(HTTP {status}") as caught:
        get(site.url(f"/status/{status}?X-Amz-Signature=SECRET"), dest)

    assert "SECRET" not in str(caught.value)
    assert f"/status/{status}" in str(caught.value)
    assert list(dest.iterdir()) == []


def test_an_unavailable_server_may_be_retried_when_it_says(site, dest):
    with pytest.raises(FetchFailed, match="HTTP 503") as caught:
        get(site.url("/status/503"), dest)

    assert caught.value.retry_after == 7
    assert list(dest.iterdir()) == []


def test_too_many_requests_may_be_retried_at_the_date_given(site, dest):
    with pytest.raises(FetchFailed, match="HTTP 429") as caught:
        get(site.url("/status/429"), dest)

    assert caught.value.retry_after == pytest.approx(30, abs=3)


def test_a_wait_given_in_milliseconds_is_honoured(dest):
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503, headers={"retry-after-ms": "2500", "Retry-After": "60"})

    client = httpx.Client(transport=httpx.MockTransport(answer))
    with client, pytest.raises(FetchFailed) as failed:
        get("http://127.0.0.1:9/v.mp4", dest, client=client)

    assert failed.value.retry_after == 2.5


def test_a_server_error_without_a_date_leaves_the_delay_open(site, dest):
    with pytest.raises(FetchFailed, match="HTTP 500") as caught:
        get(site.url("/status/500"), dest)

    assert caught.value.retry_after is None


def test_another_client_error_is_refused(site, dest):
    with pytest.raises(FetchRefused, match="answered HTTP 400") as caught:
        get(site.url("/status/400"), dest)

    assert not isinstance(caught.value, FetchGone)


def test_a_compressed_body_is_refused(site, dest):
    with pytest.raises(FetchRefused, match="compressed"):
        get(site.url("/gzip"), dest)

    assert list(dest.iterdir()) == []


# --- slow and oversized ---------------------------------------------------------------------


def test_a_server_that_does_not_answer_times_out(site, dest):
    started = time.monotonic()
    with pytest.raises(FetchFailed, match=r"sent nothing for 0\.3 s"):
        get(site.url("/slow"), dest, timeout=0.3)

    assert time.monotonic() - started < STALL_SECONDS / 2
    assert list(dest.iterdir()) == []


def test_a_download_that_stalls_halfway_leaves_no_file(site, dest):
    with pytest.raises(FetchFailed, match=r"sent nothing for 0\.3 s"):
        get(site.url("/stall"), dest, timeout=0.3)

    assert list(dest.iterdir()) == []


def test_a_body_larger_than_allowed_is_refused(site, dest):
    with pytest.raises(FetchRefused, match="50,000 bytes, more than the 10,000 bytes allowed"):
        get(site.url("/big"), dest, max_bytes=SMALL_LIMIT)

    assert list(dest.iterdir()) == []


def test_an_announced_size_over_the_limit_is_refused_before_reading(site, dest):
    # The server sends no body at all; waiting for one would end in a timeout instead.
    with pytest.raises(FetchRefused, match=r"10\.0 GB, more than"):
        get(site.url("/huge"), dest, max_bytes=SMALL_LIMIT, timeout=STALL_SECONDS * 2)

    assert list(dest.iterdir()) == []


def test_a_body_without_length_is_cut_off_at_the_limit(site, dest):
    with pytest.raises(FetchRefused, match="larger than the 10,000 bytes allowed"):
        get(site.url("/endless"), dest, max_bytes=SMALL_LIMIT)

    assert list(dest.iterdir()) == []


def test_an_unreachable_port_may_be_retried(dest):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    with pytest.raises(FetchFailed, match="Could not connect"):
        get(f"http://127.0.0.1:{port}/video.mp4", dest)

    assert list(dest.iterdir()) == []
