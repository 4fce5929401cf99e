"""A production install at work, run by tests/test_core_install.py inside a virtualenv that has
the app without its [sandbox] extra: no pytest, no OpenCV, no espeak-ng, no pykakasi.

It migrates a fresh SQLite database, seeds the demo, renders a job through a minimal fake Crun
over real HTTP to `succeeded` with captions, logs in as each demo role and fetches every
studio, review, credits and admin page, and finally checks that none of the extra's modules
can be imported or was. It prints one line per problem and exits 1 if there was any.

The environment (DEBUG off, CRUN_BASE_URL, DATABASE_URL, …) is set by the test.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
EXTRA = ("cv2", "espeakng_loader", "pykakasi")
TASK_ID = "task_core_install"
# The page each demo role works on most: it must open for them.
HOMES = {"maria": "/studio/", "eddie": "/review/", "audrey": "/credits/"}
problems: list[str] = []


class FakeCrun(BaseHTTPRequestHandler):
    """Crun's create, task info and a result file; every task succeeds at once."""

    video = b""
    key = ""

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self._json({"code": 200, "message": "success", "data": {"task_id": TASK_ID}})

    def do_GET(self) -> None:
        if self.path == "/result.mp4":
            self._send(200, self.video, "video/mp4")
        elif self.path.startswith("/api/v1/client/job/TaskInfo"):
            base = f"http://127.0.0.1:{self.server.server_address[1]}"
            task = {
                "task_id": TASK_ID,
                "status": "success",
                "duration_s": 1,
                "credits": 0.025,
                "result": {"code": 200, "message": "success", "media_urls": [f"{base}/result.mp4"]},
            }
            self._json({"code": 200, "message": "success", "data": task})
        else:
            self._json({"code": 404, "message": "not found", "data": None}, 404)

    def _json(self, body: dict[str, Any], status: int = 200) -> None:
        if self.headers.get("x-api-key") != self.key:
            status, body = 401, {"code": 401, "message": "unauthorized", "data": None}
        self._send(status, json.dumps(body).encode(), "application/json")

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def check(ok: object, problem: str) -> None:
    if not ok:
        problems.append(problem)


def render_a_job() -> Any:
    from django.contrib.auth.models import User

    from avatars import render, worker
    from avatars.models import Avatar, JobStatus, RenderJob, Script, Voice

    avatar = Avatar.objects.get(name="Grace")
    request = render.RenderRequest(
        team=avatar.team,
        user=User.objects.get(username="maria"),
        avatar=avatar,
        script=Script.objects.get(title="Welcome aboard"),
        voice=Voice.objects.filter(team=avatar.team).first(),
        variables={"first_name": "Ada", "company": "Acme"},
        provider="crun",
    )
    job = render.request_render(request)
    if job.status == JobStatus.AWAITING_APPROVAL:
        render.approve(job.pk, User.objects.get(username="eddie"))
    worker.start_embedded_worker(threads=2)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job = RenderJob.objects.get(pk=job.pk)
        if job.is_final:
            break
        time.sleep(0.1)
    worker.stop_embedded_worker()
    check(job.status == JobStatus.SUCCEEDED, f"the render ended {job.status}: {job.error_message}")
    check(job.captions, "the render has no captions")
    if job.captions:
        check(job.captions.read().startswith(b"WEBVTT"), "the captions are not WebVTT")
    return job


def a_campaign(job: Any) -> Any:
    """A campaign of the job's team, created as the studio creates one (nothing is sent)."""
    from avatars.campaigns import importing

    planned = importing.plan(
        team=job.team,
        name="Welcome",
        avatar=job.avatar,
        script=job.script_revision.script,
        voice=job.voice,
        data=b"First Name,Company\r\nAda,Acme\r\n",
        filename="people.csv",
        provider="crun",
    )
    return importing.create(planned, job.requested_by)


def pages(job: Any) -> list[str]:
    """Every page of the studio, the review desk, the credits and the admin, with real ids."""
    from django.contrib import admin
    from django.urls import URLPattern, get_resolver, reverse
    from django.utils import timezone

    from avatars.models import ShareLink

    share = ShareLink.objects.create(
        job=job, created_by=job.requested_by, expires_at=timezone.now() + timedelta(days=1)
    )
    ids = {"script": job.script_revision.script_id, "speech_preview": job.script_revision.script_id}
    campaign = a_campaign(job)
    urls = []
    for namespace in ("studio", "review", "credits"):
        for pattern in get_resolver().namespace_dict[namespace][1].url_patterns:
            assert isinstance(pattern, URLPattern)
            kwargs: dict[str, object] = {}
            if "pk" in pattern.pattern.converters:
                kwargs["pk"] = (
                    share.pk if pattern.name == "revoke" else ids.get(pattern.name, job.pk)
                )
                if (pattern.name or "").startswith("campaign"):
                    kwargs["pk"] = campaign.pk
            if "action" in pattern.pattern.converters:
                kwargs["action"] = "run"
            urls.append(reverse(f"{namespace}:{pattern.name}", kwargs=kwargs))
    urls.append(reverse("admin:index"))
    for model, model_admin in admin.site._registry.items():
        first = model._default_manager.order_by("pk").first()
        for pattern in model_admin.get_urls():
            if not isinstance(pattern, URLPattern) or not pattern.name:
                continue
            names = set(pattern.pattern.converters)
            row = first and first.pk
            values: dict[str, object] = {"pk": row, "object_id": row, "id": row}
            kwargs = {name: values.get(name, "crun") for name in names}
            if None in kwargs.values():
                continue
            urls.append(reverse(f"admin:{pattern.name}", kwargs=kwargs))
    return urls


def visit_every_page(job: Any) -> None:
    from django.contrib.auth.models import User
    from django.test import Client

    urls = pages(job)
    check(len(urls) > 40, f"only {len(urls)} pages were found")
    for user in User.objects.order_by("username"):
        client = Client()
        client.force_login(user)
        for url in urls:
            response = client.get(url, secure=True)
            status = response.status_code
            if url.endswith("/preview.wav") and status == 503:
                said = b"".join(response).decode()
                check("needs the offline sandbox" in said, f"{url}: the 503 does not say why")
                continue
            # 403 also for superusers: nobody adds to or deletes from the append-only ledger.
            # 405: an action that only takes a POST; 404: another team's row, for a scoped role.
            allowed = {200, 302, 403, 405} if user.is_superuser else {200, 302, 403, 404, 405}
            check(status in allowed, f"{user.username} GET {url}: {status}")
        home = HOMES.get(user.username, "/admin/")
        check(client.get(home, secure=True).status_code == 200, f"{user.username}: {home}")


def main() -> int:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    from tests.files import mp4_bytes

    FakeCrun.video = mp4_bytes(1.0)
    FakeCrun.key = os.environ["CRUN_API_KEY"]
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeCrun)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    os.environ["CRUN_BASE_URL"] = f"http://127.0.0.1:{server.server_address[1]}"
    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    check(not settings.SANDBOX_ENABLED, "the sandbox is on in production")
    call_command("check")
    call_command("migrate", verbosity=0)
    call_command("seed_demo", force=True, verbosity=0)
    job = render_a_job()
    visit_every_page(job)
    for name in EXTRA:
        check(importlib.util.find_spec(name) is None, f"{name} is importable")
        check(name not in sys.modules, f"{name} was imported")
    server.shutdown()
    for problem in problems:
        print(problem)
    print(json.dumps({"problems": len(problems), "job": job.status}))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
