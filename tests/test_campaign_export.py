"""A campaign's results out: the CSV keeps the file's columns and adds what became of each
row, every formula-looking cell neutralised; the finished videos come as one ZIP, streamed."""

import csv
import io
import zipfile

import pytest

from avatars.campaigns import export, sending
from avatars.models import ShareLink
from tests.helpers.campaigns import campaign, jobs_of
from tests.helpers.jobs import wait_for
from tests.helpers.settling import settle

pytestmark = pytest.mark.django_db(transaction=True)

PEOPLE = [
    ["First Name", "Company", "Note"],
    ["Priya", "Initech", '=HYPERLINK("http://evil.example","click")'],
    ["李雷", "+Globex", "@SUM(1+1)"],
    # Cells are read trimmed: a tab in front is gone, the formula after it is not.
    ["", "-Hooli", "\t=1+1"],
]


@pytest.fixture
def worker_timeout() -> int:
    return 100


@pytest.fixture
def finished(alice, bob, acme, asset_factory, fake_crun, embedded_worker):
    """A campaign whose two valid rows rendered (one as its sample), and one invalid row."""
    made = campaign(asset_factory, acme, alice, PEOPLE)
    sending.sample(made.pk, alice, rows=1)
    settle(fake_crun)
    [wait_for(job) for job in jobs_of(made)]
    sending.approve_sample(made.pk, bob)
    sending.run(made.pk, alice)
    settle(fake_crun)
    [wait_for(job) for job in jobs_of(made)]
    return made


def test_the_results_csv_neutralises_every_cell_a_spreadsheet_would_run(finished):
    text = "".join(export.results_lines(finished))
    rows = list(csv.reader(io.StringIO(text)))

    assert rows[0] == ["First Name", "Company", "Note", "row", "status", "share_link",
                       "video_link", "cost", "error"]  # fmt: skip
    assert [r[3] for r in rows[1:]] == ["2", "3", "4"]
    assert rows[1][2] == '\'=HYPERLINK("http://evil.example","click")'
    assert rows[2][:3] == ["李雷", "'+Globex", "'@SUM(1+1)"]
    assert rows[3][1:3] == ["'-Hooli", "'=1+1"]
    assert rows[3][4] == "invalid" and rows[3][8].startswith("“First Name” is empty")
    assert [r[4] for r in rows[1:3]] == ["succeeded", "succeeded"]
    for cell in (c for r in rows for c in r):
        assert cell[:1] not in ("=", "+", "-", "@", "\t", "\r")


def test_each_finished_row_has_its_own_live_link_and_the_csv_gives_it(finished):
    links = ShareLink.objects.filter(job__campaign_row__campaign=finished).order_by("title")
    assert [link.title for link in links] == ["A video for Priya", "A video for 李雷"]
    rows = list(csv.DictReader(io.StringIO("".join(export.results_lines(finished)))))
    assert {r["share_link"].rsplit("/s/", 1)[1].strip("/") for r in rows[:2]} == {
        link.token for link in links
    }


def test_the_videos_come_as_one_streamed_zip_named_by_row_and_person(finished, alice, login):
    response = login(alice).get(f"/studio/campaigns/{finished.pk}/videos.zip")

    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert archive.namelist() == ["00002-priya.mp4", "00003-李雷.mp4"]
    assert archive.testzip() is None
    stored = finished.rows.get(number=2).latest_job.video
    with stored.open("rb") as video:
        assert archive.read("00002-priya.mp4") == video.read()
