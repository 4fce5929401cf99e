"""JSON log lines, each naming the render job it concerns, from workers and callbacks alike."""

import io
import json
import logging
import sys

import pytest

from avatars.observability.context import job_id
from avatars.observability.logs import JobIdFilter, JsonFormatter
from tests.helpers.jobs import request_speech, wait_for
from tests.helpers.settling import settle


def record(message: str, *args: object, **fields: object) -> logging.LogRecord:
    made = logging.LogRecord("avatars.render", logging.INFO, __file__, 1, message, args, None)
    made.__dict__.update(fields)
    return made


def test_a_line_has_time_level_logger_message_and_job_id():
    line = json.loads(JsonFormatter().format(record("job %s: %s", 7, "queued", job_id=7)))

    assert set(line) == {"time", "level", "logger", "message", "job_id"}
    assert line["message"] == "job 7: queued"
    assert (line["level"], line["logger"], line["job_id"]) == ("INFO", "avatars.render", 7)
    assert line["time"].endswith("+00:00")


def test_a_line_outside_any_job_has_no_job_id():
    line = json.loads(JsonFormatter().format(record("started")))

    assert "job_id" not in line


def test_the_filter_takes_the_job_id_from_context():
    token = job_id.set(42)
    try:
        tagged = record("working")
        JobIdFilter().filter(tagged)
    finally:
        job_id.reset(token)
    untagged = record("idle")
    JobIdFilter().filter(untagged)

    assert tagged.job_id == 42
    assert untagged.job_id is None


def test_an_exception_is_one_line_and_url_secrets_are_redacted():
    try:
        raise ValueError("no")
    except ValueError:
        failed = record("Not Found: /m/s3cr3t-token/?sig=abc", exc_info=sys.exc_info())
        failed.exc_info = sys.exc_info()

    text = JsonFormatter().format(failed)

    assert "\n" not in text
    line = json.loads(text)
    assert line["message"] == "Not Found: /m/[redacted]/"
    assert "ValueError: no" in line["exception"]


@pytest.fixture
def json_log_lines():
    """Every line logged at INFO and above, formatted as production formats it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(JobIdFilter())
    root = logging.getLogger()
    previous_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield lambda: [line for line in stream.getvalue().splitlines() if line]
    root.removeHandler(handler)
    root.setLevel(previous_level)


def test_every_line_of_a_render_carries_its_job_id(
    fake_crun, embedded_worker, asset_factory, acme, json_log_lines
):
    job = request_speech(asset_factory, acme, provider="crun")
    wait_for(job)
    settle(fake_crun)
    lines = [json.loads(line) for line in json_log_lines()]

    assert job.status == "succeeded"
    assert {line["job_id"] for line in lines} == {job.pk}
    loggers = {line["logger"] for line in lines}
    # The worker's steps, the download of the result, and the callback Crun sent.
    assert {"avatars.render", "avatars.fetch"} <= loggers
    assert any("Downloaded" in line["message"] for line in lines)


def test_a_callback_logs_with_the_job_id_from_its_url(client, asset_factory, acme, json_log_lines):
    job = asset_factory.job(acme, status="processing")
    url = f"/callbacks/{job.provider}/{job.pk}/{job.callback_token}/"

    client.post(url, data=b"not json", content_type="application/json")
    logging.getLogger("avatars.views.callbacks").warning("refused")

    lines = [json.loads(line) for line in json_log_lines()]
    assert [line["job_id"] for line in lines if line["message"] != "refused"] == [job.pk] * (
        len(lines) - 1
    )
    assert next(line for line in lines if line["message"] == "refused").get("job_id") is None
