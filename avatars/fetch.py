"""Download a provider's result file without letting its link reach into our own network.

The host name is resolved here and every address it resolves to is checked; the request then
goes to the checked address itself, with the original Host header and TLS server name, so a
DNS answer that changes between the check and the connection (DNS rebinding) cannot steer it
elsewhere. Redirects are followed one at a time, each target checked the same way. The headers
a caller adds (a provider's key) go only to the link's own origin, never where a redirect
leads elsewhere. The body is streamed to a file in the caller's folder and never held in
memory.

A plain helper: no Django, so it can be tested and reused alone.
"""

import ipaddress
import logging
import socket
import ssl
import tempfile
import time
from collections.abc import Callable, Mapping
from contextlib import nullcontext
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import IO

import httpx

from avatars.httputil import retry_after

logger = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

CONNECT_TIMEOUT = 10.0
CHUNK_BYTES = 64 * 1024
USER_AGENT = "AvatarStudio-result-fetcher/1"
DEFAULT_PORTS = {"http": 80, "https": 443}
REDIRECT_STATUSES = {301, 302, 303, 307, 308}
GONE_STATUSES = {403, 404, 410}
RETRYABLE_STATUSES = {408, 425, 429}

# Named as well as checked through the ipaddress flags, because Python releases disagree on
# which of these count as private or global.
BLOCKED_NETWORKS = tuple(
    ipaddress.ip_network(network)
    for network in (
        "0.0.0.0/8",
        "100.64.0.0/10",
        "169.254.0.0/16",
        # IETF protocol assignments: Python 3.11 counts parts of it (192.0.0.8) as global.
        "192.0.0.0/24",
        # The deprecated 6to4 relay anycast range, which relays to wherever it is routed.
        "192.88.99.0/24",
        "fc00::/7",
        "fe80::/10",
    )
)
# Names that mean this machine whatever DNS says (RFC 6761), resolved here without asking it.
LOCALHOST_NAMES = ("localhost", ".localhost")
LOCALHOST_ADDRESSES = (ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1"))
# Presigned links are a few hundred characters; anything far longer is not a result link.
MAX_URL_CHARS = 8192
MAX_HOST_CHARS = 253
# IPv6 forms that carry an IPv4 address in their last 32 bits and may be routed to it.
_IPV4_CARRIERS = (ipaddress.ip_network("::/96"), ipaddress.ip_network("64:ff9b::/96"))


class FetchRefused(Exception):
    """The link may not be downloaded: trying again cannot help."""


class FetchGone(FetchRefused):
    """The server says the file is not there (any more): the link expired or was removed."""


class FetchFailed(Exception):
    """The download did not work this time; it may work when tried again later."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass
class Downloaded:
    path: Path
    size: int
    content_type: str
    # The full URL, query included: signed links carry their signature there, so show it
    # to people and logs only through display_url().
    final_url: str


def display_url(url: str | httpx.URL) -> str:
    """scheme://host/path of a link, without the query or user info that may hold secrets."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        return "(an invalid link)"
    if not parsed.host:
        return f"{parsed.scheme}:" if parsed.scheme else "(a link without a server)"
    return f"{parsed.scheme}://{parsed.netloc.decode('ascii')}{parsed.path}"


def is_public_address(ip: IPAddress) -> bool:
    """Whether an address is on the public internet, and so safe for the fetcher to reach."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(ip)
        if embedded is not None and not is_public_address(embedded):
            return False
    return not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
        or any(ip in network for network in BLOCKED_NETWORKS)
    )


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if any(ip in network for network in _IPV4_CARRIERS):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def download(
    url: str,
    dest_dir: Path,
    *,
    max_bytes: int,
    allow_private: bool | Callable[[httpx.URL], bool],
    timeout: float = 30.0,
    max_redirects: int = 3,
    client: httpx.Client | None = None,
    quiet: bool = False,
    headers: Mapping[str, str] | None = None,
) -> Downloaded:
    """Stream the file at `url` into a new file in `dest_dir` and describe it.

    Raises FetchRefused (or its FetchGone) when the link must not or cannot be downloaded,
    and FetchFailed when trying again later may work. Nothing is left in `dest_dir` on failure.
    `timeout` bounds each wait for data, not the whole download. A `client` passed in is only
    used to send requests: its headers, cookies, auth and redirect settings are not applied.
    `allow_private` may be a function of each hop's URL, redirects included, rather than one
    answer for all. `quiet` logs nothing, for callers that report in their own words (and
    links whose path is itself a secret).
    `headers` (credentials, say) are sent with the requests to `url`'s own origin (scheme,
    host and port) only: a redirect to any other server gets none of them.
    """
    current = first = _checked_url(url)
    with nullcontext(client) if client is not None else _new_client() as http:
        try:
            for _ in range(max_redirects + 1):
                private = allow_private(current) if callable(allow_private) else allow_private
                extra = headers if _origin(current) == _origin(first) else None
                response = _send(http, current, allow_private=private, timeout=timeout, extra=extra)
                try:
                    if response.status_code not in REDIRECT_STATUSES:
                        _raise_for_status(response, current)
                        return _save(response, current, dest_dir, max_bytes, quiet)
                    current = _redirect_target(response, current)
                finally:
                    response.close()
                if not quiet:
                    logger.info("Following a redirect to %s", display_url(current))
        except httpx.TimeoutException as exc:
            raise _timed_out(exc, current, timeout) from None
        except httpx.TransportError as exc:
            raise FetchFailed(
                f"The connection to {current.host} broke off before the download was complete "
                f"({exc or type(exc).__name__})."
            ) from None
    raise FetchRefused(
        f"The link redirected more than {max_redirects} times; it was not followed further "
        f"(last stop: {display_url(current)})."
    )


def check_target(url: str, *, allow_private: bool) -> None:
    """Raise FetchRefused if `url` is not one this module would reach (for refusing it when
    it is given rather than at its first use); a DNS failure now is not a refusal."""
    target = _checked_url(url)
    if allow_private:
        return
    try:
        addresses = _resolve(target)
    except FetchFailed:
        return
    for ip in addresses:
        if not is_public_address(ip):
            raise FetchRefused(
                f"The link {display_url(target)} leads to a private or internal network "
                f"address ({ip}); only public internet addresses are reached."
            )


@dataclass(frozen=True)
class Posted:
    status: int
    excerpt: str  # the start of the answer's body, as text
    seconds: float


def post(
    url: str,
    body: bytes,
    *,
    headers: Mapping[str, str],
    allow_private: bool,
    timeout: float = 10.0,
    max_excerpt_bytes: int = 2048,
) -> Posted:
    """POST `body` to `url` under the same address checks as a download; no redirects are
    followed (a 3xx is an answer like any other) and only the answer's first bytes are read.

    Raises FetchRefused when the URL must not be reached, FetchFailed when it could not be.
    """
    target = _checked_url(url)
    started = time.monotonic()
    with _new_client() as http:
        try:
            response = _send(
                http,
                target,
                allow_private=allow_private,
                timeout=timeout,
                extra=headers,
                method="POST",
                content=body,
            )
            try:
                excerpt = b""
                for chunk in response.iter_raw(max_excerpt_bytes):
                    excerpt = chunk[:max_excerpt_bytes]
                    break
            finally:
                response.close()
        except httpx.TimeoutException as exc:
            raise _timed_out(exc, target, timeout) from None
        except httpx.TransportError as exc:
            raise FetchFailed(
                f"The connection to {target.host} broke off ({exc or type(exc).__name__})."
            ) from None
    return Posted(
        response.status_code, excerpt.decode("utf-8", "replace"), time.monotonic() - started
    )


@cache
def _tls_context() -> ssl.SSLContext:
    # Loading the CA bundle takes ~20 ms; one context serves every download.
    return ssl.create_default_context()


def _new_client() -> httpx.Client:
    # Not from the environment: a proxy would connect in our place, to addresses we never saw.
    # No keep-alive: a later hop could reuse a connection made for another host name.
    return httpx.Client(
        trust_env=False,
        verify=_tls_context(),
        limits=httpx.Limits(max_keepalive_connections=0),
    )


def _checked_url(raw: str) -> httpx.URL:
    if isinstance(raw, str) and len(raw) > MAX_URL_CHARS:
        raise FetchRefused(
            f"This link is {len(raw):,} characters long, more than the {MAX_URL_CHARS:,} "
            "accepted; it is not a link to a result file."
        )
    try:
        url = httpx.URL(raw)
        port = url.port
    except (httpx.InvalidURL, TypeError, ValueError):
        raise FetchRefused("This is not a valid web link.") from None
    if url.scheme not in DEFAULT_PORTS:
        if not url.scheme:
            raise FetchRefused(
                "This is not a web link: it does not start with http:// or https://."
            )
        raise FetchRefused(
            f"Only http and https links can be downloaded; this one starts with “{url.scheme}:”."
        )
    if not url.host:
        raise FetchRefused(f"The link {display_url(url)} names no server.")
    if len(url.raw_host) > MAX_HOST_CHARS or (port is not None and not 0 < port < 65536):
        raise FetchRefused("This is not a valid web link: its server name or port is impossible.")
    if url.userinfo:
        raise FetchRefused(
            f"Links with a user name or password in them are not accepted ({display_url(url)})."
        )
    return url


def _redirect_target(response: httpx.Response, current: httpx.URL) -> httpx.URL:
    location = response.headers.get("location", "").strip()
    if not location:
        raise FetchRefused(
            f"The server at {display_url(current)} redirected without saying where to."
        )
    try:
        target = current.join(location)
    except httpx.InvalidURL:
        raise FetchRefused(
            f"The server at {display_url(current)} redirected to an invalid link."
        ) from None
    return _checked_url(str(target))


def _resolve(url: httpx.URL) -> list[IPAddress]:
    host = url.raw_host.decode("ascii")
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    name = host.lower().rstrip(".")
    if name == LOCALHOST_NAMES[0] or name.endswith(LOCALHOST_NAMES[1]):
        return list(LOCALHOST_ADDRESSES)
    port = url.port or DEFAULT_PORTS[url.scheme]
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise FetchFailed(f"The server {url.host} could not be found (no DNS answer).") from None
    addresses: list[IPAddress] = []
    for *_, sockaddr in infos:
        ip = ipaddress.ip_address(sockaddr[0])
        if ip not in addresses:
            addresses.append(ip)
    if not addresses:
        raise FetchFailed(f"The server {url.host} could not be found (no DNS answer).")
    return addresses


def _origin(url: httpx.URL) -> tuple[str, str, int]:
    return url.scheme, url.host, url.port or DEFAULT_PORTS[url.scheme]


def _send(
    http: httpx.Client,
    url: httpx.URL,
    *,
    allow_private: bool,
    timeout: float,
    extra: Mapping[str, str] | None = None,
    method: str = "GET",
    content: bytes | None = None,
) -> httpx.Response:
    """Check every address of the URL's host, then request it from the first one that answers."""
    addresses = _resolve(url)
    if not allow_private:
        for ip in addresses:
            if not is_public_address(ip):
                raise FetchRefused(
                    f"The link {display_url(url)} leads to a private or internal network address "
                    f"({ip}); only public internet addresses are downloaded from."
                )
    host = url.raw_host.decode("ascii")
    ours = {
        "Host": url.netloc.decode("ascii"),
        "User-Agent": USER_AGENT,
        "Accept": "*/*",
        # Counting raw bytes against max_bytes only works if they are not compressed.
        "Accept-Encoding": "identity",
    }
    # A caller's headers add to ours, never replace them.
    taken = {name.lower() for name in ours}
    headers = {k: v for k, v in (extra or {}).items() if k.lower() not in taken} | ours
    extensions = {
        "timeout": httpx.Timeout(timeout, connect=CONNECT_TIMEOUT).as_dict(),
        "sni_hostname": host,
    }
    error: httpx.ConnectError | None = None
    for ip in addresses:
        request = httpx.Request(
            method,
            url.copy_with(host=str(ip)),
            headers=headers,
            content=content,
            extensions=extensions,
        )
        try:
            return http.send(request, stream=True, follow_redirects=False, auth=None)
        except httpx.ConnectError as exc:
            if _is_certificate_error(exc):
                raise FetchRefused(
                    f"The server {url.host} does not have a valid security certificate for its "
                    "name, so the download was not attempted."
                ) from None
            error = exc
    raise FetchFailed(f"Could not connect to the server {url.host} ({error}).")


def _is_certificate_error(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _raise_for_status(response: httpx.Response, url: httpx.URL) -> None:
    status = response.status_code
    if status == 200:
        return
    answer = f"HTTP {status} {response.reason_phrase}".strip()
    if status in GONE_STATUSES:
        raise FetchGone(
            f"The file at {display_url(url)} is no longer available ({answer}): "
            "the link has expired or the file was removed."
        )
    if status in RETRYABLE_STATUSES or status >= 500:
        wait = retry_after(response.headers)
        later = f"it asks to wait {wait:.0f} s" if wait is not None else "try again later"
        raise FetchFailed(
            f"The server at {url.host} is busy or failing ({answer}); {later}.",
            retry_after=wait,
        )
    raise FetchRefused(f"The server at {display_url(url)} answered {answer} instead of the file.")


def _timed_out(exc: httpx.TimeoutException, url: httpx.URL, timeout: float) -> FetchFailed:
    if isinstance(exc, httpx.ConnectTimeout):
        return FetchFailed(
            f"The server {url.host} did not accept a connection within {CONNECT_TIMEOUT:.0f} s."
        )
    return FetchFailed(
        f"The server {url.host} sent nothing for {timeout:g} s, so the download was stopped."
    )


def _save(
    response: httpx.Response, url: httpx.URL, dest_dir: Path, max_bytes: int, quiet: bool
) -> Downloaded:
    announced = response.headers.get("content-length", "").strip()
    if announced.isdigit() and int(announced) > max_bytes:
        raise FetchRefused(
            f"The file at {display_url(url)} is {_size(int(announced))}, more than the "
            f"{_size(max_bytes)} allowed."
        )
    encoding = response.headers.get("content-encoding", "identity").strip().lower()
    if encoding not in ("", "identity"):
        raise FetchRefused(
            f"The server at {display_url(url)} sent the file compressed ({encoding}), "
            "which is not accepted."
        )
    with tempfile.NamedTemporaryFile(
        dir=dest_dir, prefix="download-", suffix=".part", delete=False
    ) as out:
        path = Path(out.name)
        try:
            size = _copy(response, out, max_bytes, url)
        except BaseException:
            out.close()
            path.unlink(missing_ok=True)
            raise
    content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if not quiet:
        logger.info(
            "Downloaded %s (%d bytes, %s)", display_url(url), size, content_type or "no type"
        )
    return Downloaded(path=path, size=size, content_type=content_type, final_url=str(url))


def _copy(response: httpx.Response, out: IO[bytes], max_bytes: int, url: httpx.URL) -> int:
    size = 0
    for chunk in response.iter_raw(CHUNK_BYTES):
        size += len(chunk)
        if size > max_bytes:
            raise FetchRefused(
                f"The file at {display_url(url)} is larger than the {_size(max_bytes)} allowed; "
                "the download was stopped."
            )
        out.write(chunk)
    return size


def _size(size: int) -> str:
    if size < 1_000_000:
        return f"{size:,} bytes"
    if size < 1_000_000_000:
        return f"{size / 1_000_000:.1f} MB"
    return f"{size / 1_000_000_000:,.1f} GB"
