"""Signed media answers byte ranges (RFC 9110 §14), so players can seek: one range gets 206
and exactly its bytes, a range past the end 416, anything else the whole file with 200."""

import pytest
from django.core.files.base import ContentFile
from django.utils.http import http_date

from avatars.byte_ranges import ByteRange, Unsatisfiable, parse
from avatars.media_urls import media_url
from tests.files import mp4_bytes

SIZE = 1000


@pytest.mark.parametrize(
    ("header", "wanted"),
    [
        ("bytes=0-0", ByteRange(0, 0)),
        ("bytes=100-199", ByteRange(100, 199)),
        ("bytes=100-", ByteRange(100, 999)),
        ("bytes=900-5000", ByteRange(900, 999)),
        ("bytes=-200", ByteRange(800, 999)),
        ("bytes=-5000", ByteRange(0, 999)),
        ("BYTES = 5 - 9 ", ByteRange(5, 9)),
        ("bytes=999-999", ByteRange(999, 999)),
    ],
)
def test_one_range_is_read(header, wanted):
    assert parse(header, SIZE) == wanted


@pytest.mark.parametrize(
    "header",
    [
        "bytes=0-1,5-6",  # several ranges: the whole file instead
        "bytes=200-100",  # last before first: invalid
        "bytes=-",
        "bytes=abc",
        "bytes=1-2-3",
        "items=0-10",
        "bytes 0-10",
        "",
    ],
)
def test_anything_but_one_readable_range_means_the_whole_file(header):
    assert parse(header, SIZE) is None


@pytest.mark.parametrize(
    ("header", "size"),
    [
        ("bytes=1000-", SIZE),
        ("bytes=1000-2000", SIZE),
        ("bytes=-0", SIZE),
        ("bytes=0-", 0),
        ("bytes=-10", 0),
        ("bytes=" + "9" * 5000 + "-", SIZE),
    ],
)
def test_a_range_past_the_end_is_unsatisfiable(header, size):
    with pytest.raises(Unsatisfiable):
        parse(header, size)


@pytest.fixture
def video(acme, asset_factory):
    """A finished render's video on local media, and its bytes."""
    job = asset_factory.job(acme, duration_seconds=2.0)
    job.video.save("video.mp4", ContentFile(mp4_bytes(2.0)), save=True)
    with job.video.open("rb") as stored:
        return job.video, stored.read()


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_a_range_is_answered_with_206_and_exactly_its_bytes(client, video):
    field, data = video

    response = client.get(media_url(field), headers={"Range": "bytes=100-1099"})

    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 100-1099/{len(data)}"
    assert response["Content-Length"] == "1000"
    assert response["Accept-Ranges"] == "bytes"
    assert response["Content-Type"] == "video/mp4"
    assert body(response) == data[100:1100]


def test_the_tail_and_an_open_range_come_to_the_end_of_the_file(client, video):
    field, data = video

    tail = client.get(media_url(field), headers={"Range": "bytes=-300"})
    rest = client.get(media_url(field), headers={"Range": f"bytes={len(data) - 10}-"})

    assert tail["Content-Range"] == f"bytes {len(data) - 300}-{len(data) - 1}/{len(data)}"
    assert body(tail) == data[-300:]
    assert body(rest) == data[-10:]


def test_without_a_range_the_whole_file_comes_with_accept_ranges(client, video):
    field, data = video

    response = client.get(media_url(field))

    assert response.status_code == 200
    assert response["Accept-Ranges"] == "bytes"
    assert response["Content-Length"] == str(len(data))
    assert "Content-Range" not in response
    assert body(response) == data


def test_a_range_past_the_end_is_416_with_the_size(client, video):
    field, data = video

    response = client.get(media_url(field), headers={"Range": f"bytes={len(data)}-"})

    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{len(data)}"
    assert body(response) == b""


def test_several_ranges_get_the_whole_file(client, video):
    field, data = video

    response = client.get(media_url(field), headers={"Range": "bytes=0-9,20-29"})

    assert response.status_code == 200
    assert body(response) == data


def test_head_gives_the_headers_of_get_without_the_body(client, video):
    field, data = video

    whole = client.head(media_url(field))
    part = client.head(media_url(field), headers={"Range": "bytes=10-19"})

    assert whole.status_code == 200 and part.status_code == 206
    assert whole["Content-Length"] == str(len(data)) and whole["Accept-Ranges"] == "bytes"
    assert part["Content-Range"] == f"bytes 10-19/{len(data)}" and part["Content-Length"] == "10"
    assert body(whole) == body(part) == b""


def test_if_range_gets_the_part_only_while_the_file_is_unchanged(client, video):
    field, data = video
    same = http_date(field.storage.get_modified_time(field.name).timestamp())

    unchanged = client.get(media_url(field), headers={"Range": "bytes=0-9", "If-Range": same})
    changed = client.get(
        media_url(field),
        headers={"Range": "bytes=0-9", "If-Range": "Tue, 01 Jan 2019 00:00:00 GMT"},
    )
    etag = client.get(media_url(field), headers={"Range": "bytes=0-9", "If-Range": '"abc"'})

    assert unchanged["Last-Modified"] == same
    assert unchanged.status_code == 206 and body(unchanged) == data[:10]
    assert changed.status_code == etag.status_code == 200
    assert body(changed) == data


def test_a_download_link_keeps_its_name_on_a_range(client, video):
    field, data = video

    response = client.get(
        media_url(field, download="render-1.mp4"), headers={"Range": "bytes=0-99"}
    )

    assert response.status_code == 206
    assert response["Content-Disposition"] == 'attachment; filename="render-1.mp4"'
    assert body(response) == data[:100]


def test_other_methods_are_refused(client, video):
    field, _ = video

    assert client.post(media_url(field)).status_code == 405
