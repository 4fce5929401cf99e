"""`manage.py render` and `manage.py reconcile`: the operator's way in, through the same code."""

import json
from pathlib import Path

import av
import dramatiq
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from avatars.models import JobStatus, RenderJob
from tests.helpers.jobs import renders, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def library(acme, asset_factory):
    asset_factory.consenting_avatar(acme, "Grace")
    asset_factory.script(acme, "Welcome", "Welcome aboard, {{name}}. We are glad you are here.")
    asset_factory.voice(acme, "Host")
    asset_factory.clip(acme, "Jingle")
    return acme


def run_render(capsys, *args: str) -> tuple[int, dict]:
    code = 0
    try:
        call_command("render", *args)
    except SystemExit as exit_:
        code = exit_.code
    lines = capsys.readouterr().out.strip().splitlines()
    return code, json.loads(lines[-1])


def test_render_wait_prints_one_json_line_and_exits_zero_on_success(
    library, sandbox, embedded_worker, capsys
):
    code, result = run_render(
        capsys,
        "--avatar",
        "Grace",
        "--script",
        "Welcome",
        "--var",
        "name=Ada",
        "--wait",
        "--timeout",
        "60",
    )

    assert code == 0
    assert set(result) == {"job", "status", "video", "duration_s", "cost", "error"}
    assert result["status"] == "succeeded" and result["error"] is None
    with av.open(result["video"]) as container:
        assert abs(container.duration / 1e6 - result["duration_s"]) < 0.1
    assert RenderJob.objects.get(pk=result["job"]).text.startswith("Welcome aboard, Ada.")


def test_render_wait_exits_non_zero_when_the_render_fails(
    library, fake_crun, embedded_worker, capsys
):
    fake_crun.configure(create_error=402)

    code, result = run_render(
        capsys,
        *("--avatar", "Grace", "--audio", "Jingle", "--provider", "crun"),
        *("--wait", "--timeout", "30"),
    )

    assert code == 1
    assert result["status"] == "failed"
    assert "run out of credits" in result["error"]


def test_render_refuses_an_incomplete_request_before_queueing(library, sandbox):
    with pytest.raises(CommandError, match=r"Fill in \{\{name\}\}"):
        call_command("render", "--avatar", "Grace", "--script", "Welcome")

    assert not RenderJob.objects.exists()


def test_render_without_wait_only_queues(library, sandbox, capsys):
    call_command("render", "--avatar", "Grace", "--audio", "Jingle", "--resolution", "1080p")

    result = json.loads(capsys.readouterr().out)
    job = RenderJob.objects.get(pk=result["job"])
    assert (result["status"], job.resolution, job.audio_clip.title) == ("queued", "1080p", "Jingle")


def test_reconcile_redrives_a_job_whose_submit_message_was_lost(
    library, fake_crun, embedded_worker, capsys
):
    worker_broker = dramatiq.get_broker()
    job_id = None
    with pytest.MonkeyPatch.context() as patch:
        # Lose the submit message, as if the broker died with it.
        patch.setattr("avatars.render.states.send", lambda *args, **kwargs: None)
        call_command("render", "--avatar", "Grace", "--audio", "Jingle", "--provider", "crun")
        job_id = json.loads(capsys.readouterr().out)["job"]
    assert worker_broker is dramatiq.get_broker()
    RenderJob.objects.filter(pk=job_id).update(
        status_changed_at=timezone.now() - timezone.timedelta(minutes=5)
    )

    call_command("reconcile")

    assert "1 queued" in capsys.readouterr().out
    job = wait_for(RenderJob.objects.get(pk=job_id))
    assert job.status == JobStatus.SUCCEEDED
    assert fake_crun.calls["create"] == 1


def test_render_through_lumenfall_queues_a_render_that_succeeds(
    library, fake_lumenfall, embedded_worker, capsys, media_root
):
    call_command(
        "render",
        "--avatar",
        "Grace",
        "--script",
        "Welcome",
        "--var",
        "name=Ada",
        "--provider",
        "lumenfall",
    )

    result = json.loads(capsys.readouterr().out)
    job = wait_for(RenderJob.objects.get(pk=result["job"]))
    assert (result["status"], job.provider, job.status) == ("queued", "lumenfall", "succeeded")
    assert [f.name for f in renders(media_root)] == ["captions.vtt", "poster.jpg", "video.mp4"]


def test_render_wait_through_replicate_succeeds_with_its_cost(
    library, fake_replicate, embedded_worker, capsys
):
    code, result = run_render(
        capsys,
        "--avatar",
        "Grace",
        "--script",
        "Welcome",
        "--var",
        "name=Ada",
        "--provider",
        "replicate",
        "--wait",
        "--timeout",
        "60",
    )

    assert code == 0
    assert result["status"] == "succeeded" and result["error"] is None
    assert result["cost"] == "0.0250" and Path(result["video"]).exists()
    assert RenderJob.objects.get(pk=result["job"]).provider == "replicate"
