"""The sandbox's tasks, Crun-style: each kept on disk, so any process serving it answers for it,
and a finished one reports its video, length, credits and the words it spoke."""

import httpx
import pytest

from avatars.sandbox.service import SandboxService, service
from tests.helpers.sandbox_api import create, final_task

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_finished_task_reports_its_video_length_credits_and_words(sandbox_http, portrait_url):
    task = final_task(
        sandbox_http, create(sandbox_http, image_url=portrait_url, text="Hello there, Ada.")
    )

    assert task["status"] == "success"
    assert task["result"]["code"] == 200
    assert 0.5 < task["duration_s"] < 5
    assert task["credits"] == pytest.approx(task["duration_s"] * 0.025, abs=1e-3)
    assert [word for word, _, _ in task["result"]["words"]] == ["Hello", "there", "Ada"]
    video = httpx.get(task["result"]["media_urls"][0])
    assert video.status_code == 200 and video.content[4:8] == b"ftyp"


def test_any_process_answers_for_a_task_from_its_file(sandbox_http, portrait_url):
    task = final_task(sandbox_http, create(sandbox_http, image_url=portrait_url, text="Hello."))
    elsewhere = SandboxService()  # another web worker: it never saw this task

    status, body = elsewhere.task_info(task["task_id"])

    assert status == 200
    answered, asked = body["data"], task
    links = [httpx.URL(data["result"].pop("media_urls")[0]) for data in (answered, asked)]
    assert answered == asked
    # Each answer hands out a fresh link to the same file; either works anywhere.
    assert links[0].copy_with(query=None) == links[1].copy_with(query=None)
    for link in links:
        found = elsewhere.result_path(
            task["task_id"], link.params["expires"], link.params["signature"]
        )
        assert found is not None
        assert found == service.result_path(
            task["task_id"], link.params["expires"], link.params["signature"]
        )


def test_an_unknown_task_is_a_404(sandbox_http):
    answer = sandbox_http.get("/api/v1/client/job/TaskInfo", params={"task_id": "task_" + "0" * 32})

    assert answer.status_code == 404
    assert answer.json()["message"] == "task not found"
    assert (
        sandbox_http.get(
            "/api/v1/client/job/TaskInfo", params={"task_id": "task_../../etc/passwd"}
        ).status_code
        == 404
    )
