"""Scripts in a real browser: alice (Marketing, Acme) writes a script with a variable in the
studio, hears it unsaved, edits it, and renders its first revision through the sandbox,
never leaving the studio; the New render form warns as she picks.

The pages are kept as test-artifacts/screenshots/scripts-<page>.png, 1280 and 390 wide.
"""

import pytest
from django.core.cache import cache
from playwright.sync_api import Page, expect

from avatars.models import JobStatus, RenderJob, Script
from avatars.scripts import estimated_seconds, save_with_revision
from tests.browser import PHONE, SCREENSHOTS
from tests.helpers.browser_login import log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("fast_passwords"),
]

FIRST = "Hi {{first_name}}, join our spring webinar on Thursday."
SECOND = "Hi {{first_name}}, join our spring webinar on Thursday.\nBring a friend!"
# Resolves with the media's duration once its metadata has loaded, or -1 on an error.
DURATION = """media => media.readyState >= 1 ? media.duration : new Promise(resolve => {
    media.addEventListener("loadedmetadata", () => resolve(media.duration));
    media.addEventListener("error", () => resolve(-1));
})"""


def snap(page: Page, name: str) -> None:
    """Keep the whole page as scripts-<name>.png and, 390 wide, scripts-<name>-phone.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"scripts-{name}.png", full_page=True)
    desktop = page.viewport_size
    page.set_viewport_size(PHONE)
    page.screenshot(path=SCREENSHOTS / f"scripts-{name}-phone.png", full_page=True)
    page.set_viewport_size(desktop)


@pytest.fixture(autouse=True)
def no_preview_counts():
    cache.clear()


def test_a_marketer_writes_a_script_and_renders_it_from_the_studio_alone(
    alice, acme, grace, asset_factory, sandbox, embedded_worker, live_server, new_page
):
    asset_factory.voice(acme, "Host")
    base = live_server.url
    page = new_page()
    log_in(page, base, alice, "/studio/")
    snap(page, "home")

    page.get_by_role("link", name="New script").click()
    expect(page).to_have_url(f"{base}/studio/scripts/new/")
    page.get_by_label("Title").fill("Spring webinar invite")
    text = page.get_by_label("Text")
    text.press_sequentially("Hi {{first_name}}, see you {soon}")
    # The names show as they are typed; the server's warning follows.
    expect(page.locator("#variables")).to_have_text("{{first_name}}")
    expect(page.locator("#warnings")).to_contain_text("“{soon}” has single braces")
    snap(page, "new-warning")
    text.fill(FIRST)
    expect(page.locator("#warnings")).to_be_hidden()
    expect(page.locator("#seconds")).to_have_text(f"≈ {round(estimated_seconds(FIRST, 'en-US'))} s")

    with page.expect_response(lambda r: r.url.endswith("/studio/scripts/preview.wav")) as heard:
        page.get_by_role("button", name="Hear it").click()
    assert heard.value.status == 200 and heard.value.headers["content-type"] == "audio/wav"
    audio = page.locator("#hear-audio")
    expect(audio).to_be_visible()
    assert audio.evaluate(DURATION) > 1
    assert not Script.objects.exists(), "hearing it saves nothing"
    snap(page, "new")

    page.get_by_role("button", name="Save the script").click()
    script = Script.objects.get()
    expect(page).to_have_url(f"{base}/studio/scripts/{script.pk}/")
    expect(page.locator(".messages")).to_contain_text("is saved as revision 1.")

    page.get_by_role("link", name="Edit", exact=True).click()
    page.get_by_label("Text").fill(SECOND)
    expect(page.locator("#seconds")).to_have_text(
        f"≈ {round(estimated_seconds(SECOND, 'en-US'))} s"
    )
    snap(page, "edit")
    page.get_by_role("button", name="Save as a new revision").click()
    expect(page.locator(".messages")).to_contain_text("is saved as revision 2.")
    expect(page.locator("#revision-2 .diff .add")).to_have_text("+ Bring a friend!")
    snap(page, "script")
    page.get_by_role("link", name="Scripts", exact=True).click()
    expect(page.locator("table.list")).to_contain_text("Spring webinar invite")
    snap(page, "list")
    page.get_by_role("link", name="Spring webinar invite").click()

    page.locator("#revision-1").get_by_role("link", name="Render this revision").click()
    expect(page.get_by_label("Script", exact=True)).to_have_value(str(script.pk))
    first = script.revisions.get(number=1)
    expect(page.get_by_label("Revision")).to_have_value(str(first.pk))
    # The sandbox renders it, so the estimate is the free draft's (pricing by the revision
    # chosen is test_studio_scripts.py's).
    expect(page.locator("#estimate")).to_contain_text("Free draft — $0.00")
    page.get_by_label("Avatar", exact=True).select_option(label="Grace")
    page.get_by_label("Voice", exact=True).select_option(label="Host")
    page.get_by_label("Variables").fill("first_name=Ada\ncity=Paris")
    expect(page.locator("#render-warnings")).to_contain_text("“city” is not a variable")
    page.get_by_label("Variables").fill("first_name=Ada")
    expect(page.locator("#render-warnings")).to_be_hidden()
    page.get_by_label("Provider").select_option("sandbox")
    snap(page, "render-revision")
    page.get_by_role("button", name="Render", exact=True).click()

    job = RenderJob.objects.get()
    expect(page).to_have_url(f"{base}/studio/renders/{job.pk}/")
    expect(page.locator("video.player")).to_be_visible(timeout=60_000)
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, job.error_message
    assert (job.script_revision, job.text, job.variables) == (
        first,
        "Hi Ada, join our spring webinar on Thursday.",
        {"first_name": "Ada"},
    )
    assert page.locator("video.player").evaluate(DURATION) > 1


def test_the_new_render_form_warns_of_a_voice_of_another_language(
    alice, acme, grace, asset_factory, live_server, new_page
):
    english = asset_factory.voice(acme, "Host")
    spanish_voice = asset_factory.voice(acme, "Locutora")
    spanish_voice.language = "es"
    spanish_voice.save()
    spanish = Script(team=acme, title="Bienvenida", language="es", text="¡Hola, {{nombre}}!")
    save_with_revision(spanish, alice)
    page = new_page()
    log_in(page, live_server.url, alice, f"/studio/render/?script={spanish.pk}")

    page.get_by_label("Voice", exact=True).select_option(str(english.pk))
    warnings = page.locator("#render-warnings")
    expect(warnings).to_have_text(
        "The script is in Spanish but the voice “Host” speaks English (US). "
        "Pick a voice that speaks Spanish, or change the script's language."
    )
    snap(page, "render-language-warning")
    page.get_by_label("Voice", exact=True).select_option(str(spanish_voice.pk))
    expect(warnings).to_be_hidden()

    # The revisions offered are the script's the page was opened with: another script, none.
    expect(page.get_by_label("Revision")).to_be_visible()
    page.get_by_label("Script", exact=True).select_option(label="---------")
    expect(page.get_by_label("Revision")).to_be_hidden()
