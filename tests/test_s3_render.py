"""Renders with their results on S3: the whole pipeline, and a big result streamed in parts."""

import contextlib
import functools
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from avatars import render
from avatars.media_urls import media_url
from tests.files import mp4_bytes
from tests.helpers.jobs import request_speech, wait_for
from tests.helpers.videos import write_padded_mp4
from tests.s3 import object_keys

MB = 1024 * 1024
BIG_RESULT = 200 * MB
# Generous: four 8 MB parts in flight need about 50 MB; the whole result would need 200 MB.
MEMORY_BOUND = 96 * MB


def test_a_render_stores_its_video_and_poster_in_the_bucket_and_plays_from_there(
    acme, asset_factory, s3_server, s3_storage, sandbox, embedded_worker
):
    job = wait_for(request_speech(asset_factory, acme, provider="sandbox"))

    assert job.status == "succeeded", job.error_message
    keys = object_keys(s3_server, s3_storage)
    assert job.video.name in keys and job.poster.name in keys
    assert job.video.name.startswith(f"renders/{acme.pk}/{job.key.hex}/")
    assert job.duration_seconds > 0.5
    head = s3_server.client().head_object(Bucket=s3_storage, Key=job.video.name)
    assert head["ContentType"] == "video/mp4"
    played = httpx.get(media_url(job.video), headers={"Range": "bytes=0-11"})
    assert played.status_code == 206
    assert played.content[4:8] == b"ftyp"
    poster = httpx.get(media_url(job.poster))
    assert poster.content.startswith(b"\xff\xd8")


@pytest.fixture
def file_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A plain HTTP server on 127.0.0.1 serving a folder: where a provider keeps its results."""
    folder = tmp_path / "served"
    folder.mkdir()
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *args: None
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="results", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", folder
    server.shutdown()
    server.server_close()


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise LookupError(field)


def test_a_big_result_streams_into_the_bucket_in_parts_without_being_held_in_memory(
    acme, asset_factory, s3_server, s3_storage, file_server, settings
):
    settings.FETCH_ALLOW_PRIVATE = True
    url, folder = file_server
    write_padded_mp4(folder / "big.mp4", BIG_RESULT, mp4_bytes(1.0))
    job = asset_factory.job(acme, status="storing", result_url=f"{url}/big.mp4")

    # Start the peak-RSS count afresh (Linux), so that it measures the store alone.
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")
    before = _status_kb("VmRSS")
    render.store(job.pk)
    growth = (_status_kb("VmHWM") - before) * 1024

    job.refresh_from_db()
    assert job.status == "succeeded", job.error_message
    head = s3_server.client().head_object(Bucket=s3_storage, Key=job.video.name)
    assert head["ContentLength"] == BIG_RESULT
    assert head["ETag"].strip('"').rsplit("-", 1)[1].isdigit(), "a multipart upload"
    print(f"\npeak RSS growth storing {BIG_RESULT // MB} MB into S3: {growth / MB:.1f} MB")
    assert growth < MEMORY_BOUND
