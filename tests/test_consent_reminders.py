"""Reminders 30 and 7 days before an avatar's consent ends, to its team's Editors, each once.

bob is Acme's Editor and is reminded; alice (Marketing) is not; gus, Globex's Editor, never
hears of Acme's avatars.
"""

import datetime

import pytest

from avatars import consent, tasks
from avatars.models import Avatar, ConsentReminder, Notification
from tests.helpers.studio import consented

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 12, 1)


def ending_in(asset_factory, team, days: int, name: str = "Grace") -> Avatar:
    avatar = consented(asset_factory, team, name)
    avatar.consent_expires = TODAY + datetime.timedelta(days=days)
    avatar.save()
    return avatar


def reminders(user) -> list[str]:
    return list(Notification.objects.filter(user=user).values_list("message", flat=True))


def test_the_teams_editors_are_reminded_30_days_before(acme, alice, bob, gus, asset_factory):
    grace = ending_in(asset_factory, acme, 30)

    assert consent.send_reminders(TODAY) == 1

    assert reminders(bob) == [
        "Consent for “Grace” (Grace Person) ends in 30 days, on 31 Dec 2026. Record renewed "
        "consent, or it can no longer be rendered."
    ]
    assert reminders(alice) == [] and reminders(gus) == []
    note = Notification.objects.get(user=bob)
    assert (note.avatar, note.job, note.kind) == (grace, None, "consent")


def test_each_threshold_is_reminded_once_however_often_the_sweep_runs(acme, bob, asset_factory):
    grace = ending_in(asset_factory, acme, 29)
    for day in range(3):
        consent.send_reminders(TODAY + datetime.timedelta(days=day))
    assert len(reminders(bob)) == 1

    for day in range(22, 29):  # 7 days before and after
        consent.send_reminders(TODAY + datetime.timedelta(days=day))
    assert len(reminders(bob)) == 2
    assert "ends in 7 days" in reminders(bob)[0]
    assert sorted(ConsentReminder.objects.filter(avatar=grace).values_list("days", flat=True)) == [
        7,
        30,
    ]


def test_an_avatar_first_seen_within_7_days_gets_that_reminder_alone(acme, bob, asset_factory):
    ending_in(asset_factory, acme, 3)

    consent.send_reminders(TODAY)
    consent.send_reminders(TODAY)

    assert reminders(bob) == [
        "Consent for “Grace” (Grace Person) ends in 3 days, on 4 Dec 2026. Record renewed "
        "consent, or it can no longer be rendered."
    ]


def test_renewed_consent_is_reminded_of_again(acme, bob, asset_factory):
    grace = ending_in(asset_factory, acme, 7)
    consent.send_reminders(TODAY)
    grace.consent_expires = TODAY + datetime.timedelta(days=37)
    grace.save()

    consent.send_reminders(TODAY + datetime.timedelta(days=7))

    assert len(reminders(bob)) == 2


@pytest.mark.parametrize("state", ["far", "expired", "withdrawn", "archived", "missing"])
def test_nothing_is_sent_for_consent_not_ending_soon_or_no_longer_in_use(
    acme, bob, asset_factory, state
):
    grace = ending_in(asset_factory, acme, 45 if state == "far" else 5)
    if state == "expired":
        grace.consent_expires = TODAY - datetime.timedelta(days=1)
    elif state == "withdrawn":
        grace.consent_withdrawn_at = datetime.datetime(2026, 11, 1, tzinfo=datetime.UTC)
    elif state == "archived":
        grace.archived = True
    elif state == "missing":
        grace.consent_person = ""
    grace.save()

    assert consent.send_reminders(TODAY) == 0
    assert reminders(bob) == []


def test_the_sweep_sends_them(acme, bob, asset_factory, monkeypatch):
    from django.utils import timezone

    ending_in(asset_factory, acme, 30)
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: TODAY)

    tasks.reconcile_jobs.fn()

    assert len(reminders(bob)) == 1


def test_the_notifications_page_links_a_reminder_to_the_avatar(acme, bob, asset_factory, login):
    grace = ending_in(asset_factory, acme, 30)
    consent.send_reminders(TODAY)

    body = login(bob).get("/studio/notifications/").content.decode()

    assert f'href="/studio/avatars/{grace.pk}/">Consent for “Grace”' in body
    assert "Consent ending" in body
