"""A campaign's results out: the CSV of every row, and its finished videos as one ZIP,
both streamed as they are read.

Every cell of the CSV that a spreadsheet would run as a formula is neutralised (OWASP's
advice on CSV injection), whoever typed it: the uploaded cells are the people's own.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from django.conf import settings
from django.db.models import Prefetch, QuerySet
from django.db.models.fields.files import FieldFile
from django.urls import reverse
from django.utils import timezone
from zipstream import ZIP_STORED, ZipStream

from avatars.campaigns.progress import NOT_SENT
from avatars.csv_export import csv_lines, plain_text
from avatars.media_urls import media_url
from avatars.models import Campaign, CampaignRow, JobStatus, RowVerdict, ShareLink

RESULT_COLUMNS = ["row", "status", "share_link", "video_link", "cost", "error"]
CHUNK = 1 << 20


def _rows(campaign: Campaign) -> QuerySet[CampaignRow]:
    live_links = ShareLink.objects.filter(revoked_at=None, expires_at__gt=timezone.now())
    return (
        campaign.rows.order_by("number")
        .select_related("latest_job")
        .prefetch_related(Prefetch("latest_job__share_links", queryset=live_links))
    )


def row_state(row: CampaignRow) -> str:
    """A row's state in the export and the grid: its verdict, or its latest render's."""
    if row.verdict != RowVerdict.VALID:
        return str(row.verdict)
    return row.latest_job.status if row.latest_job else NOT_SENT


def results_lines(campaign: Campaign) -> Iterator[str]:
    """The results CSV: the file's own columns, then what became of each row."""
    columns = list(campaign.columns)
    clash = set(columns) & set(RESULT_COLUMNS)
    # A results column named like one of the file's keeps both: ours gets a prefix.
    ours = [f"result_{c}" if c in clash else c for c in RESULT_COLUMNS]
    return csv_lines(_result_rows(campaign, columns, ours))


def _result_rows(campaign: Campaign, columns: list[str], ours: list[str]) -> Iterator[list[str]]:
    yield [plain_text(c) for c in [*columns, *ours]]
    for row in _rows(campaign).iterator(chunk_size=1000):
        share, video = _links(row)
        job = row.latest_job
        error = row.error
        if row.duplicate_of_id is not None and not error:
            error = "The same person as an earlier row."
        elif job is not None and job.status == JobStatus.FAILED:
            error = job.error_message
        cost = f"{job.cost:.4f}" if job is not None and job.cost is not None else ""
        cells = [row.values.get(c, "") for c in columns]
        cells += [str(row.number), row_state(row), share, video, cost, error]
        yield [plain_text(cell) for cell in cells]


def _links(row: CampaignRow) -> tuple[str, str]:
    """The person's share link and a link to their video file that lasts as long as it."""
    job = row.latest_job
    if job is None or job.status != JobStatus.SUCCEEDED:
        return "", ""
    links = list(job.share_links.all())
    if not links:
        return "", ""
    link = links[0]
    page = settings.PUBLIC_BASE_URL + reverse("share", args=[link.token])
    seconds = int((link.expires_at - timezone.now()).total_seconds())
    video = media_url(
        job.video, max_age=max(1, seconds), absolute=True, share=link.pk, download=video_name(row)
    )
    return page, video


_UNSAFE = re.compile(r"[^\w.-]+")


def video_name(row: CampaignRow) -> str:
    """The file name of a row's video: its row number, then its person ("0002-priya-patel.mp4")."""
    person = _UNSAFE.sub("-", row.person.casefold()).strip("-.")[:60] or "video"
    return f"{row.number:05d}-{person}.mp4"


def videos_zip(campaign: Campaign) -> ZipStream:
    """Every finished video of the campaign as one ZIP, read from storage a chunk at a time
    as the archive is sent (stored, not compressed: a video does not compress)."""
    archive = ZipStream(compress_type=ZIP_STORED)
    finished = (
        campaign.rows.filter(latest_job__status=JobStatus.SUCCEEDED)
        .select_related("latest_job")
        .order_by("number")
    )
    for row in finished.iterator(chunk_size=1000):
        job = row.latest_job
        if job is not None and job.video:
            archive.add(_chunks(job.video), video_name(row))
    return archive


def _chunks(file: FieldFile) -> Iterator[bytes]:
    with file.storage.open(file.name or "", "rb") as opened:
        while chunk := opened.read(CHUNK):
            yield chunk
