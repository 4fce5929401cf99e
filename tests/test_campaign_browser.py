"""A campaign walked through in a real browser, as its people do it: alice (Marketing, Acme)
uploads a list of people, reads the preview, creates the campaign and takes a sample of two;
bob (Editor, Acme) approves the sample; alice runs the rest and watches the bar move by itself
to 100 %, then takes the results CSV and the ZIP of videos. The fake Crun renders.

Screenshots (1280 and 390 wide): test-artifacts/screenshots/campaign/.
"""

import csv
import io
import threading
import zipfile

import pytest
from playwright.sync_api import Page, expect

from avatars.models import Campaign, CampaignStatus
from tests.browser import PHONE
from tests.helpers.browser_login import log_in
from tests.helpers.campaigns import SCRIPT, csv_of, jobs_of
from tests.helpers.jobs import wait_for
from tests.helpers.shots import save_shot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("fast_passwords"),
]

# Row numbers are the spreadsheet's: the header is row 1.
PEOPLE = [
    ["First Name", "Company", "Email"],
    ["Priya", "Initech", "priya@example.com"],  # 2
    ["Lars", "Globex", "lars@example.com"],  # 3
    ["Ana", "", "ana@example.com"],  # 4: says the fallback, "our team"
    ["", "Hooli", "nobody@example.com"],  # 5: invalid, no first name
    ["Lars", "Globex", "lars@example.com"],  # 6: the same as row 3
    ["Chen", "Umbrella", '=HYPERLINK("http://evil.example")'],  # 7: a formula, neutralised
]
VALUE_NOW = "bar => Number(bar.getAttribute('aria-valuenow'))"
# Set on the document the test opened: a reload would forget it.
MARK = "() => { window.sameDocument = true; }"
SAME_DOCUMENT = "() => window.sameDocument === true"


class Turnstile(threading.Event):
    """A fake render's hold that lets the held renders go on one at a time."""

    def __init__(self) -> None:
        super().__init__()
        self._turns = threading.Semaphore(0)

    def wait(self, timeout: float | None = None) -> bool:
        return self._turns.acquire(timeout=timeout)

    def let_one_go(self) -> None:
        self._turns.release()


@pytest.fixture
def worker_timeout() -> int:
    return 100


def snap(page: Page, name: str) -> None:
    """The page at 1280 and at 390 px wide; the phone's must not scroll sideways."""
    save_shot(page, "campaign", name)
    desktop = page.viewport_size
    page.set_viewport_size(PHONE)
    save_shot(page, "campaign", f"{name}-phone")
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 2, f"{name}: the phone scrolls {overflow} px sideways"
    page.set_viewport_size(desktop)


def test_alice_uploads_samples_bob_approves_and_the_run_is_followed_to_its_results(
    alice, bob, acme, asset_factory, fake_crun, embedded_worker, live_server, new_page
):
    acme.preferred_provider = "crun"
    acme.save()
    asset_factory.consenting_avatar(acme, "Grace")
    asset_factory.script(acme, "Welcome", SCRIPT)
    asset_factory.voice(acme, "Host")
    page = new_page()
    log_in(page, live_server.url, alice, "/studio/campaigns/new/")
    page.get_by_label("Name").fill("Spring welcome")
    page.get_by_label("Avatar").select_option(label="Grace")
    page.get_by_label("Script").select_option(label="Welcome")
    page.get_by_label("Voice", exact=True).select_option(index=1)
    page.get_by_label("List of people").set_input_files(
        {"name": "people.csv", "mimeType": "text/csv", "buffer": csv_of(PEOPLE)}
    )
    snap(page, "upload")

    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#valid-count")).to_have_text("4")
    mapping = page.locator("#mapping")
    expect(mapping).to_contain_text("{{first_name}}")
    expect(mapping).to_contain_text("First Name")
    rows = page.locator("#preview-rows")
    expect(rows).to_contain_text("Hi Priya, welcome to Initech!")
    expect(rows).to_contain_text("Hi Ana, welcome to our team!")
    expect(page.locator("#invalid-rows tbody td")).to_have_text(
        ["5", "“First Name” is empty (it fills {{first_name}})."]
    )
    expect(page.locator("#duplicate-rows tbody td")).to_have_text(["6", "3"])
    expect(page.locator("#estimate")).to_contain_text("$")
    snap(page, "preview")

    page.get_by_role("button", name="Create campaign").click()
    expect(page.locator(".messages")).to_contain_text("4 people to render")
    made = Campaign.objects.get()
    campaign_url = f"/studio/campaigns/{made.pk}/"
    expect(page).to_have_url(f"{live_server.url}{campaign_url}")
    expect(page.locator("#next-step")).to_contain_text("Nothing has been sent or spent yet")
    sample = Turnstile()
    fake_crun.configure(hold_end=sample)
    page.get_by_label("Rows to sample").fill("2")
    page.get_by_role("button", name="Render a sample").click()
    expect(page.locator(".messages")).to_contain_text("Sample sent: 2 rows")
    expect(page.locator("#next-step")).to_contain_text("The sample is rendering")
    snap(page, "sample-rendering")
    sample.let_one_go()
    sample.let_one_go()
    # The page shows by itself that the sample is ready, for someone else to approve.
    expect(page.locator("#next-step")).to_contain_text("The sample is ready", timeout=20_000)
    expect(page.get_by_role("button", name="Approve the sample")).to_have_count(0)
    for job in jobs_of(made):
        assert wait_for(job).status == "succeeded", job.error_message

    reviewer = new_page()
    log_in(reviewer, live_server.url, bob, campaign_url)
    expect(reviewer.locator("#rows tr[data-row='2']")).to_contain_text("Succeeded")
    snap(reviewer, "sample-to-approve")
    reviewer.get_by_role("button", name="Approve the sample").click()
    expect(reviewer.locator(".messages")).to_contain_text("Sample approved")
    expect(reviewer.locator("#campaign-status")).to_have_text("Sample approved")

    turnstile = Turnstile()
    fake_crun.configure(hold_end=turnstile)
    # Alice's page, still open, sees the approval by itself (it reloads on a change of state;
    # a navigation of ours at that moment would be aborted by it).
    expect(page.locator("#campaign-status")).to_have_text("Sample approved", timeout=20_000)
    page.get_by_role("button", name="Run for 2 people").click()
    expect(page.locator(".messages")).to_contain_text("The run has started: 2 rows sent")
    page.evaluate(MARK)
    bar = page.get_by_role("progressbar")
    expect(bar).to_have_attribute("aria-valuenow", "50")
    snap(page, "running")

    turnstile.let_one_go()
    expect(bar).to_have_attribute("aria-valuenow", "75", timeout=20_000)
    assert page.locator("#campaign-bar").evaluate("s => s.style.width") == "75%"
    expect(page.locator("[data-count='succeeded']")).to_have_text("3")
    assert page.evaluate(SAME_DOCUMENT), "the page reloaded to move the bar"

    turnstile.let_one_go()
    expect(bar).to_have_attribute("aria-valuenow", "100", timeout=20_000)
    expect(page.locator("#campaign-status")).to_have_text("Finished", timeout=20_000)
    made.refresh_from_db()
    assert made.status == CampaignStatus.FINISHED
    snap(page, "finished")

    with page.expect_download() as downloading:
        page.get_by_role("link", name="Results CSV").click()
    path = downloading.value.path()
    results = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert results[0] == [
        "First Name", "Company", "Email",
        "row", "status", "share_link", "video_link", "cost", "error",
    ]  # fmt: skip
    by_row = {line[3]: line for line in results[1:]}
    assert sorted(by_row) == ["2", "3", "4", "5", "6", "7"]
    assert [by_row[n][4] for n in ("2", "3", "4", "7")] == ["succeeded"] * 4
    assert by_row["5"][4] == "invalid" and "First Name" in by_row["5"][8]
    assert by_row["6"][4] == "duplicate"
    assert by_row["7"][2] == '\'=HYPERLINK("http://evil.example")'
    assert all(by_row[n][5].startswith("http") for n in ("2", "3", "4", "7"))

    zip_href = page.get_by_role("link", name="All finished videos (ZIP)").get_attribute("href")
    answer = page.request.get(f"{live_server.url}{zip_href}")
    assert answer.status == 200
    assert answer.headers["content-type"] == "application/zip"
    assert len(zipfile.ZipFile(io.BytesIO(answer.body())).namelist()) == 4

    page.goto(f"{live_server.url}/studio/campaigns/")
    expect(page.locator("table.list")).to_contain_text("4 of 4")
    snap(page, "list")
