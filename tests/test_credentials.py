"""The key resolver: every form a user may paste, and junk that must never crash or leak."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.errors import Cause
from bot.core.logs import mask_secret
from bot.gigachat.credentials import mask_client_id, resolve_credentials

CLIENT_ID = "019a86cb-584a-7bbd-8527-d6f4b400bfe7"
SECRET = "ac025504-5a90-4e29-a6ec-102a4d62b411"
PAIR = f"{CLIENT_ID}:{SECRET}"
KEY = base64.b64encode(PAIR.encode()).decode()
OTHER_ID = "11111111-2222-4333-8444-555555555555"


def test_authorization_key_is_sent_as_is() -> None:
    creds = resolve_credentials(credentials=KEY)
    assert (creds.form, creds.source, creds.value, creds.status) == (
        "authorization_key",
        "GIGACHAT_CREDENTIALS",
        KEY,
        "ok",
    )
    assert creds.client_id == CLIENT_ID


def test_api_key_from_the_old_guide_works_the_same() -> None:
    creds = resolve_credentials(api_key=KEY)
    assert creds.form == "authorization_key"
    assert creds.source == "GIGACHAT_API_KEY"
    assert creds.value == KEY


@pytest.mark.parametrize(
    "pasted",
    [
        f'"{KEY}"',
        f"  {KEY}\n",
        f"Basic {KEY}",
        f"«{KEY}»",
        f"{KEY[:50]}\u200b{KEY[50:]}",
        f"{KEY}\u00a0",
        f"{KEY[:40]}\n{KEY[40:]}",
        f"GIGACHAT_CREDENTIALS={KEY}",
    ],
)
def test_pasting_noise_is_cleaned(pasted: str) -> None:
    creds = resolve_credentials(credentials=pasted)
    assert creds.form == "authorization_key"
    assert creds.value == KEY
    assert creds.usable


def test_unencoded_pair_is_encoded_with_a_warning() -> None:
    creds = resolve_credentials(credentials=PAIR)
    assert creds.form == "uuid_pair"
    assert creds.value == KEY
    assert creds.status == "warn"
    assert any("закодировал" in f.message for f in creds.findings)


def test_single_uuid_is_the_client_id_not_a_key() -> None:
    creds = resolve_credentials(api_key=CLIENT_ID)
    assert creds.form == "client_id_only"
    assert not creds.usable
    assert creds.cause is Cause.CLIENT_ID_ONLY


def test_id_and_secret_are_combined() -> None:
    creds = resolve_credentials(client_id=CLIENT_ID, client_secret=SECRET)
    assert creds.form == "id_and_secret"
    assert creds.value == KEY
    assert creds.status == "ok"
    assert creds.masked is not None and SECRET not in creds.masked


def test_guide_variant_one_id_plus_ready_key() -> None:
    creds = resolve_credentials(client_id=CLIENT_ID, client_secret=KEY)
    assert creds.form == "id_and_key"
    assert creds.value == KEY
    assert creds.status == "ok"


def test_id_and_key_with_a_different_client_id_warns() -> None:
    creds = resolve_credentials(client_id=OTHER_ID, client_secret=KEY)
    assert creds.form == "id_and_key"
    assert creds.usable
    assert creds.status == "warn"
    assert creds.cause is Cause.CLIENT_ID_MISMATCH


def test_client_id_alone_is_not_enough() -> None:
    creds = resolve_credentials(client_id=CLIENT_ID)
    assert creds.form == "client_id_only"
    assert not creds.usable


def test_key_put_into_client_id_by_mistake_is_used() -> None:
    creds = resolve_credentials(client_id=KEY)
    assert creds.value == KEY
    assert creds.status == "warn"


def test_base64_of_something_else_is_tried_with_a_warning() -> None:
    junk = base64.b64encode(b"this is not a client id and secret pair at all").decode()
    creds = resolve_credentials(credentials=junk)
    assert creds.form == "base64_unknown"
    assert creds.value == junk
    assert creds.status == "warn"


def test_access_token_is_refused() -> None:
    token = "eyJjdHkiOiJqd3QiLCJlbmMiOiJBMjU2Q0JDLUhTNTEyIiwiYWxnIjoiUlNBLU9BRVAtMjU2In0." + "x" * 300 + ".abc.def"
    creds = resolve_credentials(credentials=token)
    assert creds.form == "access_token"
    assert creds.cause is Cause.ACCESS_TOKEN_AS_KEY
    assert not creds.usable


def test_cyrillic_lookalike_is_pointed_at() -> None:
    broken = KEY[:36] + "с" + KEY[37:]  # Cyrillic «с» instead of a Latin letter
    creds = resolve_credentials(credentials=broken)
    assert creds.form == "invalid"
    assert creds.cause is Cause.INVALID_KEY_FORMAT
    message = " ".join(f.message for f in creds.findings)
    assert "символ 37" in message
    assert "кириллическая «с»" in message


def test_truncated_key_is_reported_as_truncated() -> None:
    creds = resolve_credentials(credentials=KEY[:60])
    assert creds.form == "invalid"
    assert any("обрезан" in f.message for f in creds.findings)


def test_missing_padding_and_urlsafe_are_repaired() -> None:
    urlsafe = base64.urlsafe_b64encode(f"{CLIENT_ID}:{SECRET}?>".encode()).decode()
    assert "-" in urlsafe or "_" in urlsafe
    key = base64.b64encode(PAIR.encode() + b"\n").decode().rstrip("=")
    creds = resolve_credentials(credentials=key)
    assert creds.form == "authorization_key"
    assert creds.value == KEY  # the trailing newline inside was removed too
    assert creds.status == "warn"
    padded = resolve_credentials(credentials=KEY.rstrip("="))
    assert padded.value == KEY
    assert any("«=»" in f.message for f in padded.findings)


def test_urlsafe_alphabet_is_converted() -> None:
    raw = bytes(range(200, 255)) + PAIR.encode()
    standard = base64.b64encode(raw).decode()
    urlsafe = base64.urlsafe_b64encode(raw).decode()
    assert urlsafe != standard
    creds = resolve_credentials(credentials=urlsafe)
    assert creds.value == standard
    assert any("URL" in f.message for f in creds.findings)


def test_nothing_set_is_missing() -> None:
    creds = resolve_credentials(credentials="  ", api_key="", client_id=None)
    assert creds.form == "missing"
    assert creds.cause is Cause.MISSING_CREDENTIALS


def test_when_several_are_set_the_working_one_wins_and_we_say_so() -> None:
    creds = resolve_credentials(api_key=CLIENT_ID, client_id=CLIENT_ID, client_secret=SECRET)
    assert creds.form == "id_and_secret"
    messages = " ".join(f.message for f in creds.findings)
    assert "используется GIGACHAT_CLIENT_ID+GIGACHAT_CLIENT_SECRET" in messages
    assert "GIGACHAT_API_KEY" in messages


def test_priority_when_both_keys_work_but_differ() -> None:
    other_key = base64.b64encode(f"{OTHER_ID}:{SECRET}".encode()).decode()
    creds = resolve_credentials(credentials=KEY, api_key=other_key)
    assert creds.source == "GIGACHAT_CREDENTIALS"
    assert any("отличается" in f.message for f in creds.findings)


def test_masking_shows_at_most_four_and_four() -> None:
    assert mask_secret(KEY).startswith(KEY[:4] + "…" + KEY[-4:])
    assert mask_client_id(CLIENT_ID) == CLIENT_ID[:8] + "…"
    assert "abcdef" not in mask_secret("abcdefg")


VARIABLE_NAMES = "GIGACHAT_CREDENTIALS GIGACHAT_API_KEY GIGACHAT_CLIENT_ID GIGACHAT_CLIENT_SECRET"


def _leaks(secret: str, text: str) -> bool:
    """True when a 9+ character run of the secret (other than a variable name) appears in the text."""
    runs = (secret[i : i + 9] for i in range(len(secret) - 8))
    return any(run in text and run not in VARIABLE_NAMES for run in runs)


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.text(min_size=0, max_size=200),
        st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_ :с", max_size=160),
        st.builds(lambda n, s: KEY[:n] + s, st.integers(0, len(KEY)), st.text(max_size=5)),
    ),
    st.sampled_from(["credentials", "api_key", "client_secret", "client_id"]),
)
def test_junk_never_crashes_and_never_echoes_the_secret(value: str, variable: str) -> None:
    creds = resolve_credentials(**{variable: value})
    cleaned = "".join(value.split())
    shown = " ".join([creds.masked or "", *(f.message for f in creds.findings)])
    if len(cleaned) >= 9 and variable != "client_id":
        assert not _leaks(cleaned, shown), shown
    assert creds.form in {
        "authorization_key",
        "uuid_pair",
        "client_id_only",
        "id_and_secret",
        "id_and_key",
        "base64_unknown",
        "access_token",
        "invalid",
        "missing",
    }
