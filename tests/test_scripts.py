"""Scripts: {{variables}}, text checks, spoken-length estimates and revisions kept by the admin.

alice (Marketing, Acme) writes and edits Acme's scripts through the admin.
"""

import pytest
from django.core.exceptions import ValidationError

from avatars.models import Script, ScriptRevision
from avatars.scripts import estimated_seconds, validate_text, variables

ADD_URL = "/admin/avatars/script/add/"


def words(count: int) -> str:
    return " ".join(f"word{n}" for n in range(count))


def refusal(text: str) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        validate_text(text)
    return caught.value


def script_form(team, **fields: object) -> dict[str, object]:
    return {"team": team.pk, "title": "Welcome", "language": "en-US", "text": "Hello.", **fields}


def change_url(script: Script) -> str:
    return f"/admin/avatars/script/{script.pk}/change/"


def test_it_finds_each_variable_once_in_order_of_first_use():
    text = "Hi {{first_name}}, welcome to {{ company }}. See you soon, {{first_name}}!"

    assert variables(text) == ["first_name", "company"]


def test_it_finds_no_variables_in_plain_text():
    assert variables("Hello there, {single} braces are not variables.") == []


def test_it_accepts_text_with_valid_variables():
    validate_text("Hi {{first_name}}, welcome to {{ company }} and {{_team2}}.")


@pytest.mark.parametrize(
    ("text", "code", "message"),
    [
        ("Hi {{first name}}!", "bad_variable", "“{{first name}}” is not a valid variable"),
        ("Hi {{1abc}}!", "bad_variable", "“{{1abc}}” is not a valid variable"),
        ("Hi {{name, welcome.", "unbalanced", "without its partner"),
        ("Hi name}} welcome.", "unbalanced", "without its partner"),
        ("", "empty", "nothing to say"),
        ("   \n\t ", "empty", "nothing to say"),
    ],
    ids=["space-in-name", "leading-digit", "unclosed", "lone-closing", "empty", "blank"],
)
def test_it_refuses_bad_text(text: str, code: str, message: str):
    error = refusal(text)

    assert error.code == code
    assert message in error.messages[0]


def test_it_refuses_text_over_the_limit_saying_the_limit_and_the_length():
    error = refusal("a" * 5001)

    assert error.code == "too_long"
    assert "at most 5,000 characters; this one has 5,001" in error.messages[0]


def test_it_accepts_text_exactly_at_the_limit():
    validate_text("a" * 5000)


def test_it_follows_the_configured_limit(settings):
    settings.SCRIPT_MAX_CHARS = 12_000

    validate_text("a" * 11_000)
    assert "at most 12,000 characters; this one has 12,001" in refusal("a" * 12_001).messages[0]


def test_it_estimates_150_english_words_at_a_minute():
    assert estimated_seconds(words(150), "en-US") == pytest.approx(60, abs=1)


def test_it_estimates_german_slower_than_english():
    english, german = estimated_seconds(words(150), "en-US"), estimated_seconds(words(150), "de")

    assert german > english + 5


def test_it_counts_japanese_by_characters():
    text = "こんにちは、" + "あ" * 325 + "。"

    assert estimated_seconds(text, "ja") == pytest.approx(60, abs=1)
    assert estimated_seconds("あ" * 33, "ja") == pytest.approx(6, abs=0.5)


def test_it_ignores_punctuation_and_spaces_between_words():
    assert estimated_seconds("Hello, world !  — ok", "en-US") == estimated_seconds(
        "Hello world ok", "en-US"
    )


def test_it_counts_each_variable_as_one_word():
    assert estimated_seconds("Dear {{first_name}}{{last_name}},", "en-US") == estimated_seconds(
        "Dear Ada Lovelace,", "en-US"
    )
    assert estimated_seconds("こんにちは{{first_name}}さん", "ja") == estimated_seconds(
        "こんにちは太さん", "ja"
    )


def test_adding_a_script_creates_revision_one_by_its_author(alice, acme, login):
    response = login(alice).post(ADD_URL, script_form(acme, text="Hello {{first_name}}."))

    assert response.status_code == 302
    script = Script.objects.get()
    assert (script.team, script.title, script.created_by) == (acme, "Welcome", alice)
    revision = script.revisions.get()
    assert (revision.number, revision.author, revision.text, revision.language) == (
        1,
        alice,
        "Hello {{first_name}}.",
        "en-US",
    )


def test_editing_the_text_creates_the_next_revision(alice, bob, acme, login):
    login(alice).post(ADD_URL, script_form(acme, text="Hello there."))
    script = Script.objects.get()

    response = login(bob).post(change_url(script), script_form(acme, text="Hello again."))

    assert response.status_code == 302
    latest = script.revisions.order_by("-number").first()
    assert (latest.number, latest.author, latest.text) == (2, bob, "Hello again.")
    assert script.revisions.count() == 2


def test_saving_without_a_change_creates_no_revision(alice, acme, login):
    client = login(alice)
    client.post(ADD_URL, script_form(acme, text="Hello there."))
    script = Script.objects.get()

    response = client.post(change_url(script), script_form(acme, text="Hello there."))

    assert response.status_code == 302
    assert list(script.revisions.values_list("number", flat=True)) == [1]


def test_changing_only_the_language_creates_a_revision(alice, acme, login):
    client = login(alice)
    client.post(ADD_URL, script_form(acme, text="Hallo zusammen."))
    script = Script.objects.get()

    client.post(change_url(script), script_form(acme, text="Hallo zusammen.", language="de"))

    latest = script.revisions.order_by("-number").first()
    assert (latest.number, latest.language, latest.text) == (2, "de", "Hallo zusammen.")


def test_its_change_page_shows_variables_estimate_and_history_with_the_diff(alice, acme, login):
    client = login(alice)
    client.post(ADD_URL, script_form(acme, text=f"Hello there.\n{words(148)}"))
    script = Script.objects.get()
    client.post(
        change_url(script),
        script_form(acme, text=f"Hi {{{{first_name}}}} from {{{{ company }}}}.\n{words(146)}"),
    )

    page = client.get(change_url(script))

    assert page.status_code == 200
    content = page.content.decode()
    assert '<code class="var">{{first_name}}</code> <code class="var">{{company}}</code>' in content
    assert "≈ 60 s" in content
    assert "<strong>Revision 2</strong> · alice" in content
    assert "<strong>Revision 1</strong> · alice" in content
    assert content.index("Revision 2") < content.index("Revision 1"), "newest first"
    assert '<span class="del">- Hello there.</span>' in content
    assert '<span class="add">+ Hi {{first_name}} from {{ company }}.</span>' in content


def test_it_refuses_a_script_with_a_bad_variable_and_creates_nothing(alice, acme, login):
    response = login(alice).post(ADD_URL, script_form(acme, text="Hi {{first name}}!"))

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["text"]
    assert "“{{first name}}” is not a valid variable" in errors[0]
    assert "is not a valid variable" in response.content.decode()
    assert not Script.objects.exists()
    assert not ScriptRevision.objects.exists()
