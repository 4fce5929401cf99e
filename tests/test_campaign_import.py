"""Creating a campaign from a list of people: columns matched to the script's variables,
every row's verdict by the number a spreadsheet shows, duplicates collapsed, each render
priced before anything is spent, and a file that cannot fill the script refused whole."""

import pytest

from avatars.campaigns import importing
from avatars.models import AuditEntry, Campaign, CampaignRow, RowVerdict
from tests.helpers import spreadsheets
from tests.helpers.campaigns import campaign, csv_of, plan

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("crun_key")]


def verdicts(made) -> dict[int, tuple[str, str]]:
    return {row.number: (row.verdict, row.error) for row in made.rows.all()}


def test_columns_fill_variables_ignoring_case_spaces_underscores_and_dashes(acme, asset_factory):
    planned = plan(
        asset_factory,
        acme,
        [["FIRST-NAME", "  company ", "CRM id"], ["Priya", "Initech", "7"]],
    )
    assert planned.checked.mapping.variables == {"first_name": "FIRST-NAME", "company": "company"}
    row = planned.checked.rows[0]
    assert row.text == "Hi Priya, welcome to Initech!"
    # Other columns are kept for the export.
    assert row.values["CRM id"] == "7"


def test_each_rows_verdict_is_reported_by_its_spreadsheet_row_number(alice, acme, asset_factory):
    long = "x" * 201
    rows = [
        ["First Name", "Company", "Email"],
        ["Priya", "Initech", "p@example.com"],  # row 2
        ["", "Globex", "nobody@example.com"],  # row 3: no name
        ["Lars", long, "l@example.com"],  # row 4: too long
        [" priya ", "INITECH", "P@EXAMPLE.COM"],  # row 5: row 2 again
        ["Ana", "", "a@example.com"],  # row 6: the fallback
    ]
    made = campaign(asset_factory, acme, alice, rows)

    assert verdicts(made) == {
        2: ("valid", ""),
        3: ("invalid", "“First Name” is empty (it fills {{first_name}})."),
        4: ("invalid", "“Company” has 201 characters; at most 200 fit."),
        5: ("duplicate", ""),
        6: ("valid", ""),
    }
    assert made.rows.get(number=5).duplicate_of == made.rows.get(number=2)
    assert made.rows.get(number=6).text == "Hi Ana, welcome to our team!"


def test_the_estimate_prices_every_valid_row_and_nothing_else(alice, acme, asset_factory):
    rows = [["First Name", "Email"], ["Priya", "p@x.com"], ["", "n@x.com"], ["Lars", "l@x.com"]]
    planned = plan(asset_factory, acme, rows)
    valid = planned.checked.valid
    assert [r.number for r in valid] == [2, 4]
    assert planned.checked.estimate == sum(r.estimate for r in valid)
    assert all(r.estimate > 0 for r in valid)
    assert planned.checked.rows[1].estimate is None


def test_a_row_may_choose_its_own_avatar_and_voice_by_name(alice, acme, asset_factory):
    rep = asset_factory.consenting_avatar(acme, "Marco")
    asset_factory.avatar(acme, "Nobody Consented")
    voice = asset_factory.voice(acme, "Deep")
    rows = [
        ["First Name", "Avatar", "Voice"],
        ["Priya", "marco", "DEEP"],
        ["Lars", "", ""],
        ["Ana", "Unknown Face", ""],
        ["Chen", "Nobody Consented", ""],
        ["Sam", "", "Whisper"],
    ]
    made = campaign(asset_factory, acme, alice, rows)

    first = made.rows.get(number=2)
    assert (first.avatar, first.voice) == (rep, voice)
    assert made.rows.get(number=3).avatar is None  # the campaign's own
    found = verdicts(made)
    assert found[4] == (
        "invalid",
        "There is no avatar called “Unknown Face” in the team's library.",
    )
    assert found[5][0] == "invalid" and "“Nobody Consented” cannot be rendered" in found[5][1]
    assert found[6] == ("invalid", "There is no voice called “Whisper” in the team's library.")


def test_a_script_too_long_once_filled_in_is_invalid_for_that_row(
    alice, acme, asset_factory, settings
):
    settings.SCRIPT_MAX_CHARS = 40
    made = campaign(
        asset_factory, acme, alice, [["First Name"], ["Al"], ["Bartholomew-Maximilian"]],
        script="Hello {{first_name}}, see you soon!",
    )  # fmt: skip
    found = verdicts(made)
    assert found[2] == ("valid", "")
    assert found[3] == (
        "invalid",
        "Filled in, the script has 43 characters; the limit is 40.",
    )


def test_a_file_without_a_column_for_a_required_variable_creates_nothing(acme, asset_factory):
    with pytest.raises(importing.CampaignError) as refused:
        plan(asset_factory, acme, [["Company"], ["Initech"]])
    assert "No column fills {{first_name}}" in refused.value.errors["file"]
    assert not Campaign.objects.exists()


@pytest.mark.parametrize(
    ("data", "said"),
    [
        (b"", "empty"),
        (b"First Name,Company\r\n", "no people"),
        (b"%PDF-1.7 not a table", "PDF"),
    ],
)
def test_a_file_that_is_no_list_of_people_creates_nothing(acme, asset_factory, data, said):
    with pytest.raises(importing.CampaignError) as refused:
        plan(asset_factory, acme, data=data)
    assert said in refused.value.errors["file"]
    assert not CampaignRow.objects.exists()


def test_a_file_over_the_row_limit_creates_nothing(acme, asset_factory, settings):
    settings.CAMPAIGN_MAX_ROWS = 3
    with pytest.raises(importing.CampaignError) as refused:
        plan(asset_factory, acme, [["First Name"], ["A"], ["B"], ["C"], ["D"]])
    assert "at most 3" in refused.value.errors["file"]


def test_creating_freezes_the_scripts_revision_and_audits_the_estimate(alice, acme, asset_factory):
    made = campaign(asset_factory, acme, alice)
    script = made.script
    script.text = "Something else entirely, {{first_name}}."
    script.save()
    made.refresh_from_db()
    assert made.script_revision.number == 1
    assert made.rows.filter(verdict=RowVerdict.VALID).count() == 5
    entry = AuditEntry.objects.get(action=AuditEntry.Action.CAMPAIGN_CREATED)
    assert entry.campaign == made and entry.actor == alice
    assert entry.amount == sum(r.estimate for r in made.rows.all())


def test_an_avatar_without_consent_cannot_front_a_campaign(acme, asset_factory):
    with pytest.raises(importing.CampaignError) as refused:
        importing.plan(
            team=acme,
            name="No consent",
            avatar=asset_factory.avatar(acme, "Anon"),
            script=asset_factory.script(acme, "Hi", "Hi {{first_name}}"),
            voice=asset_factory.voice(acme),
            data=csv_of([["First Name"], ["Priya"]]),
            filename="people.csv",
            provider="sandbox",
        )
    assert "cannot be rendered" in refused.value.errors["avatar"]


PEOPLE_OF_THE_WORLD = [
    ["First Name", "Company", "Note"],
    ["Zoë", "Müller & Söhne", "line one\nline two"],
    ["李雷", "", '=HYPERLINK("http://evil.example")'],
    ["محمد", "Café, Ltd", ""],
    ["", "Nobody GmbH", ""],
    ["zoë ", "MÜLLER & SÖHNE", "LINE ONE\nLINE TWO"],
]


@pytest.mark.parametrize(
    ("filename", "make"),
    [
        ("utf8-bom.csv", lambda r: spreadsheets.csv_bytes(r, encoding="utf-8", bom=True)),
        ("crlf-semicolons.csv", lambda r: spreadsheets.csv_bytes(r, delimiter=";")),
        ("lf.csv", lambda r: spreadsheets.csv_bytes(r, line_end="\n")),
        ("unicode-text.txt", spreadsheets.excel_unicode_text),
        ("people.xlsx", spreadsheets.xlsx_bytes),
    ],
)
def test_every_kind_of_file_gives_the_same_verdicts_by_row_number(
    alice, acme, asset_factory, filename, make
):
    made = campaign(asset_factory, acme, alice, data=make(PEOPLE_OF_THE_WORLD), filename=filename)

    assert {n: v for n, (v, _) in verdicts(made).items()} == {
        2: "valid", 3: "valid", 4: "valid", 5: "invalid", 6: "duplicate",
    }  # fmt: skip
    texts = dict(made.rows.values_list("number", "text"))
    assert texts[2] == "Hi Zoë, welcome to Müller & Söhne!"
    assert texts[3] == "Hi 李雷, welcome to our team!"
    assert texts[4] == "Hi محمد, welcome to Café, Ltd!"
    assert made.rows.get(number=3).values["Note"] == '=HYPERLINK("http://evil.example")'
    assert made.rows.get(number=2).values["Note"] == "line one\nline two"


def test_a_windows_1252_file_keeps_its_accents_in_the_videos(alice, acme, asset_factory):
    rows = [["First Name", "Company"], ["Zoë", "Müller"], ["José", "Café Ñandú"]]
    data = spreadsheets.csv_bytes(rows, encoding="cp1252", delimiter=";")
    made = campaign(asset_factory, acme, alice, data=data, filename="excel.csv")
    assert list(made.rows.values_list("text", flat=True)) == [
        "Hi Zoë, welcome to Müller!",
        "Hi José, welcome to Café Ñandú!",
    ]


def test_a_corrected_file_replaces_the_rows_not_yet_sent(alice, acme, asset_factory):
    made = campaign(asset_factory, acme, alice, [["First Name"], ["Priya"], [" "], ["Lars"]])
    assert verdicts(made)[4] == ("valid", "")
    rows = [["First Name", "Email"], ["Priya", "p@x.com"], ["Ana", "a@x.com"], ["Lars", "l@x.com"]]

    importing.replace_rows(made, csv_of(rows), "fixed.csv", alice)

    assert {n: v for n, (v, _) in verdicts(made).items()} == {2: "valid", 3: "valid", 4: "valid"}
    made.refresh_from_db()
    assert made.columns == ["First Name", "Email"] and made.source_filename == "fixed.csv"
    assert AuditEntry.objects.filter(action=AuditEntry.Action.CAMPAIGN_REUPLOADED).count() == 1


def test_a_corrected_file_keeps_the_rows_already_sent_in_their_places(alice, acme, asset_factory):
    from avatars.models import RenderJob

    made = campaign(asset_factory, acme, alice, [["First Name"], ["Priya"], [""], ["Lars"]])
    sent = made.rows.get(number=2)
    job = RenderJob.objects.create(
        team=acme, avatar=made.avatar, provider="crun", campaign_row=sent, status="succeeded"
    )
    made.rows.filter(pk=sent.pk).update(latest_job=job)

    moved = [["First Name"], ["Lars"], ["Priya"]]
    with pytest.raises(importing.CampaignError, match="Row 2 of the corrected file is not Priya"):
        importing.replace_rows(made, csv_of(moved), "moved.csv", alice)

    fixed = [["First Name"], ["Priya"], ["Ana"], ["Lars"], ["PRIYA"]]
    importing.replace_rows(made, csv_of(fixed), "fixed.csv", alice)
    assert {n: v for n, (v, _) in verdicts(made).items()} == {
        2: "valid", 3: "valid", 4: "valid", 5: "duplicate",
    }  # fmt: skip
    assert made.rows.get(number=2).latest_job == job
    assert made.rows.get(number=5).duplicate_of.number == 2
