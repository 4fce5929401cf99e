"""Standard Webhooks signatures: what is believed and what is refused, with no server at all.

Checked against the reference `standardwebhooks` package (it signs, we verify; we sign, it
verifies) and against the published test vectors of the Standard Webhooks libraries: the
secret, message id, timestamp, payload and signatures of `test_sign_function`,
`test_invalid_signature_raises_error` and `test_multi_sig_payload_is_valid` in
https://github.com/standard-webhooks/standard-webhooks/blob/main/libraries/python/tests/test_webhooks.py
(the same vectors as `TestWebhookSign` in libraries/go/webhook_test.go and "sign function
works" in libraries/javascript/src/webhook.test.ts).
"""

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from avatars.providers import webhooks
from avatars.providers.base import CallbackRejected, SignatureRejected
from tests.helpers.standard_webhooks import signed

KEY = b"a-test-key-of-reasonable-length!"
SECRET = "whsec_" + base64.b64encode(KEY).decode()
BODY = b'{"type": "video.completed", "data": {"id": "video_1", "status": "completed"}}'
NOW = 1_700_000_000


def headers(body: bytes = BODY, *, delivery_id: str = "msg_1", stamp: int = NOW, **extra: str):
    return {
        "webhook-id": delivery_id,
        "webhook-timestamp": str(stamp),
        "webhook-signature": signed(body, SECRET, delivery_id, stamp)["webhook-signature"],
    } | extra


def test_a_good_signature_gives_the_delivery_id():
    assert webhooks.verify(BODY, headers(), SECRET, now=NOW) == "msg_1"


def test_the_signature_is_the_documented_hmac_over_id_timestamp_and_body():
    expected = base64.b64encode(
        hmac.new(KEY, b"msg_1.1700000000." + BODY, hashlib.sha256).digest()
    ).decode()

    documented = headers(**{"webhook-signature": f"v1,{expected}"})

    assert webhooks.verify(BODY, documented, SECRET, now=NOW) == "msg_1"


def test_a_secret_without_its_prefix_works_too():
    bare = SECRET.removeprefix("whsec_")

    assert webhooks.verify(BODY, headers(), bare, now=NOW) == "msg_1"


def test_one_matching_signature_among_several_is_enough():
    good = headers()["webhook-signature"]
    old_secret = "whsec_" + base64.b64encode(b"old-key").decode()
    rotated = signed(BODY, old_secret, "msg_1", NOW)["webhook-signature"]
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


# --- the reference library and the published vectors --------------------------------------------

VECTOR_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
VECTOR_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
VECTOR_TIMESTAMP = 1614265330
VECTOR_PAYLOAD = b'{"test": 2432232314}'
VECTOR_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
VECTOR_WRONG = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA="
VECTOR_OTHERS = "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc="


def vector_headers(signature: str = VECTOR_SIGNATURE) -> dict[str, str]:
    return {
        "webhook-id": VECTOR_ID,
        "webhook-timestamp": str(VECTOR_TIMESTAMP),
        "webhook-signature": signature,
    }


def test_the_signer_our_tests_use_signs_the_published_vector_as_published():
    signature = signed(VECTOR_PAYLOAD, VECTOR_SECRET, VECTOR_ID, VECTOR_TIMESTAMP)

    assert signature["webhook-signature"] == VECTOR_SIGNATURE


@pytest.mark.parametrize("secret", [VECTOR_SECRET, VECTOR_SECRET.removeprefix("whsec_")])
def test_we_believe_the_published_vector_with_or_without_the_prefix(secret):
    believed = webhooks.verify(VECTOR_PAYLOAD, vector_headers(), secret, now=VECTOR_TIMESTAMP)

    assert believed == VECTOR_ID


def test_we_refuse_the_published_wrong_signature():
    with pytest.raises(SignatureRejected, match="does not match"):
        webhooks.verify(
            VECTOR_PAYLOAD, vector_headers(VECTOR_WRONG), VECTOR_SECRET, now=VECTOR_TIMESTAMP
        )


def test_we_find_the_good_signature_among_the_published_others():
    signatures = " ".join(
        [VECTOR_OTHERS, VECTOR_OTHERS.replace("v1,", "v2,"), VECTOR_SIGNATURE, VECTOR_OTHERS]
    )

    believed = webhooks.verify(
        VECTOR_PAYLOAD, vector_headers(signatures), VECTOR_SECRET, now=VECTOR_TIMESTAMP
    )

    assert believed == VECTOR_ID


PADDED = "whsec_" + base64.b64encode(bytes(range(1, 33))).decode()  # 32 bytes: one "="
TWICE_PADDED = "whsec_" + base64.b64encode(bytes(range(1, 32))).decode()  # 31 bytes: "=="


@pytest.mark.parametrize("secret", [PADDED, TWICE_PADDED], ids=["one-pad", "two-pads"])
def test_a_secret_whose_padding_was_stripped_is_the_same_secret(secret):
    assert secret.endswith("=")
    stripped = secret.rstrip("=")
    headers = signed(BODY, secret, timestamp=NOW)

    assert webhooks.verify(BODY, headers, stripped, now=NOW) == "msg_1"
    # As the reference library reads it.
    assert (
        Webhook(stripped).sign("msg_1", datetime.fromtimestamp(NOW, UTC), BODY.decode())
        == (headers["webhook-signature"])
    )


@pytest.mark.parametrize("secret", [SECRET, PADDED, TWICE_PADDED, VECTOR_SECRET])
@pytest.mark.parametrize(
    "body",
    [BODY, b"{}", json.dumps({"data": {"id": "video_\u00e9", "n": [1, 2.5]}}).encode()],
    ids=["event", "empty-object", "unicode"],
)
def test_what_the_reference_library_signs_we_believe(secret, body):
    headers = signed(body, secret)

    assert webhooks.verify(body, headers, secret) == "msg_1"
    assert Webhook(secret).verify(body, headers, json_parse=False) is None


def test_what_the_reference_library_refuses_we_refuse():
    headers = signed(BODY, SECRET) | {"webhook-signature": VECTOR_WRONG}

    with pytest.raises(WebhookVerificationError):
        Webhook(SECRET).verify(BODY, headers)
    with pytest.raises(SignatureRejected):
        webhooks.verify(BODY, headers, SECRET)
