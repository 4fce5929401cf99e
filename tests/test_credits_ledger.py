"""The ledger: a hold when a render is requested, a charge once it succeeds, a release when
it fails or is canceled, refunds and adjustments entered by a superuser, and no way to
change or delete a row once written.

Who may do what (the cast of tests/conftest.py):
- alice (Marketing, Acme) requests renders; she cannot open the ledger.
- bob (Editor, Acme) cancels renders; he cannot open the ledger or add to it either.
- audrey (Auditor) reads the ledger and the audit log of every team and changes nothing.
- root (superuser) reads everything and adds refunds and adjustments, with a reason; even
  root cannot change or delete a ledger row.
"""

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

from avatars import credits, render
from avatars.models import AuditEntry, CreditEntry, JobStatus, RenderJob, Team
from avatars.models.credits import AppendOnly
from tests.helpers.callbacks import deliver, waiting_job
from tests.helpers.jobs import render_request, status_path, wait_for
from tests.helpers.ledger import entries, kinds, total
from tests.helpers.waiting import wait_until

K = CreditEntry.Kind
pipeline = pytest.mark.django_db(transaction=True)
LEDGER = "/admin/avatars/creditentry/"
AUDIT_LOG = "/admin/avatars/auditentry/"
# A price of Crun's that the fake Crun's reported credits (0.025 $/s) never equal, so a test
# can tell which of the two a charge came from.
CRUN_PRICE = {"720p": "0.10", "1080p": "0.20"}


@pytest.fixture
def worker_timeout() -> int:
    """Wake idle worker threads often: delays are honoured to 0.1 s and teardown is quick."""
    return 100


@pytest.fixture
def crun_price(settings) -> dict[str, str]:
    settings.PROVIDER_PRICES = {**settings.PROVIDER_PRICES, "crun": CRUN_PRICE}
    return CRUN_PRICE


def crun_request(assets, team: Team, user) -> render.RenderRequest:
    return render_request(assets, team, user=user, provider="crun")


def settled_job(assets, team: Team, user, status: str = JobStatus.SUCCEEDED, **fields) -> RenderJob:
    """A job held, audited and settled as the pipeline does it, without running the pipeline."""
    # On a paid provider: a free draft holds nothing.
    fields = {
        "provider": "crun",
        "estimated_cost": Decimal("0.5000"),
        "cost": Decimal("0.4000"),
        **fields,
    }
    job = assets.job(team, status=JobStatus.STORING, requested_by=user, **fields)
    with transaction.atomic():
        credits.reserve(job, user)
    credits.record(
        AuditEntry.Action.RENDER_REQUESTED, team, user, job=job, amount=job.estimated_cost
    )
    render.transition(job.pk, status, allowed_from=[JobStatus.STORING], actor="storage")
    return job


# --- estimate, hold, charge ---------------------------------------------------------------------


@pipeline
def test_a_success_holds_the_estimate_and_charges_the_reported_cost(
    alice, acme, asset_factory, fake_crun, embedded_worker, crun_price
):
    request = crun_request(asset_factory, acme, alice)

    job = render.request_render(request)
    held = entries(job)
    job = wait_for(job)

    assert job.status == JobStatus.SUCCEEDED, job.error_message
    assert [(e.kind, e.amount) for e in held] == [(K.HOLD, job.estimated_cost)]
    spoken = credits.estimated_seconds(text=job.text)
    assert job.estimated_cost == credits.price("crun", "720p", spoken) > 0
    reported = Decimal(str(fake_crun.cost(fake_crun.tasks[job.provider_task_id])))
    assert job.cost == reported == Decimal("0.0250")
    assert [(e.kind, e.amount) for e in entries(job)] == [
        (K.HOLD, job.estimated_cost),
        (K.RELEASE, -job.estimated_cost),
        (K.CHARGE, reported),
    ]
    assert total(job) == job.cost
    rows = {(e.team_id, e.user_id, e.provider, e.job_id) for e in entries(job)}
    assert rows == {(acme.pk, alice.pk, "crun", job.pk)}
    audit = AuditEntry.objects.get(job=job)
    assert (audit.action, audit.actor, audit.amount) == (
        AuditEntry.Action.RENDER_REQUESTED,
        alice,
        job.estimated_cost,
    )


@pipeline
def test_without_a_reported_cost_the_charge_is_the_price_of_the_real_duration(
    alice, acme, asset_factory, fake_crun, embedded_worker, crun_price
):
    fake_crun.configure(report_cost=False)

    job = wait_for(render.request_render(crun_request(asset_factory, acme, alice)))

    assert job.status == JobStatus.SUCCEEDED, job.error_message
    assert job.duration_seconds == pytest.approx(1.0, abs=0.1)
    expected = credits.price("crun", "720p", job.duration_seconds)
    assert (
        job.cost == expected != Decimal(str(fake_crun.cost(fake_crun.tasks[job.provider_task_id])))
    )
    assert kinds(job) == [K.HOLD, K.RELEASE, K.CHARGE]
    assert entries(job)[-1].amount == expected == total(job)


# --- failures and cancels release ---------------------------------------------------------------


@pipeline
@pytest.mark.parametrize(
    ("behaviour", "code"),
    [
        ({"create_error": 402}, "insufficient_credits"),
        ({"fail_generation": True}, "generation_failed"),
    ],
    ids=["refused-at-submit", "failed-generation"],
)
def test_a_failed_render_releases_its_hold_and_is_not_charged(
    alice, acme, asset_factory, fake_crun, embedded_worker, behaviour, code
):
    fake_crun.configure(**behaviour)

    job = wait_for(render.request_render(crun_request(asset_factory, acme, alice)))

    assert job.status == JobStatus.FAILED
    assert job.error_code == code
    assert [(e.kind, e.amount) for e in entries(job)] == [
        (K.HOLD, job.estimated_cost),
        (K.RELEASE, -job.estimated_cost),
    ]
    assert total(job) == 0
    assert {(e.user_id, e.provider) for e in entries(job)} == {(alice.pk, "crun")}
    assert credits.budget_status(acme).committed == 0


@pipeline
def test_a_render_canceled_while_processing_releases_its_hold_and_stays_unpaid(
    alice, bob, acme, asset_factory, fake_crun, embedded_worker
):
    fake_crun.configure(render_delay=2.0)
    job = wait_for(
        render.request_render(crun_request(asset_factory, acme, alice)),
        lambda j: j.status == JobStatus.PROCESSING,
        timeout=10,
    )

    assert render.cancel(job.pk, bob)
    # The provider finishes anyway (Crun cannot stop a task) and calls back.
    wait_until(lambda: job.events.filter(kind="callback").exists())
    job.refresh_from_db()

    assert job.status == JobStatus.CANCELED
    assert fake_crun.tasks[job.provider_task_id].status == "success"
    assert kinds(job) == [K.HOLD, K.RELEASE] and total(job) == 0
    audit = AuditEntry.objects.get(action=AuditEntry.Action.RENDER_CANCELED)
    assert (audit.job, audit.actor) == (job, bob)


@pipeline
def test_three_success_callbacks_and_a_poll_charge_the_job_once(
    acme, asset_factory, fake_crun, embedded_worker, settings, live_server
):
    job = waiting_job(fake_crun, asset_factory, acme, "crun", settings)
    body = fake_crun.callback(fake_crun.tasks[job.provider_task_id])

    with ThreadPoolExecutor(max_workers=4) as pool:
        polled = pool.submit(render.poll, job.pk, False)
        answers = list(pool.map(lambda _: deliver(live_server, job, body), range(3)))
        polled.result()
    job = wait_for(job)
    render.poll(job.pk, reschedule=False)  # a late poll of a finished job changes nothing

    assert [a.status_code for a in answers] == [200] * 3
    assert job.status == JobStatus.SUCCEEDED, job.error_message
    assert status_path(job).count("storing") == 1
    assert job.events.filter(kind="callback").count() == 3
    assert kinds(job) == [K.HOLD, K.RELEASE, K.CHARGE]
    assert total(job) == job.cost == Decimal("0.0250")
    assert fake_crun.calls["create"] == 1


def test_settling_a_job_again_changes_nothing(alice, acme, asset_factory):
    job = settled_job(asset_factory, acme, alice)

    credits.settle(job.pk, JobStatus.SUCCEEDED)
    credits.settle(job.pk, JobStatus.FAILED)

    assert kinds(job) == [K.HOLD, K.RELEASE, K.CHARGE]
    assert total(job) == Decimal("0.4000")


def test_the_database_refuses_a_second_hold_charge_or_release_of_a_job(alice, acme, asset_factory):
    job = settled_job(asset_factory, acme, alice)

    for kind in (K.HOLD, K.CHARGE, K.RELEASE):
        with pytest.raises(IntegrityError), transaction.atomic():
            CreditEntry.objects.create(team=acme, job=job, kind=kind, amount=Decimal("1"))
    for kind in (K.REFUND, K.REFUND, K.ADJUSTMENT):
        CreditEntry.objects.create(
            team=acme, job=job, kind=kind, amount=Decimal("-0.1"), reason="x"
        )

    assert total(job) == Decimal("0.1000")


# --- append-only --------------------------------------------------------------------------------


@pytest.mark.parametrize("model", [CreditEntry, AuditEntry])
def test_rows_cannot_be_changed_or_deleted_through_the_orm(alice, acme, asset_factory, model):
    settled_job(asset_factory, acme, alice)
    row = model.objects.first()
    rows = model.objects.filter(pk=row.pk)

    row.team = acme
    with pytest.raises(AppendOnly):
        row.save()
    with pytest.raises(AppendOnly):
        row.delete()
    with pytest.raises(AppendOnly):
        rows.update(team=acme)
    with pytest.raises(AppendOnly):
        rows.delete()
    with pytest.raises(AppendOnly), transaction.atomic():
        model.objects.bulk_update([row], ["team"])

    assert model.objects.filter(pk=row.pk).exists()


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the append-only triggers of migration 0007 exist on PostgreSQL only",
)
@pytest.mark.parametrize("table", ["avatars_creditentry", "avatars_auditentry"])
@pytest.mark.parametrize("statement", ["UPDATE {} SET created_at = now()", "DELETE FROM {}"])
def test_postgresql_refuses_raw_updates_and_deletes(alice, acme, asset_factory, table, statement):
    settled_job(asset_factory, acme, alice)
    before = CreditEntry.objects.count(), AuditEntry.objects.count()

    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement.format(table))

    assert (CreditEntry.objects.count(), AuditEntry.objects.count()) == before


# --- the ledger in the admin --------------------------------------------------------------------


def test_an_auditor_reads_the_ledger_and_the_audit_log_of_every_team(
    audrey, alice, charlie, acme, globex, asset_factory, login
):
    ours = settled_job(asset_factory, acme, alice)
    theirs = settled_job(asset_factory, globex, charlie)
    client = login(audrey)

    ledger = client.get(LEDGER)
    log = client.get(AUDIT_LOG)
    entry = CreditEntry.objects.filter(job=theirs).first()
    page = client.get(f"{LEDGER}{entry.pk}/change/")
    audit_page = client.get(f"{AUDIT_LOG}{AuditEntry.objects.first().pk}/change/")

    assert ledger.status_code == log.status_code == 200
    assert {e.job for e in ledger.context["cl"].result_list} == {ours, theirs}
    assert {e.team for e in log.context["cl"].result_list} == {acme, globex}
    assert page.status_code == audit_page.status_code == 200
    assert b'name="_save"' not in page.content and b'name="_save"' not in audit_page.content


def test_an_auditor_changes_nothing_in_the_ledger_or_the_audit_log(
    audrey, alice, acme, asset_factory, login
):
    job = settled_job(asset_factory, acme, alice)
    entry, audit = CreditEntry.objects.filter(job=job).first(), AuditEntry.objects.first()
    client = login(audrey)
    refund = {"team": acme.pk, "job": job.pk, "kind": "refund", "amount": "1", "reason": "x"}

    answers = [
        client.get(f"{LEDGER}add/"),
        client.post(f"{LEDGER}add/", refund),
        client.post(f"{LEDGER}{entry.pk}/change/", {**refund, "amount": "0"}),
        client.post(f"{LEDGER}{entry.pk}/delete/", {"post": "yes"}),
        client.get(f"{AUDIT_LOG}add/"),
        client.post(f"{AUDIT_LOG}{audit.pk}/change/", {"detail": "edited"}),
        client.post(f"{AUDIT_LOG}{audit.pk}/delete/", {"post": "yes"}),
    ]

    assert [a.status_code for a in answers] == [403] * len(answers)
    assert kinds(job) == [K.HOLD, K.RELEASE, K.CHARGE]
    assert AuditEntry.objects.filter(pk=audit.pk, detail=audit.detail).exists()


@pytest.mark.parametrize("who", ["alice", "bob"])
def test_marketers_and_editors_cannot_open_the_ledger(who, request, acme, asset_factory, login):
    user = request.getfixturevalue(who)
    job = settled_job(asset_factory, acme, user)
    client = login(user)

    pages = [LEDGER, AUDIT_LOG, f"{LEDGER}add/", f"{LEDGER}{job.credit_entries.first().pk}/change/"]

    assert [client.get(page).status_code for page in pages] == [403] * len(pages)


def test_not_even_a_superuser_can_edit_or_delete_a_ledger_row(
    root, alice, acme, asset_factory, login
):
    job = settled_job(asset_factory, acme, alice)
    entry = CreditEntry.objects.get(job=job, kind=K.CHARGE)
    client = login(root)
    change = f"{LEDGER}{entry.pk}/change/"
    form = {"team": acme.pk, "job": job.pk, "kind": "adjustment", "amount": "0", "reason": "x"}

    page = client.get(change)
    edited = client.post(change, form)
    delete_page = client.get(f"{LEDGER}{entry.pk}/delete/")
    deleted = client.post(f"{LEDGER}{entry.pk}/delete/", {"post": "yes"})
    listed = client.get(LEDGER)
    bulk = client.post(LEDGER, {"action": "delete_selected", "_selected_action": [entry.pk]})

    assert page.status_code == 200 and b'name="_save"' not in page.content
    assert (edited.status_code, delete_page.status_code, deleted.status_code) == (403, 403, 403)
    assert listed.context["action_form"] is None and b'name="action"' not in listed.content
    assert bulk.status_code in (200, 302)
    assert kinds(job) == [K.HOLD, K.RELEASE, K.CHARGE]
    assert CreditEntry.objects.get(pk=entry.pk).amount == Decimal("0.4000")


@pytest.mark.parametrize(
    ("kind", "amount", "booked", "action"),
    [
        ("refund", "0.25", Decimal("-0.2500"), AuditEntry.Action.REFUND),
        ("adjustment", "1.50", Decimal("1.5000"), AuditEntry.Action.ADJUSTMENT),
        ("adjustment", "-1.50", Decimal("-1.5000"), AuditEntry.Action.ADJUSTMENT),
    ],
)
def test_a_superuser_adds_a_refund_or_adjustment_with_a_reason_and_it_is_audited(
    root, alice, acme, asset_factory, login, kind, amount, booked, action
):
    job = settled_job(asset_factory, acme, alice)
    reason = "The provider rendered a black frame."

    answer = login(root).post(
        f"{LEDGER}add/",
        {"team": acme.pk, "job": job.pk, "kind": kind, "amount": amount, "reason": reason},
    )

    assert answer.status_code == 302
    entry = CreditEntry.objects.get(job=job, kind=kind)
    assert (entry.amount, entry.reason, entry.user, entry.provider) == (
        booked,
        reason,
        root,
        "crun",
    )
    audit = AuditEntry.objects.get(action=action)
    assert (audit.actor, audit.team, audit.job, audit.amount, audit.detail) == (
        root,
        acme,
        job,
        booked,
        reason,
    )
    assert total(job) == Decimal("0.4000") + booked


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"reason": ""}, "reason", "required"),
        ({"amount": "0"}, "amount", "changes nothing"),
        ({"team": "globex"}, "job", "another team"),
        ({"kind": "charge"}, "kind", "valid choice"),
    ],
)
def test_a_refund_without_a_reason_or_with_a_wrong_team_is_refused(
    root, alice, acme, globex, asset_factory, login, changes, field, message
):
    job = settled_job(asset_factory, acme, alice)
    form = {"team": acme.pk, "job": job.pk, "kind": "refund", "amount": "1", "reason": "why"}
    form |= {k: globex.pk if v == "globex" else v for k, v in changes.items()}

    answer = login(root).post(f"{LEDGER}add/", form)

    assert answer.status_code == 200
    assert message in " ".join(answer.context["adminform"].form.errors[field])
    assert kinds(job) == [K.HOLD, K.RELEASE, K.CHARGE]
    assert not AuditEntry.objects.filter(action__in=["refund", "adjustment"]).exists()


# --- budgets changed in the team admin ----------------------------------------------------------


def team_form(team: Team, **changes: object) -> dict[str, object]:
    form = {
        "name": team.name,
        "slug": team.slug,
        "monthly_budget": str(team.monthly_budget),
        "approval_threshold": str(team.approval_threshold or ""),
        "members": list(team.members.values_list("pk", flat=True)),
    }
    return form | changes


def test_a_budget_change_by_root_is_audited_with_before_and_after(root, alice, acme, login):
    client = login(root)
    url = f"/admin/avatars/team/{acme.pk}/change/"

    unchanged = client.post(url, team_form(acme))
    changed = client.post(url, team_form(acme, monthly_budget="250.00", approval_threshold=""))

    assert unchanged.status_code == changed.status_code == 302
    audit = AuditEntry.objects.get()
    assert (audit.action, audit.actor, audit.team, audit.amount) == (
        AuditEntry.Action.BUDGET_CHANGED,
        root,
        acme,
        Decimal("150.0000"),
    )
    assert audit.detail == "monthly budget $100.00 → $250.00; approval threshold $5.00 → none"
    acme.refresh_from_db()
    assert (acme.monthly_budget, acme.approval_threshold) == (Decimal("250.00"), None)


def test_a_marketer_cannot_change_the_budget(alice, acme, login):
    answer = login(alice).post(
        f"/admin/avatars/team/{acme.pk}/change/", team_form(acme, monthly_budget="9999")
    )

    assert answer.status_code == 403
    acme.refresh_from_db()
    assert acme.monthly_budget == Decimal("100.00")
    assert not AuditEntry.objects.exists()
