"""The result fetcher's SSRF guard against every private range, spelling and trick we know.

tests/test_fetch.py covers the fetcher's behaviour; this module is the exhaustive list of
addresses and links it must never reach. Refusals happen before any connection: the client
passed in is a recorder that must receive nothing, or the real server on 127.0.0.1 sees no
request. Redirect tests start on that server and let only the first address checked count as
public, so every later hop is checked for real.
"""

import ipaddress
import socket
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from avatars import fetch
from avatars.fetch import FetchRefused, download
from tests.fakes.http import Answer, LocalServer, Request

PRIVATE = "private or internal network address"

# One address inside each, at its start, middle and end where they differ in kind.
PRIVATE_IPV4 = {
    "0.0.0.0/8": ["0.0.0.0", "0.1.2.3", "0.255.255.255"],
    "10.0.0.0/8": ["10.0.0.1", "10.200.1.1", "10.255.255.255"],
    "100.64.0.0/10": ["100.64.0.1", "100.100.100.200", "100.127.255.254"],
    "127.0.0.0/8": ["127.0.0.1", "127.0.1.1", "127.255.255.254"],
    "169.254.0.0/16": ["169.254.0.1", "169.254.169.254", "169.254.255.254"],
    "172.16.0.0/12": ["172.16.0.1", "172.20.1.1", "172.31.255.254"],
    "192.0.0.0/24": ["192.0.0.1", "192.0.0.8", "192.0.0.170", "192.0.0.255"],
    "192.168.0.0/16": ["192.168.0.1", "192.168.1.1", "192.168.255.254"],
    "198.18.0.0/15": ["198.18.0.1", "198.19.255.254"],
    "224.0.0.0/4": ["224.0.0.1", "239.255.255.250"],
    "240.0.0.0/4": ["240.0.0.1", "250.1.2.3", "255.255.255.254"],
    "broadcast": ["255.255.255.255"],
    "documentation": ["192.0.2.1", "198.51.100.1", "203.0.113.1"],
    "6to4 relay": ["192.88.99.1"],
}
# Written other ways that mean 127.0.0.1 to some parser or other.
ODD_LOOPBACK = [
    "2130706433",
    "0x7f000001",
    "0177.0.0.1",
    "127.1",
    "0x7f.1",
    "017700000001",
    "127.000.000.001",
]
PRIVATE_IPV6 = [
    "::1",
    "::",
    "::ffff:127.0.0.1",
    "::ffff:7f00:1",
    "::ffff:10.0.0.1",
    "::ffff:169.254.169.254",
    "0:0:0:0:0:ffff:127.0.0.1",
    "::127.0.0.1",
    "fe80::1",
    "fe80::1%25eth0",
    "fc00::1",
    "fd00::1",
    "fd12:3456:789a::1",
    "64:ff9b::7f00:1",
    "64:ff9b::a00:1",
    "64:ff9b:1::7f00:1",
    "2002:7f00:1::",
    "2002:a00:1::",
    "2001:db8::1",
    "ff02::1",
    "100::1",
]
PUBLIC = ["93.184.216.34", "8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "2a00:1450:4001::200e"]


class Recorder:
    """An httpx transport that keeps every request instead of connecting anywhere."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(200, content=iter([b"video"]), headers={"Content-Type": "video/mp4"})

    def client(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self.handle))


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def dest(tmp_path: Path) -> Path:
    folder = tmp_path / "downloads"
    folder.mkdir()
    return folder


class Site(LocalServer):
    """Answers /video.mp4, and redirects /to?url=… wherever it is told."""

    @property
    def port(self) -> int:
        return int(self.url_of("").rsplit(":", 1)[1])

    @property
    def paths(self) -> list[str]:
        return [request.target for request in self.requests]

    def url_of(self, path: str, host: str = "127.0.0.1") -> str:
        return super().url.replace("127.0.0.1", host, 1) + path

    def answer(self, request: Request) -> Answer:
        if request.path == "/to":
            return 302, b"", {"Location": request.query["url"]}
        if request.path == "/video.mp4":
            return 200, b"video", {}
        return 404, b"not here", {}


@pytest.fixture(scope="module")
def server() -> Iterator[Site]:
    with Site() as site:
        yield site


@pytest.fixture
def site(server: Site) -> Site:
    server.requests.clear()
    return server


@pytest.fixture
def fake_dns(monkeypatch) -> dict[str, list[str]]:
    """Names added to the returned dict resolve to the given addresses through the resolver
    the guard uses, socket.getaddrinfo; other names as usual."""
    names: dict[str, list[str]] = {}
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host not in names:
            return real(host, port, *args, **kwargs)
        family = {True: socket.AF_INET6, False: socket.AF_INET}
        return [(family[":" in ip], socket.SOCK_STREAM, 6, "", (ip, port)) for ip in names[host]]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return names


@pytest.fixture
def first_hop_is_public(monkeypatch) -> None:
    real = fetch.is_public_address
    checked: list[object] = []

    def is_public_address(ip):
        checked.append(ip)
        return len(checked) == 1 or real(ip)

    monkeypatch.setattr(fetch, "is_public_address", is_public_address)


def get(url: str, dest: Path, **options: object):
    options = {"max_bytes": 1_000_000, "allow_private": False, "timeout": 5.0} | options
    return download(url, dest, **options)


def bracketed(ip: str) -> str:
    return f"[{ip}]" if ":" in ip else ip


# --- addresses --------------------------------------------------------------------------------


@pytest.mark.parametrize("ip", [ip for ips in PRIVATE_IPV4.values() for ip in ips] + PRIVATE_IPV6)
def test_no_private_or_reserved_address_counts_as_public(ip):
    assert not fetch.is_public_address(ipaddress.ip_address(ip.replace("%25", "%")))


@pytest.mark.parametrize("ip", PUBLIC)
def test_public_addresses_do(ip):
    assert fetch.is_public_address(ipaddress.ip_address(ip))


@pytest.mark.parametrize("ip", [ip for ips in PRIVATE_IPV4.values() for ip in ips] + PRIVATE_IPV6)
def test_a_link_to_a_private_address_is_refused_before_connecting(ip, dest, recorder):
    with pytest.raises(FetchRefused, match=PRIVATE):
        get(f"http://{bracketed(ip)}/video.mp4", dest, client=recorder.client())

    assert recorder.requests == []
    assert list(dest.iterdir()) == []


@pytest.mark.parametrize("host", ODD_LOOPBACK)
def test_odd_spellings_of_loopback_are_refused(host, site, dest):
    with pytest.raises(FetchRefused):
        get(f"http://{host}:{site.port}/video.mp4", dest)

    assert site.paths == []
    assert list(dest.iterdir()) == []


@pytest.mark.parametrize("ip", ["::1", "::ffff:127.0.0.1", "::ffff:7f00:1", "::"])
def test_bracketed_ipv6_loopback_with_a_port_is_refused(ip, site, dest):
    with pytest.raises(FetchRefused, match=PRIVATE):
        get(f"http://[{ip}]:{site.port}/video.mp4", dest)

    assert site.paths == []


def test_a_public_address_is_fetched_from_that_address(dest, recorder):
    get("https://93.184.216.34/v.mp4", dest, client=recorder.client())

    [request] = recorder.requests
    assert request.url.host == "93.184.216.34"


# --- names ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "host", ["localhost", "localhost.", "LOCALHOST", "LocalHost.", "api.localhost", "x.localhost."]
)
def test_localhost_names_are_refused_whatever_dns_says(host, site, dest):
    with pytest.raises(FetchRefused, match=PRIVATE):
        get(f"http://{host}:{site.port}/video.mp4", dest)

    assert site.paths == []
    assert list(dest.iterdir()) == []


@pytest.mark.parametrize("ip", ["127.0.0.1", "10.0.0.7", "::1", "169.254.169.254", "fd00::1"])
def test_a_name_that_resolves_to_a_private_address_is_refused(ip, site, dest, fake_dns):
    fake_dns["innocent.example"] = [ip]

    with pytest.raises(FetchRefused, match=PRIVATE):
        get(f"http://innocent.example:{site.port}/video.mp4", dest)

    assert site.paths == []


def test_a_name_is_resolved_once_and_connected_to_at_the_checked_address(
    dest, recorder, monkeypatch
):
    """DNS rebinding: a second lookup would say loopback; there must be no second lookup."""
    answers = iter([["93.184.216.34"], ["127.0.0.1"], ["127.0.0.1"]])
    asked: list[str] = []

    def getaddrinfo(host, port, *args, **kwargs):
        asked.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port)) for ip in next(answers)]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)

    get("https://rebind.example/v.mp4", dest, client=recorder.client())

    assert asked == ["rebind.example"]
    [request] = recorder.requests
    assert request.url.host == "93.184.216.34"
    assert request.headers["host"] == "rebind.example"


# --- redirects --------------------------------------------------------------------------------


REDIRECT_TARGETS = [
    "http://10.0.0.1/video.mp4",
    "http://169.254.169.254/latest/meta-data/",
    "http://127.0.0.1:{port}/video.mp4",
    "http://localhost:{port}/video.mp4",
    "http://localhost.:{port}/video.mp4",
    "http://2130706433:{port}/video.mp4",
    "http://0x7f000001:{port}/video.mp4",
    "http://127.1:{port}/video.mp4",
    "http://[::1]:{port}/video.mp4",
    "http://[::ffff:127.0.0.1]:{port}/video.mp4",
    "http://[::ffff:7f00:1]:{port}/video.mp4",
    "http://[fd00::1]/video.mp4",
    "http://[64:ff9b::7f00:1]/video.mp4",
    "http://rebound.example:{port}/video.mp4",
]


@pytest.mark.parametrize("target", REDIRECT_TARGETS)
def test_a_redirect_to_a_private_address_is_refused(
    target, site, dest, fake_dns, first_hop_is_public
):
    fake_dns["cdn.example"] = ["127.0.0.1"]
    fake_dns["rebound.example"] = ["127.0.0.1"]
    location = target.format(port=site.port)

    with pytest.raises(FetchRefused, match=PRIVATE):
        get(site.url_of(f"/to?url={location}", host="cdn.example"), dest)

    assert [urlsplit(p).path for p in site.paths] == ["/to"]
    assert list(dest.iterdir()) == []


@pytest.mark.parametrize(
    ("target", "words"),
    [
        ("file:///etc/passwd", "Only http and https"),
        ("gopher://127.0.0.1:70/_x", "Only http and https"),
        ("http://user:pw@example.com/v.mp4", "user name or password"),
    ],
)
def test_a_redirect_to_another_scheme_or_to_userinfo_is_refused(
    target, words, site, dest, first_hop_is_public
):
    with pytest.raises(FetchRefused, match=words):
        get(site.url_of(f"/to?url={target}"), dest)

    assert [urlsplit(p).path for p in site.paths] == ["/to"]


def test_a_redirect_within_the_public_server_is_followed(site, dest, fake_dns, monkeypatch):
    # Every hop goes to the loopback server; only the guard is told it is public.
    monkeypatch.setattr(fetch, "is_public_address", lambda ip: True)
    fake_dns["cdn.example"] = ["127.0.0.1"]

    result = get(site.url_of("/to?url=/video.mp4", host="cdn.example"), dest)

    assert result.path.read_bytes() == b"video"


# --- links ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http://good@127.0.0.1/video.mp4", "user name or password"),
        ("http://good.example@127.0.0.1/video.mp4", "user name or password"),
        ("http://127.0.0.1:80\\@good.example/video.mp4", "user name or password"),
        ("http://:@127.0.0.1/video.mp4", "user name or password|private"),
        ("file:///etc/passwd", "Only http and https"),
        ("ftp://example.com/v.mp4", "Only http and https"),
        ("gopher://127.0.0.1:70/_GET", "Only http and https"),
        ("dict://127.0.0.1:11211/stat", "Only http and https"),
        ("ldap://127.0.0.1/", "Only http and https"),
        ("jar:http://example.com/v.jar!/", "Only http and https"),
        ("javascript:alert(1)", "Only http and https"),
        ("data:video/mp4;base64,AAAA", "Only http and https"),
        ("//127.0.0.1/video.mp4", "not a web link"),
        ("http://example.com:99999/v.mp4", "not a valid web link"),
        ("http://example.com:0/v.mp4", "not a valid web link"),
        ("http://" + "a" * 300 + ".example/v.mp4", "not a valid web link"),
        ("https://example.com/" + "a" * 10_000, "characters long"),
        ("https://example.com/v.mp4?sig=" + "b" * 100_000, "characters long"),
        ("http://127.0.0.1#@good.example/video.mp4", PRIVATE),
        ("http://127.0.0.1%2523@good.example/", "not a valid web link|private|user name"),
    ],
)
def test_tricky_links_are_refused(url, words, dest, recorder):
    with pytest.raises(FetchRefused, match=words):
        get(url, dest, client=recorder.client())

    assert recorder.requests == []
    assert list(dest.iterdir()) == []


def test_a_long_but_reasonable_presigned_link_is_accepted(dest, recorder):
    url = "https://93.184.216.34/v.mp4?X-Amz-Signature=" + "f" * 2000

    get(url, dest, client=recorder.client())

    assert len(recorder.requests) == 1
