"""`manage.py credits_report`: the overview's ledger summary as CSV on stdout."""

import csv
import io

import pytest
from django.core.management import CommandError, call_command

from tests.helpers.credit_ledger import Ledger, build_ledger

pytestmark = pytest.mark.django_db

HEADER = ["month", "team", "team_slug", "user", "provider", "kind", "entries", "amount"]


@pytest.fixture
def ledger(asset_factory, acme, globex, alice, bob, charlie, root) -> Ledger:
    return build_ledger(asset_factory, acme, globex, alice, bob, charlie, root)


def report(*args: str) -> list[list[str]]:
    out = io.StringIO()
    call_command("credits_report", *args, stdout=out)
    return list(csv.reader(io.StringIO(out.getvalue())))


def test_it_prints_a_line_per_team_user_provider_and_kind(ledger):
    rows = report("--month", "2025-11")

    assert rows[0] == HEADER
    details = [row for row in rows[1:] if row[1] != "TOTAL"]
    assert details == [
        ["2025-11", "Acme", "acme", "alice", "crun", "charge", "1", "0.1800"],
        ["2025-11", "Acme", "acme", "alice", "crun", "hold", "3", "1.2000"],
        ["2025-11", "Acme", "acme", "alice", "crun", "refund", "1", "-1.0000"],
        ["2025-11", "Acme", "acme", "alice", "crun", "release", "2", "-0.5000"],
        ["2025-11", "Acme", "acme", "bob", "crun", "charge", "1", "0.4000"],
        ["2025-11", "Acme", "acme", "bob", "crun", "hold", "1", "0.4000"],
        ["2025-11", "Acme", "acme", "bob", "crun", "release", "1", "-0.4000"],
        ["2025-11", "Acme", "acme", "root", "", "adjustment", "1", "0.5000"],
        ["2025-11", "Globex", "globex", "charlie", "replicate", "charge", "1", "0.6000"],
        ["2025-11", "Globex", "globex", "charlie", "replicate", "hold", "1", "0.6000"],
        ["2025-11", "Globex", "globex", "charlie", "replicate", "release", "1", "-0.6000"],
    ]


def test_its_totals_are_the_overviews_figures(ledger, audrey, login):
    totals = {row[5]: row[6:] for row in report("--month", "2025-11") if row[1] == "TOTAL"}

    assert totals == {
        "hold": ["5", "2.2000"],
        "charge": ["3", "1.1800"],
        "release": ["4", "-1.5000"],
        "refund": ["1", "-1.0000"],
        "adjustment": ["1", "0.5000"],
        "net_spend": ["5", "0.6800"],
        "rerender_charges": ["1", "0.4000"],
        "open_holds": ["2", "0.8000"],
        "failed_render_cost": ["1", "0.0500"],
        "failed_render_estimates": ["1", "0.3000"],
        "free_drafts": ["1", "0.0000"],
    }
    page = login(audrey).get("/credits/?month=2025-11&format=csv")
    assert list(csv.reader(io.StringIO(b"".join(page.streaming_content).decode()))) == report(
        "--month", "2025-11"
    )


def test_it_reports_one_team(ledger):
    rows = report("--month", "2025-11", "--team", "globex")

    assert {(row[1], row[2]) for row in rows[1:]} == {("Globex", "globex")}
    totals = {row[5]: row[6:] for row in rows if row[3:5] == ["", ""]}
    assert totals["net_spend"] == ["1", "0.6000"]
    assert totals["open_holds"] == ["1", "0.1000"]  # taken in October, still open
    assert totals["failed_render_cost"] == ["0", "0.0000"]


def test_it_defaults_to_this_month(ledger):
    rows = report()

    assert rows[0] == HEADER
    assert all(row[1] == "TOTAL" for row in rows[1:])
    assert all(row[2] == "" for row in rows[1:])
    assert [row[5:] for row in rows if row[5] == "open_holds"] == [["open_holds", "2", "0.8000"]]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--month", "November"], "--month November is not a month like 2026-11."),
        (["--month", "2025-13"], "--month 2025-13 is not a month like 2026-11."),
        (["--team", "initech"], "No team has the slug 'initech'."),
    ],
)
def test_it_refuses_what_it_cannot_report(args, message, db):
    with pytest.raises(CommandError, match=message):
        report(*args)


def test_its_help_explains_the_columns(capsys):
    with pytest.raises(SystemExit):
        call_command("credits_report", "--help")
    help_text = capsys.readouterr().out
    for column in HEADER:
        assert f"\n  {column} " in help_text
    assert "net_spend" in help_text and "open_holds" in help_text
