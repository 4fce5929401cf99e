"""Standard Webhooks signatures: what is believed and what is refused, with no server at all."""

import base64
import hashlib
import hmac

import pytest

from avatars.providers import webhooks
from avatars.providers.base import CallbackRejected, SignatureRejected

KEY = b"a-test-key-of-reasonable-length!"
SECRET = "whsec_" + base64.b64encode(KEY).decode()
BODY = b'{"type": "video.completed", "data": {"id": "video_1", "status": "completed"}}'
NOW = 1_700_000_000


def headers(body: bytes = BODY, *, delivery_id: str = "msg_1", stamp: int = NOW, **extra: str):
    return {
        "webhook-id": delivery_id,
        "webhook-timestamp": str(stamp),
        "webhook-signature": webhooks.sign(body, SECRET, delivery_id, stamp),
    } | extra


def test_a_good_signature_gives_the_delivery_id():
    assert webhooks.verify(BODY, headers(), SECRET, now=NOW) == "msg_1"


def test_the_signature_is_the_documented_hmac_over_id_timestamp_and_body():
    expected = base64.b64encode(
        hmac.new(KEY, b"msg_1.1700000000." + BODY, hashlib.sha256).digest()
    ).decode()

    assert webhooks.sign(BODY, SECRET, "msg_1", NOW) == f"v1,{expected}"


def test_a_secret_without_its_prefix_works_too():
    bare = SECRET.removeprefix("whsec_")

    assert webhooks.verify(BODY, headers(), bare, now=NOW) == "msg_1"


def test_one_matching_signature_among_several_is_enough():
    good = headers()["webhook-signature"]
    rotated = webhooks.sign(BODY, "whsec_" + base64.b64encode(b"old-key").decode(), "msg_1", NOW)
    signatures = f"v2,abc {rotated} {good}"

    assert webhooks.verify(BODY, headers(**{"webhook-signature": signatures}), SECRET, now=NOW)


@pytest.mark.parametrize(
    ("tamper", "words"),
    [
        (lambda h: h | {"webhook-signature": "v1,AAAA"}, "does not match"),
        (lambda h: h | {"webhook-signature": "v1," + "A" * 44}, "does not match"),
        (
            lambda h: h | {"webhook-signature": h["webhook-signature"].replace("v1,", "v2,")},
            "does not match",
        ),
        (lambda h: h | {"webhook-signature": "garbage"}, "does not match"),
        (lambda h: h | {"webhook-id": "msg_2"}, "does not match"),
        (lambda h: h | {"webhook-timestamp": str(NOW + 1)}, "does not match"),
        (lambda h: {k: v for k, v in h.items() if k != "webhook-signature"}, "not signed"),
        (lambda h: {k: v for k, v in h.items() if k != "webhook-id"}, "not signed"),
        (lambda h: {k: v for k, v in h.items() if k != "webhook-timestamp"}, "not signed"),
        (lambda h: {}, "not signed"),
        (lambda h: h | {"webhook-timestamp": "yesterday"}, "not a number"),
        (lambda h: h | {"webhook-id": "x" * 201}, "too long"),
    ],
    ids=[
        "wrong",
        "wrong-same-length",
        "other-version",
        "malformed",
        "other-id",
        "other-timestamp",
        "no-signature",
        "no-id",
        "no-timestamp",
        "no-headers",
        "timestamp-not-a-number",
        "id-too-long",
    ],
)
def test_a_forged_or_unsigned_delivery_is_refused(tamper, words):
    with pytest.raises(SignatureRejected, match=words):
        webhooks.verify(BODY, tamper(headers()), SECRET, now=NOW)


def test_a_changed_body_is_refused():
    with pytest.raises(SignatureRejected, match="does not match"):
        webhooks.verify(BODY.replace(b"completed", b"failed"), headers(), SECRET, now=NOW)


def test_a_signature_made_with_another_secret_is_refused():
    other = "whsec_" + base64.b64encode(b"someone else's key").decode()

    with pytest.raises(SignatureRejected):
        webhooks.verify(BODY, headers(), other, now=NOW)


@pytest.mark.parametrize(
    ("age", "believed"),
    [(0, True), (300, True), (-300, True), (301, False), (-301, False), (86400, False)],
    ids=["now", "5-min-old", "5-min-ahead", "too-old", "too-far-ahead", "a-day-old"],
)
def test_the_timestamp_must_be_within_five_minutes_either_way(age, believed):
    signed = headers(stamp=NOW - age)

    if believed:
        assert webhooks.verify(BODY, signed, SECRET, now=NOW) == "msg_1"
    else:
        with pytest.raises(SignatureRejected, match="5 minutes"):
            webhooks.verify(BODY, signed, SECRET, now=NOW)


@pytest.mark.parametrize(
    "secret", ["", "whsec_", "whsec_not base64!"], ids=["none", "empty", "bad"]
)
def test_without_a_usable_secret_nothing_is_believed(secret):
    with pytest.raises(SignatureRejected, match="secret"):
        webhooks.verify(BODY, headers(), secret, now=NOW)


def test_a_refused_signature_is_a_refused_callback():
    assert issubclass(SignatureRejected, CallbackRejected)
