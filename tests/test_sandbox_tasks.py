"""The sandbox's tasks outlive the process that took them: each is kept on disk beside its
result, so whichever process serves the sandbox answers for it."""

import pytest

from avatars.media_urls import media_url
from avatars.providers import base, get_provider
from avatars.sandbox.service import SandboxService
from tests.helpers.render_inputs import inputs
from tests.helpers.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def test_any_process_serving_the_sandbox_answers_for_a_task(sandbox, acme, asset_factory):
    portrait = asset_factory.avatar(acme).image
    provider = get_provider("sandbox")
    task_id = provider.submit(inputs(image_url=media_url(portrait, absolute=True), text="Hi"))
    wait_until(lambda: provider.fetch(task_id).status == base.TaskStatus.SUCCEEDED, timeout=60)

    elsewhere = SandboxService()  # another web worker: nothing of this task in its memory
    status, answer, _ = elsewhere.task_info(task_id)

    assert status == 200
    assert answer["data"]["status"] == "success"
    assert answer["data"]["result"]["media_urls"][0].endswith(f"/results/{task_id}.mp4")
    assert elsewhere.result_path(task_id) is not None
    assert elsewhere.task_info("task_../../etc/passwd")[0] == 404
