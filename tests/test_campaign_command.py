"""`manage.py campaign`: the operators' way in, through the same flows as the studio, each
subcommand printing one JSON line last and exiting non-zero with the reason on refusal.

bob (Editor, Acme) approves; the command acts as nobody in particular unless --user says.
"""

import csv
import io
import json

import pytest
from django.core.management import call_command

from avatars.models import Campaign, CampaignStatus
from tests.helpers.campaigns import PEOPLE, csv_of, sent_texts

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def worker_timeout() -> int:
    return 100


@pytest.fixture
def library(acme, asset_factory):
    asset_factory.consenting_avatar(acme, "Grace")
    asset_factory.script(acme, "Welcome", "Hi {{first_name}}, welcome to {{company|our team}}!")
    asset_factory.voice(acme, "Host")
    return acme


def run(capsys, *args: str) -> tuple[int, dict]:
    code = 0
    try:
        call_command("campaign", *args)
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    lines = capsys.readouterr().out.strip().splitlines()
    return code, json.loads(lines[-1])


def create(capsys, tmp_path, rows=PEOPLE, *extra: str) -> tuple[int, dict]:
    path = tmp_path / "people.csv"
    path.write_bytes(csv_of(rows))
    return run(
        capsys, "create", "--team", "acme", "--name", "Welcome", "--avatar", "Grace",
        "--script", "Welcome", "--provider", "crun", *extra, str(path),
    )  # fmt: skip


def test_create_reports_rows_verdicts_duplicates_and_the_estimate(
    library, crun_key, capsys, tmp_path
):
    rows = [*PEOPLE, ["", "Nobody", "x@example.com"], ["priya", "INITECH", "PRIYA@example.com"]]
    code, result = create(capsys, tmp_path, rows, "--cap", "25")

    assert code == 0
    campaign = Campaign.objects.get(pk=result["campaign"])
    assert result["rows"] == 7 and result["valid"] == 5
    assert result["invalid"] == [
        {"row": 7, "error": "“First Name” is empty (it fills {{first_name}})."}
    ]
    assert result["duplicates"] == [{"row": 8, "same_as": 2}]
    assert result["estimate"] == f"{sum(r.estimate or 0 for r in campaign.rows.all()):.4f}"
    assert str(campaign.spending_cap) == "25.00"


def test_a_refused_create_exits_non_zero_with_the_reason_and_creates_nothing(
    library, crun_key, capsys, tmp_path
):
    code, result = create(capsys, tmp_path, [["Company"], ["Initech"]])
    assert code == 1
    assert "No column fills {{first_name}}" in result["error"]
    assert not Campaign.objects.exists()


def test_sample_approve_run_and_export_through_the_command(
    library, bob, fake_crun, embedded_worker, capsys, tmp_path
):
    _, created = create(capsys, tmp_path)
    number = str(created["campaign"])

    code, sampled = run(capsys, "sample", number, "--rows", "2", "--wait", "--timeout", "60")
    assert code == 0 and sampled["status"] == "sampling"
    assert sampled["counts"]["succeeded"] == 2 and fake_crun.calls["create"] == 2

    code, refused = run(capsys, "run", number)
    assert code == 1 and "approve the sample" in refused["error"]

    code, approved = run(capsys, "approve", number, "--user", "bob")
    assert code == 0 and approved["status"] == "approved"

    code, ran = run(capsys, "run", number, "--wait", "--timeout", "60")
    assert code == 0 and ran["status"] == CampaignStatus.FINISHED
    assert ran["counts"]["succeeded"] == 5 and ran["counts"]["failed"] == 0
    assert float(ran["cost"]) > 0
    assert len(sent_texts(fake_crun)) == 5

    out = tmp_path / "results.csv"
    call_command("campaign", "export", number, "--out", str(out))
    exported = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert [row["First Name"] for row in exported] == ["Priya", "Lars", "Ana", "Chen", "Sam"]
    assert {row["status"] for row in exported} == {"succeeded"}
    assert all(
        row["share_link"].startswith("http") and "/s/" in row["share_link"] for row in exported
    )
    assert all(row["video_link"] for row in exported)


def test_pause_resume_and_cancel_answer_with_the_campaigns_state(
    library, bob, fake_crun, embedded_worker, capsys, tmp_path
):
    _, created = create(capsys, tmp_path)
    number = str(created["campaign"])
    code, refused = run(capsys, "pause", number)
    assert code == 1 and "Only a running campaign" in refused["error"]

    code, canceled = run(capsys, "cancel", number)
    assert code == 0 and canceled["status"] == "canceled"
    code, again = run(capsys, "sample", number)
    assert code == 1 and "canceled" in again["error"]
    assert fake_crun.calls["create"] == 0
