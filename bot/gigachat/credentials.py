"""Every form of GigaChat key a user may paste: cleaning, detection, what to send, masking.

The OAuth endpoint wants the *authorization key*: Base64 of ``client_id:client_secret``. Users
paste many other things (a bare UUID, the unencoded pair, a 30-minute access token, a key with
quotes or a non-breaking space), and several variables may be set at once. ``resolve_credentials``
turns all of that into one string to send, the detected form, and findings that say in Russian
what is wrong and how to fix it. No secret ever leaves this module unmasked except the value
to send.
"""

from __future__ import annotations

import base64
import binascii
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Literal

from bot import texts
from bot.core.errors import Cause
from bot.core.logs import mask_secret

Severity = Literal["info", "warn", "fail"]

UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)
PAIR_RE = re.compile(rf"({UUID_RE.pattern}):({UUID_RE.pattern})", re.IGNORECASE)
_PAIR_PREFIX_RE = re.compile(r"[0-9a-f-]{0,36}(:[0-9a-f-]{0,36})?", re.IGNORECASE)
_B64_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=")
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
_QUOTES = "\"'`«»“”„‘’"
_ASSIGNMENT_RE = re.compile(r"^(GIGACHAT_[A-Z_]+|AUTHORIZATION)\s*[=:]\s*", re.IGNORECASE)
PAIR_LENGTH = 73

KEY_VARS = ("GIGACHAT_CREDENTIALS", "GIGACHAT_API_KEY")
ID_VAR, SECRET_VAR = "GIGACHAT_CLIENT_ID", "GIGACHAT_CLIENT_SECRET"


@dataclass(frozen=True)
class Finding:
    """One observation about the credentials, in Russian."""

    severity: Severity
    message: str
    cause: Cause | None = None


@dataclass(frozen=True)
class Credentials:
    """The resolved credentials: what to send, where it came from, and what we noticed."""

    form: str
    source: str | None
    value: str | None = field(repr=False)
    masked: str | None
    findings: tuple[Finding, ...] = ()
    client_id: str | None = None

    @property
    def usable(self) -> bool:
        """Return True when there is a key worth sending to OAuth."""
        return self.value is not None

    @property
    def status(self) -> Literal["ok", "warn", "fail"]:
        """Return the worst severity among the findings."""
        severities = {f.severity for f in self.findings}
        if "fail" in severities:
            return "fail"
        return "warn" if "warn" in severities else "ok"

    @property
    def cause(self) -> Cause | None:
        """Return the cause of the first failing or warning finding, if any."""
        for severity in ("fail", "warn"):
            for finding in self.findings:
                if finding.severity == severity and finding.cause is not None:
                    return finding.cause
        return None


def mask_client_id(client_id: str) -> str:
    """Show the first 8 characters of a Client ID (its first UUID group)."""
    return f"{client_id[:8]}…" if len(client_id) > 8 else client_id


def clean_secret(raw: str | None) -> tuple[str, list[str]]:
    """Strip what users paste around a key; return the clean value and what was removed."""
    if not raw:
        return "", []
    removed: list[str] = []
    invisible = [ch for ch in raw if ch in _INVISIBLE or (unicodedata.category(ch) == "Zs" and ch != " ")]
    if invisible:
        removed.append("invisible")
    value = "".join(" " if ch in invisible else ch for ch in raw).strip()
    if value[:1] in _QUOTES or value[-1:] in _QUOTES:
        removed.append("quotes")
        value = value.strip(_QUOTES).strip()
    match = _ASSIGNMENT_RE.match(value)
    if match:
        removed.append("assignment")
        value = value[match.end() :].strip().strip(_QUOTES).strip()
    if value.lower().startswith("basic "):
        removed.append("basic")
        value = value[6:]
    compact = "".join(value.split())
    if compact != value:
        removed.append("spaces")
    return compact, removed


def describe_char(ch: str) -> str:
    """Name a character so a user can find it: «кириллическая "с"», «пробел», «"#"»."""
    name = unicodedata.name(ch, "")
    if name.startswith("CYRILLIC"):
        return f"кириллическая «{ch}» (похожа на латинскую, но это другая буква)"
    if name:
        return f"«{ch}» ({name.lower()})"
    return f"символ с кодом U+{ord(ch):04X}"


@dataclass
class _Candidate:
    form: str
    source: str
    value: str | None
    masked: str
    findings: list[Finding]
    client_id: str | None = None


def _encode_pair(pair: str) -> str:
    return base64.b64encode(pair.encode()).decode()


def _looks_like_access_token(value: str) -> bool:
    return value.count(".") >= 2 and (value.startswith("eyJ") or len(value) > 300)


def _repair_base64(var: str, value: str) -> tuple[bytes | None, str, list[Finding]]:
    """Decode Base64, repairing URL-safe alphabet and missing padding; explain what is wrong."""
    notes: list[Finding] = []
    if ("-" in value or "_" in value) and not ("+" in value or "/" in value):
        value = value.translate(str.maketrans("-_", "+/"))
        notes.append(Finding("warn", texts.CRED_URLSAFE.format(var=var)))
    for pos, ch in enumerate(value, start=1):
        if ch not in _B64_ALPHABET:
            msg = texts.CRED_BAD_CHAR.format(var=var, pos=pos, char=describe_char(ch))
            return None, value, [Finding("fail", msg, Cause.INVALID_KEY_FORMAT)]
    body = value.rstrip("=")
    if "=" in body or len(value) - len(body) > 2:
        return None, value, [Finding("fail", texts.CRED_JUNK.format(var=var), Cause.INVALID_KEY_FORMAT)]
    if len(body) % 4 == 1:
        prefix = base64.b64decode(body[: len(body) // 4 * 4] or "")
        return None, value, [_truncated_or_length(var, prefix, len(value))]
    padded = body + "=" * (-len(body) % 4)
    if padded != value:
        notes.append(Finding("warn", texts.CRED_PADDING.format(var=var)))
    try:
        return base64.b64decode(padded, validate=True), padded, notes
    except (binascii.Error, ValueError):
        return None, value, [Finding("fail", texts.CRED_JUNK.format(var=var), Cause.INVALID_KEY_FORMAT)]


def _truncated_or_length(var: str, decoded: bytes, length: int) -> Finding:
    text = decoded.decode("latin-1")
    if 8 <= len(text) < PAIR_LENGTH and _PAIR_PREFIX_RE.fullmatch(text):
        return Finding("fail", texts.CRED_TRUNCATED.format(var=var, got=len(text)), Cause.INVALID_KEY_FORMAT)
    return Finding("fail", texts.CRED_BAD_LENGTH.format(var=var, length=length), Cause.INVALID_KEY_FORMAT)


def classify_key(var: str, raw: str | None) -> _Candidate | None:
    """Classify one variable that should hold a key; None when it is empty."""
    value, removed = clean_secret(raw)
    if not value:
        return None
    findings: list[Finding] = []
    visible_removals = [texts.CLEANED_PARTS[r] for r in removed if r != "spaces"]
    if visible_removals:
        findings.append(Finding("info", texts.CRED_CLEANED.format(var=var, what=", ".join(visible_removals))))
    masked = mask_secret(value)
    if value.lower().startswith("bearer") or _looks_like_access_token(value):
        findings.append(Finding("fail", texts.CRED_ACCESS_TOKEN.format(var=var), Cause.ACCESS_TOKEN_AS_KEY))
        return _Candidate("access_token", var, None, masked, findings)
    if UUID_RE.fullmatch(value):
        findings.append(Finding("fail", texts.CRED_CLIENT_ID_ONLY.format(var=var), Cause.CLIENT_ID_ONLY))
        return _Candidate("client_id_only", var, None, masked, findings)
    pair = PAIR_RE.fullmatch(value)
    if pair:
        findings.append(Finding("warn", texts.CRED_UUID_PAIR.format(var=var)))
        return _Candidate("uuid_pair", var, _encode_pair(value), masked, findings, pair.group(1))
    decoded, repaired, notes = _repair_base64(var, value)
    findings.extend(notes)
    if decoded is None:
        return _Candidate("invalid", var, None, masked, findings)
    return _classify_decoded(var, decoded, repaired, masked, findings)


def _classify_decoded(var: str, decoded: bytes, repaired: str, masked: str, findings: list[Finding]) -> _Candidate:
    text = decoded.decode("utf-8", errors="replace")
    pair = PAIR_RE.fullmatch(text)
    if pair:
        findings.append(Finding("info", texts.CRED_OK_KEY.format(var=var)))
        return _Candidate("authorization_key", var, repaired, masked, findings, pair.group(1))
    pair = PAIR_RE.fullmatch(text.strip())
    if pair:
        findings.append(Finding("warn", texts.CRED_NEWLINE_INSIDE.format(var=var)))
        return _Candidate("authorization_key", var, _encode_pair(text.strip()), masked, findings, pair.group(1))
    if len(text) < PAIR_LENGTH and len(text) >= 8 and _PAIR_PREFIX_RE.fullmatch(text):
        findings.append(_truncated_or_length(var, decoded, len(repaired)))
        return _Candidate("invalid", var, None, masked, findings)
    if len(decoded) < 16:
        findings.append(Finding("fail", texts.CRED_JUNK.format(var=var), Cause.INVALID_KEY_FORMAT))
        return _Candidate("invalid", var, None, masked, findings)
    findings.append(Finding("warn", texts.CRED_BASE64_UNKNOWN.format(var=var), Cause.INVALID_KEY_FORMAT))
    return _Candidate("base64_unknown", var, repaired, masked, findings)


def _bad_uuid_problem(value: str) -> str:
    for pos, ch in enumerate(value, start=1):
        if not (ch.isascii() and (ch.isalnum() or ch == "-")):
            return f"символ {pos} — {describe_char(ch)}"
    return f"{len(value)} символов вместо 36"


def _classify_pair(raw_id: str | None, raw_secret: str | None) -> _Candidate | None:
    client_id, _ = clean_secret(raw_id)
    secret = classify_key(SECRET_VAR, raw_secret)
    if not client_id and secret is None:
        return None
    if secret is None:
        as_key = classify_key(ID_VAR, raw_id)
        if as_key is not None and as_key.form in {"authorization_key", "uuid_pair"}:
            as_key.findings.append(Finding("warn", texts.CRED_SWAPPED))
            return as_key
        return _Candidate(
            "client_id_only",
            ID_VAR,
            None,
            mask_client_id(client_id),
            [Finding("fail", texts.CRED_ID_ONLY, Cause.CLIENT_ID_ONLY)],
        )
    if secret.form in {"authorization_key", "uuid_pair"}:
        return _with_client_id(client_id, secret)
    if secret.form != "client_id_only":
        return secret
    if not client_id:
        return _Candidate(
            "client_id_only",
            SECRET_VAR,
            None,
            secret.masked,
            [Finding("fail", texts.CRED_SECRET_ONLY_UUID, Cause.CLIENT_ID_ONLY)],
        )
    if not UUID_RE.fullmatch(client_id):
        problem = _bad_uuid_problem(client_id)
        return _Candidate(
            "invalid",
            ID_VAR,
            None,
            mask_client_id(client_id),
            [Finding("fail", texts.CRED_ID_NOT_UUID.format(problem=problem), Cause.INVALID_KEY_FORMAT)],
        )
    secret_value, _ = clean_secret(raw_secret)
    source = f"{ID_VAR}+{SECRET_VAR}"
    masked = f"{mask_client_id(client_id)} + {mask_secret(secret_value)}"
    findings = [Finding("info", texts.CRED_ID_AND_SECRET)]
    return _Candidate("id_and_secret", source, _encode_pair(f"{client_id}:{secret_value}"), masked, findings, client_id)


def _with_client_id(client_id: str, key: _Candidate) -> _Candidate:
    """GIGACHAT_CLIENT_SECRET holds the key itself (the old setup guide's «variant 1»)."""
    if not client_id:
        key.findings.append(Finding("info", texts.CRED_SECRET_ONLY_KEY))
        return key
    key.form = "id_and_key"
    key.source = f"{ID_VAR}+{SECRET_VAR}"
    key.findings.append(Finding("info", texts.CRED_ID_AND_KEY))
    inside = key.client_id or ""
    if inside.lower() != client_id.lower():
        message = texts.CRED_ID_MISMATCH.format(inside=mask_client_id(inside), given=mask_client_id(client_id))
        key.findings.append(Finding("warn", message, Cause.CLIENT_ID_MISMATCH))
    return key


def _rank(candidate: _Candidate) -> int:
    if candidate.value is None:
        return 2
    return 1 if candidate.form == "base64_unknown" else 0


def resolve_credentials(
    *,
    credentials: str | None = None,
    api_key: str | None = None,
    client_id: str | None = None,
    client_secret: str | None = None,
) -> Credentials:
    """Pick the key to send from every variable that may hold one, and explain the choice."""
    found = [
        c
        for c in (
            classify_key("GIGACHAT_CREDENTIALS", credentials),
            classify_key("GIGACHAT_API_KEY", api_key),
            _classify_pair(client_id, client_secret),
        )
        if c is not None
    ]
    if not found:
        missing = Finding("fail", texts.CRED_MISSING, Cause.MISSING_CREDENTIALS)
        return Credentials("missing", None, None, None, (missing,))
    winner = min(found, key=_rank)  # min() keeps the first of equals, i.e. the priority order
    findings = list(winner.findings)
    others = [c for c in found if c is not winner]
    if others:
        names = ", ".join(c.source for c in found)
        findings.append(Finding("info", texts.CRED_WINS.format(names=names, winner=winner.source)))
    findings.extend(_compare(other, winner) for other in others)
    return Credentials(winner.form, winner.source, winner.value, winner.masked, tuple(findings), winner.client_id)


def _compare(other: _Candidate, winner: _Candidate) -> Finding:
    if other.value is not None and other.value == winner.value:
        return Finding("info", texts.CRED_IGNORED_SAME.format(other=other.source, winner=winner.source))
    problems = [f.message for f in other.findings if f.severity in ("fail", "warn")]
    why = problems[0] if problems else "другой ключ."
    severity: Severity = "warn" if winner.value is not None else "fail"
    return Finding(severity, texts.CRED_DISAGREE.format(other=other.source, winner=winner.source, why=why))
