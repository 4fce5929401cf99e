"""S3-compatible storage for tests: moto_server on 127.0.0.1, behind a gate that checks links.

`moto_server` speaks S3 (buckets, multipart uploads, ACLs, ranges, refusing anonymous reads
of private objects) but accepts any presigned link, whatever its signature or age. The gate,
a small proxy in front of it, checks the Signature V4 and the expiry of presigned links the
way S3 does and passes everything else through unchanged, so a forged or expired link fails
here as it would on AWS. Requests signed in headers (the SDK's own) are not re-checked.

The `s3_storage` fixture points Django's default storage at a fresh bucket for one test.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import hmac
import http.client
import itertools
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, quote, urlsplit

import boto3
import httpx
import pytest

ACCESS_KEY = "testing-access-key"
SECRET_KEY = "testing-secret-key"
REGION = "us-east-1"
CHUNK_BYTES = 64 * 1024
# Headers that describe one hop of a connection, not the message.
HOP_HEADERS = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade"}
_buckets = itertools.count(1)


@dataclass(frozen=True)
class S3Server:
    endpoint: str  # the gate: what the app and its links use
    moto: str  # moto_server itself, behind the gate

    def client(self):  # -> botocore S3 client
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
        )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_answering(url: str, process: subprocess.Popen, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"moto_server exited with {process.returncode}")
        with contextlib.suppress(httpx.HTTPError):
            httpx.get(f"{url}/moto-api/", timeout=1.0)
            return
        time.sleep(0.1)
    raise RuntimeError(f"moto_server did not answer at {url} within {timeout:.0f} s")


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """moto_server and its gate on free ports of 127.0.0.1, for the whole session."""
    port = free_port()
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        "AWS_DEFAULT_REGION": REGION,
    }
    binary = Path(sys.executable).with_name("moto_server")
    process = subprocess.Popen(
        [str(binary), "-H", "127.0.0.1", "-p", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    moto = f"http://127.0.0.1:{port}"
    gate = Gate(("127.0.0.1", 0), ("127.0.0.1", port))
    thread = threading.Thread(target=gate.serve_forever, name="s3-gate", daemon=True)
    try:
        _wait_until_answering(moto, process)
        thread.start()
        yield S3Server(endpoint=f"http://127.0.0.1:{gate.server_address[1]}", moto=moto)
    finally:
        if thread.is_alive():
            gate.shutdown()
        gate.server_close()
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture
def s3_storage(s3_server: S3Server, settings, monkeypatch) -> Iterator[str]:
    """Django's default storage on a new, empty bucket, configured as MEDIA_STORAGE=s3 would.

    Yields the bucket's name. Overriding STORAGES resets Django's cached storage objects
    (django.test.signals), so FileFields, which hold the lazy default_storage, follow.
    """
    from project import settings as project_settings

    bucket = f"media-{os.getpid()}-{next(_buckets)}"
    for name, value in {
        "AWS_STORAGE_BUCKET_NAME": bucket,
        "AWS_S3_ENDPOINT_URL": s3_server.endpoint,
        "AWS_S3_REGION_NAME": REGION,
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ACCESS_KEY_ID_FILE", raising=False)
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY_FILE", raising=False)
    client = s3_server.client()
    client.create_bucket(Bucket=bucket)
    settings.MEDIA_STORAGE = "s3"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": project_settings.s3_media_storage(settings.MEDIA_URL_MAX_AGE),
    }
    yield bucket
    for key in object_keys(s3_server, bucket):
        client.delete_object(Bucket=bucket, Key=key)
    client.delete_bucket(Bucket=bucket)


def object_keys(server: S3Server, bucket: str) -> list[str]:
    pages = server.client().get_paginator("list_objects_v2").paginate(Bucket=bucket)
    return sorted(item["Key"] for page in pages for item in page.get("Contents", []))


# --- the gate ---------------------------------------------------------------------------------


def presigned_problem(method: str, host: str, target: str, now: datetime.datetime) -> str:
    """Why S3 would refuse this Signature V4 presigned request ("" if it would not)."""
    path, _, query = target.partition("?")
    params = parse_qsl(query, keep_blank_values=True)
    given = dict(params)
    try:
        signed_at = datetime.datetime.strptime(given["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(
            tzinfo=datetime.UTC
        )
        lifetime = int(given["X-Amz-Expires"])
        key_id, day, region, service, _ = given["X-Amz-Credential"].split("/")
        signed_headers = given["X-Amz-SignedHeaders"]
    except (KeyError, ValueError):
        return "AuthorizationQueryParametersError"
    if key_id != ACCESS_KEY:
        return "InvalidAccessKeyId"
    if now > signed_at + datetime.timedelta(seconds=lifetime):
        return "Request has expired"
    canonical_query = "&".join(
        f"{_encode(k)}={_encode(v)}" for k, v in sorted(params) if k != "X-Amz-Signature"
    )
    headers = {"host": host}
    canonical = "\n".join(
        [
            method,
            path,
            canonical_query,
            "".join(f"{name}:{headers.get(name, '')}\n" for name in signed_headers.split(";")),
            signed_headers,
            "UNSIGNED-PAYLOAD",
        ]
    )
    scope = f"{day}/{region}/{service}/aws4_request"
    to_sign = "\n".join(
        [
            "AWS4-HMAC-SHA256",
            given["X-Amz-Date"],
            scope,
            hashlib.sha256(canonical.encode()).hexdigest(),
        ]
    )
    key = f"AWS4{SECRET_KEY}".encode()
    for part in (day, region, service, "aws4_request"):
        key = hmac.digest(key, part.encode(), "sha256")
    expected = hmac.new(key, to_sign.encode(), "sha256").hexdigest()
    if not hmac.compare_digest(expected, given.get("X-Amz-Signature", "")):
        return "SignatureDoesNotMatch"
    return ""


def _encode(value: str) -> str:
    return quote(value, safe="-_.~")


class Gate(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], upstream: tuple[str, int]) -> None:
        super().__init__(address, _GateHandler)
        self.upstream = upstream


class _GateHandler(BaseHTTPRequestHandler):
    server: Gate
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _handle(self) -> None:
        if "X-Amz-Signature=" in urlsplit(self.path).query:
            problem = presigned_problem(
                self.command,
                self.headers.get("Host", ""),
                self.path,
                datetime.datetime.now(datetime.UTC),
            )
            if problem:
                self._refuse(problem)
                return
        self._forward()

    do_GET = do_HEAD = do_PUT = do_POST = do_DELETE = _handle

    def _refuse(self, problem: str) -> None:
        body = f"<Error><Code>AccessDenied</Code><Message>{problem}</Message></Error>".encode()
        self.send_response(403)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _forward(self) -> None:
        upstream = http.client.HTTPConnection(*self.server.upstream, timeout=60)
        try:
            upstream.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
            for name, value in self.headers.items():
                if name.lower() not in HOP_HEADERS:
                    upstream.putheader(name, value)
            upstream.endheaders()
            left = int(self.headers.get("Content-Length") or 0)
            while left > 0:
                chunk = self.rfile.read(min(left, CHUNK_BYTES))
                if not chunk:
                    break
                upstream.send(chunk)
                left -= len(chunk)
            response = upstream.getresponse()
            self.send_response_only(response.status, response.reason)
            for name, value in response.getheaders():
                if name.lower() not in HOP_HEADERS and name.lower() not in ("server", "date"):
                    self.send_header(name, value)
            if response.getheader("Content-Length") is None and self.command != "HEAD":
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            if self.command != "HEAD":
                while chunk := response.read(CHUNK_BYTES):
                    self.wfile.write(chunk)
        finally:
            upstream.close()
