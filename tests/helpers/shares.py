"""An approved render with real media (video, poster, captions), shared by a link, and the
media links its share page hands out."""

import html
import re
from typing import Any

from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.test import Client
from django.utils import timezone

from avatars import captions, review
from avatars.models import RenderJob, ReviewStatus, ShareLink, Team
from tests.files import image_bytes, mp4_bytes

SIZE = (128, 72)


def approved_render(
    assets: Any,
    team: Team,
    title: str = "Spring webinar invite",
    seconds: float = 2.0,
    size: tuple[int, int] = SIZE,
    **fields: Any,
) -> RenderJob:
    """A finished, approved render of the script `title`, with the files the pipeline stores."""
    job = assets.job(
        team,
        text=fields.pop("text", "Welcome aboard, Ada. Here is what is new this spring."),
        duration_seconds=seconds,
        width=size[0],
        height=size[1],
        finished_at=timezone.now(),
        review=ReviewStatus.APPROVED,
        **fields,
    )
    script = job.script_revision.script
    script.title = title
    script.save()
    job.video.save("video.mp4", ContentFile(mp4_bytes(seconds, size=size)), save=False)
    job.poster.save("poster.jpg", ContentFile(image_bytes(size)), save=False)
    job.captions.save("captions.vtt", ContentFile(captions.for_job(job, seconds)), save=False)
    job.save()
    return job


def shared(job: RenderJob, by: User, days: int = 7) -> ShareLink:
    return review.share(job, by, days)


def page_media(page: str) -> dict[str, str]:
    """The video, poster and captions links a share page hands out."""
    found = {
        "video": re.search(r'<video[^>]* src="([^"]+)"', page),
        "poster": re.search(r'<video[^>]* poster="([^"]+)"', page),
        "captions": re.search(r'<track[^>]* src="([^"]+)"', page),
    }
    assert all(found.values()), found
    return {part: html.unescape(match.group(1)) for part, match in found.items() if match}


def share_page(link: ShareLink) -> str:
    response = Client().get(f"/s/{link.token}/")
    assert response.status_code == 200, response.status_code
    return response.content.decode()
