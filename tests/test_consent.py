"""Consent: whose likeness, for what use, until when; anything less is clearly marked."""

import datetime

import pytest
from django.utils import timezone

from avatars.models import Avatar, ConsentScope, ConsentStatus

TODAY = datetime.date(2026, 11, 21)


def consent(days_left: int | None, person: str = "Ada Lovelace") -> dict:
    expires = TODAY + datetime.timedelta(days=days_left) if days_left is not None else None
    return {
        "consent_person": person,
        "consent_scope": ConsentScope.ORGANIC,
        "consent_expires": expires,
    }


@pytest.mark.parametrize(
    ("fields", "status"),
    [
        (consent(365), ConsentStatus.VALID),
        (consent(31), ConsentStatus.VALID),
        (consent(30), ConsentStatus.EXPIRING),
        (consent(0), ConsentStatus.EXPIRING),
        (consent(-1), ConsentStatus.EXPIRED),
        (consent(None), ConsentStatus.MISSING),
        (consent(365, person=""), ConsentStatus.MISSING),
        ({**consent(365), "consent_scope": ""}, ConsentStatus.MISSING),
        (
            {**consent(365), "consent_withdrawn_at": timezone.now()},
            ConsentStatus.WITHDRAWN,
        ),
        ({"consent_withdrawn_at": timezone.now()}, ConsentStatus.WITHDRAWN),
    ],
)
def test_the_status_follows_person_scope_and_expiry(fields, status, acme, asset_factory):
    avatar = asset_factory.avatar(acme, **fields)

    assert avatar.consent_status(today=TODAY) == status
    assert list(Avatar.objects.with_consent(status, today=TODAY)) == [avatar]
    others = [s for s in ConsentStatus if s != status]
    assert not any(Avatar.objects.with_consent(s, today=TODAY).exists() for s in others)


@pytest.mark.parametrize(
    ("fields", "summary"),
    [
        (consent(365), "Consent valid until 21 Nov 2027"),
        (consent(7), "Consent expires soon, on 28 Nov 2026"),
        (consent(-1), "Consent expired on 20 Nov 2026"),
        (consent(None), "No consent on record"),
        (
            {
                **consent(30),
                "consent_withdrawn_at": datetime.datetime(2026, 11, 2, 12, tzinfo=datetime.UTC),
            },
            "Consent withdrawn on 2 Nov 2026",
        ),
    ],
)
def test_the_consent_reads_in_one_line_without_expired_until(fields, summary, acme, asset_factory):
    avatar = asset_factory.avatar(acme, **fields)

    assert avatar.consent_summary(today=TODAY) == summary


def test_only_unexpired_consent_is_valid_for_rendering(acme, asset_factory):
    today = timezone.localdate()
    valid = asset_factory.avatar(
        acme, "Valid", consent_person="A", consent_scope="any", consent_expires=today
    )
    expired = asset_factory.avatar(
        acme,
        "Expired",
        consent_person="B",
        consent_scope="any",
        consent_expires=today - datetime.timedelta(days=1),
    )
    missing = asset_factory.avatar(acme, "Missing")

    assert [valid.has_valid_consent, expired.has_valid_consent, missing.has_valid_consent] == [
        True,
        False,
        False,
    ]


def test_the_list_marks_each_avatar_and_filters_by_consent(alice, acme, login, asset_factory):
    today = timezone.localdate()
    asset_factory.avatar(
        acme,
        "Fine",
        consent_person="A",
        consent_scope="any",
        consent_expires=today + datetime.timedelta(days=400),
    )
    asset_factory.avatar(
        acme,
        "Lapsed",
        consent_person="B",
        consent_scope="any",
        consent_expires=today - datetime.timedelta(days=3),
    )
    asset_factory.avatar(acme, "Unknown")
    client = login(alice)

    page = client.get("/admin/avatars/avatar/").content.decode()
    expired = client.get("/admin/avatars/avatar/?consent=expired")

    assert page.count("badge-ok") == 1 and page.count("badge-bad") == 2
    assert "Consent expired" in page and "No consent on record" in page
    assert [a.name for a in expired.context["cl"].result_list] == ["Lapsed"]
