"""The checks behind `/diagnose` and `python -m bot diagnose`: configuration first, then live."""

from __future__ import annotations

import os
import platform
import ssl
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from importlib import metadata
from pathlib import Path
from typing import Any, Literal

import certifi
from dotenv import dotenv_values
from gigachat.models import Messages, MessagesRole
from pydantic import AliasChoices, BaseModel, Field

from bot import texts
from bot.core.config import KNOWN_SCOPES, Settings
from bot.core.errors import Cause, LLMError
from bot.gigachat.client import CallContext, GigaChatClient
from bot.gigachat.credentials import Credentials, mask_client_id, resolve_credentials
from bot.gigachat.functions import FunctionSpec

Status = Literal["ok", "warn", "fail", "skip"]
KNOWN_MODELS = ("GigaChat", "GigaChat-Pro", "GigaChat-Max", "GigaChat-2", "GigaChat-2-Pro", "GigaChat-2-Max")
HOST_LEVEL = frozenset({Cause.NETWORK, Cause.TLS_UNTRUSTED, Cause.TIMEOUT})
CREDENTIAL_VARS = (
    "GIGACHAT_CREDENTIALS",
    "GIGACHAT_API_KEY",
    "GIGACHAT_CLIENT_ID",
    "GIGACHAT_CLIENT_SECRET",
)
DIAGNOSE = CallContext("diagnose")


class _Ping(BaseModel):
    reply: str = Field(description=texts.DIAG_PING_FIELD)


PING = FunctionSpec("ping", texts.DIAG_PING_DESCRIPTION, _Ping)


@dataclass(frozen=True)
class Check:
    """One line of the report."""

    id: str
    status: Status
    title: str
    detail: str
    fix: str | None = None
    cause: Cause | None = None

    def to_json(self) -> dict[str, Any]:
        """Return the stable JSON form."""
        return {
            "id": self.id,
            "status": self.status,
            "title": self.title,
            "detail": self.detail,
            "fix": self.fix,
            "cause": self.cause.value if self.cause else None,
        }


@dataclass
class Report:
    """Every check, and the credentials they are about (masked)."""

    credentials: Credentials
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Return True when no check failed (warnings allowed)."""
        return all(c.status != "fail" for c in self.checks)

    def rows(self) -> list[tuple[str, str, str, str | None]]:
        """Return (status, title, detail, fix) per check, for the text formatters."""
        return [(c.status, c.title, c.detail, c.fix) for c in self.checks]

    def to_json(self) -> dict[str, Any]:
        """Return the stable JSON form other tools read."""
        creds = self.credentials
        return {
            "ok": self.ok,
            "credentials": {"form": creds.form, "source": creds.source, "masked": creds.masked},
            "checks": [c.to_json() for c in self.checks],
        }


def _fail(id_: str, title: str, cause: Cause, detail: str | None = None) -> Check:
    return Check(id_, "fail", title, detail or texts.cause_text(cause), texts.cause_fix(cause), cause)


def resolve_from(settings: Settings) -> Credentials:
    """Resolve the credentials the settings hold."""
    return resolve_credentials(
        credentials=settings.secret("gigachat_credentials"),
        api_key=settings.secret("gigachat_api_key"),
        client_id=settings.gigachat_client_id,
        client_secret=settings.secret("gigachat_client_secret"),
    )


# --- offline ---------------------------------------------------------------------------------


def _bot_variables() -> set[str]:
    names: set[str] = set()
    for name, info in Settings.model_fields.items():
        names.add(name.upper())
        if isinstance(info.validation_alias, AliasChoices):
            names |= {str(choice).upper() for choice in info.validation_alias.choices}
    return names


def ignored_variables(environ: Mapping[str, str], env_file: Path | None = Path(".env")) -> list[str]:
    """GIGACHAT_* variables the bot does not read (the SDK's own ones): names only, never values."""
    names = set(environ)
    if env_file is not None and env_file.is_file():
        names |= set(dotenv_values(env_file))
    known = _bot_variables()
    return sorted(n for n in names if n.upper().startswith("GIGACHAT_") and n.upper() not in known)


def check_variables(settings: Settings, creds: Credentials, ignored: list[str] | None = None) -> Check:
    """Say which credential variables are set and which one wins; warn about variables the bot ignores."""
    check = _credential_variables(settings, creds)
    if not ignored:
        return check
    note = texts.DIAG_ENV_IGNORED.format(names=", ".join(ignored))
    return replace(check, status="warn", detail=f"{check.detail}. {note}", fix=texts.DIAG_ENV_IGNORED_FIX)


def _credential_variables(settings: Settings, creds: Credentials) -> Check:
    values = {
        "GIGACHAT_CREDENTIALS": settings.secret("gigachat_credentials"),
        "GIGACHAT_API_KEY": settings.secret("gigachat_api_key"),
        "GIGACHAT_CLIENT_ID": settings.gigachat_client_id,
        "GIGACHAT_CLIENT_SECRET": settings.secret("gigachat_client_secret"),
    }
    present = [name for name in CREDENTIAL_VARS if (values[name] or "").strip()]
    if not present:
        return Check("env", "warn", texts.DIAG_TITLES["env"], texts.DIAG_ENV_NONE)
    detail = texts.DIAG_ENV_SET.format(names=", ".join(present), winner=creds.source or "—")
    return Check("env", "ok", texts.DIAG_TITLES["env"], detail)


def check_credentials(creds: Credentials) -> Check:
    """Report the key's form and everything noticed about it."""
    title = texts.DIAG_TITLES["credentials"]
    form = texts.CRED_FORM_TITLES[creds.form]
    notes = [f.message for f in creds.findings if f.severity != "info"]
    detail = f"{form}" + (f", {creds.source}: {creds.masked}" if creds.masked else "")
    if notes:
        detail += ". " + " ".join(notes)
    status: Status = creds.status
    cause = creds.cause
    fix = texts.cause_fix(cause) if cause and status != "ok" else None
    return Check("credentials", status, title, detail, fix, cause if status != "ok" else None)


def check_client_id(creds: Credentials) -> Check:
    """Compare GIGACHAT_CLIENT_ID with the ID inside the key."""
    title = texts.DIAG_TITLES["client_id"]
    mismatch = [f for f in creds.findings if f.cause == Cause.CLIENT_ID_MISMATCH]
    if mismatch:
        cause = Cause.CLIENT_ID_MISMATCH
        return Check("client_id", "warn", title, mismatch[0].message, texts.cause_fix(cause), cause)
    if creds.client_id:
        detail = texts.DIAG_CLIENT_ID.format(client_id=mask_client_id(creds.client_id))
        return Check("client_id", "ok", title, detail)
    return Check("client_id", "skip", title, texts.DIAG_CLIENT_ID_UNKNOWN)


def check_scope(settings: Settings) -> Check:
    """Check GIGACHAT_SCOPE is one of the three scopes."""
    scope = settings.gigachat_scope
    if scope not in KNOWN_SCOPES:
        return _fail("scope", texts.DIAG_TITLES["scope"], Cause.BAD_SCOPE, texts.DIAG_SCOPE_BAD.format(scope=scope))
    detail = texts.DIAG_SCOPE_OK[scope].format(streams=settings.max_concurrency)
    return Check("scope", "ok", texts.DIAG_TITLES["scope"], detail)


def check_model(settings: Settings) -> Check:
    """Check the model name looks like a GigaChat model."""
    model = settings.gigachat_model
    title = texts.DIAG_TITLES["model"]
    if is_embeddings(model):
        return _fail("model", title, Cause.EMBEDDINGS_MODEL, texts.DIAG_MODEL_EMBEDDINGS.format(model=model))
    base = model.removesuffix("-preview")
    if base in KNOWN_MODELS:
        return Check("model", "ok", title, model)
    return Check("model", "warn", title, texts.DIAG_MODEL_UNKNOWN.format(model=model, known=", ".join(KNOWN_MODELS)))


def is_embeddings(model: str) -> bool:
    """Tell an embeddings model (it has no chat) by its name."""
    return "embed" in model.lower()


def check_ssl(settings: Settings) -> Check:
    """Warn when certificate verification is off."""
    title = texts.DIAG_TITLES["ssl"]
    if settings.gigachat_verify_ssl:
        return Check("ssl", "ok", title, texts.DIAG_SSL_ON)
    cause = Cause.SSL_VERIFICATION_DISABLED
    return Check("ssl", "warn", title, texts.cause_text(cause), texts.cause_fix(cause), cause)


def _bundle_subjects(path: str) -> list[str]:
    context = ssl.create_default_context(cafile=path)
    names: list[str] = []
    for cert in context.get_ca_certs():
        subject: Any = cert.get("subject", ())
        names.append(", ".join(str(pair[1]) for rdn in subject for pair in rdn))
    return names


def check_ca_bundle(settings: Settings) -> Check:
    """Check the CA bundle file exists and parses as PEM; look for the Russian Trusted Root CA."""
    title = texts.DIAG_TITLES["ca_bundle"]
    path = settings.gigachat_ca_bundle_file
    if path is not None and not settings.gigachat_verify_ssl:  # the client does not load it then
        return Check("ca_bundle", "skip", title, texts.DIAG_CA_UNUSED.format(path=path))
    if path is None:
        if not settings.gigachat_verify_ssl:
            return Check("ca_bundle", "skip", title, texts.DIAG_CA_NOT_NEEDED)
        if any("Russian Trusted" in name for name in _bundle_subjects(certifi.where())):
            return Check("ca_bundle", "ok", title, texts.DIAG_CA_IN_STORE)
        return Check("ca_bundle", "warn", title, texts.DIAG_CA_NOT_SET, texts.cause_fix(Cause.TLS_UNTRUSTED))
    return _check_ca_file(Path(path))


def _check_ca_file(path: Path) -> Check:
    title = texts.DIAG_TITLES["ca_bundle"]
    if not path.is_file():
        return _fail("ca_bundle", title, Cause.TLS_UNTRUSTED, texts.DIAG_CA_MISSING.format(path=path))
    try:
        text = path.read_text(encoding="ascii", errors="replace")
        subjects = _bundle_subjects(str(path)) if "BEGIN CERTIFICATE" in text else []
    except (OSError, ssl.SSLError, ValueError):
        subjects = []
    if not subjects:
        return _fail("ca_bundle", title, Cause.TLS_UNTRUSTED, texts.DIAG_CA_NOT_PEM.format(path=path))
    russian = any("Russian Trusted" in s for s in subjects)
    detail = texts.DIAG_CA_OK.format(path=path, count=len(subjects))
    if not russian:
        detail += " " + texts.DIAG_CA_NO_RUSSIAN
    return Check("ca_bundle", "ok", title, detail)


def check_host(settings: Settings) -> Check:
    """Show the hosts in use; warn about an API address without a version."""
    title = texts.DIAG_TITLES["host"]
    detail = texts.DIAG_HOST.format(base=settings.gigachat_base_url, auth=settings.gigachat_auth_url)
    if not settings.gigachat_base_url.rstrip("/").split("/")[-1].startswith("v"):
        return Check("host", "warn", title, detail + " " + texts.DIAG_HOST_NO_VERSION)
    return Check("host", "ok", title, detail)


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "не установлен"


def check_versions() -> Check:
    """Report python, gigachat and aiogram versions."""
    detail = f"Python {platform.python_version()}, gigachat {_version('gigachat')}, aiogram {_version('aiogram')}"
    return Check("versions", "ok", texts.DIAG_TITLES["versions"], detail)


def offline_checks(settings: Settings, creds: Credentials) -> list[Check]:
    """Run every check that needs no network."""
    return [
        check_variables(settings, creds, ignored_variables(os.environ)),
        check_credentials(creds),
        check_client_id(creds),
        check_scope(settings),
        check_model(settings),
        check_ssl(settings),
        check_ca_bundle(settings),
        check_host(settings),
        check_versions(),
    ]


# --- live -------------------------------------------------------------------------------------

ClientFactory = Callable[..., GigaChatClient]


def _error_check(id_: str, error: LLMError, shared: bool = False) -> Check:
    if shared and error.cause == Cause.RATE_LIMITED:  # the bot's own jobs hold the stream: not a fault
        return Check(id_, "warn", texts.DIAG_TITLES[id_], texts.DIAG_BUSY, texts.DIAG_BUSY_FIX, error.cause)
    return Check(id_, "fail", texts.DIAG_TITLES[id_], error.message, error.fix, error.cause)


def _skip(id_: str, why: str) -> Check:
    return Check(id_, "skip", texts.DIAG_TITLES[id_], why)


@asynccontextmanager
async def _client(
    settings: Settings, creds: Credentials, shared: GigaChatClient | None
) -> AsyncIterator[GigaChatClient]:
    """The running bot's own client (its concurrency limit included), or a fresh one closed after."""
    if shared is not None:
        yield shared
        return
    async with GigaChatClient(settings, creds, max_retries=0) as client:
        yield client


async def live_checks(settings: Settings, creds: Credentials, client: GigaChatClient | None = None) -> list[Check]:
    """Talk to GigaChat: token, models, a test completion, a function call, balance; try other hosts on failure.

    ``client`` is the running bot's shared client: diagnose then waits its turn under the same limit, and a
    429 means the bot's own work holds the stream (a warning). Calls are never retried here.
    """
    ids = ("oauth", "models", "completion", "functions", "balance")
    if not creds.usable or settings.gigachat_scope not in KNOWN_SCOPES:
        return [_skip(i, texts.DIAG_SKIP_CONFIG) for i in ids]
    shared = client is not None
    async with _client(settings, creds, client) as llm:
        try:
            token = await llm.fetch_token()
        except LLMError as error:
            return [_error_check("oauth", error, shared), *(_skip(i, texts.DIAG_SKIP_NO_TOKEN) for i in ids[1:])]
        stamp = token.expires_at.strftime("%H:%M:%S %d.%m.%Y")
        detail = texts.DIAG_TOKEN_OK.format(s=token.latency_s, until=stamp)
        checks = [Check("oauth", "ok", texts.DIAG_TITLES["oauth"], detail)]
        models_check = await _check_models(llm, settings.gigachat_model, shared)
        checks.append(models_check)
        if models_check.cause in HOST_LEVEL or (models_check.status == "fail" and "404" in models_check.detail):
            checks.append(await _try_other_hosts(settings, creds))
        if models_check.status == "fail" and models_check.cause not in (Cause.MODEL_NOT_FOUND, Cause.EMBEDDINGS_MODEL):
            return checks + [_skip(i, texts.DIAG_SKIP_API) for i in ("completion", "functions", "balance")]
        checks += await _chat_checks(llm, settings.gigachat_model, models_check, shared)
        checks.append(await _check_balance(llm, shared))
    return checks


async def _chat_checks(client: GigaChatClient, model: str, models_check: Check, shared: bool) -> list[Check]:
    """The text check, then one forced function call; neither on a model that cannot chat."""
    if models_check.cause == Cause.MODEL_NOT_FOUND:
        why = texts.DIAG_SKIP_MODEL
    elif models_check.cause == Cause.EMBEDDINGS_MODEL or is_embeddings(model):
        why = texts.DIAG_SKIP_EMBEDDINGS
    elif models_check.cause == Cause.RATE_LIMITED:
        why = texts.DIAG_SKIP_BUSY
    else:
        completion = await _check_completion(client, shared)
        if completion.status == "ok":
            return [completion, await _check_functions(client, shared)]
        why = texts.DIAG_SKIP_BUSY if completion.cause == Cause.RATE_LIMITED else texts.DIAG_SKIP_COMPLETION
        return [completion, _skip("functions", why)]
    return [_skip("completion", why), _skip("functions", why)]


async def _check_models(client: GigaChatClient, model: str, shared: bool = False) -> Check:
    title = texts.DIAG_TITLES["models"]
    try:
        models = await client.list_models()
    except LLMError as error:
        return _error_check("models", error, shared)
    chat_models = [m.id for m in models if m.type == "chat"] or [m.id for m in models]
    listed = ", ".join(chat_models)
    types = {m.id: m.type for m in models}
    if types.get(model) == "embedder":
        return _fail("models", title, Cause.EMBEDDINGS_MODEL, texts.DIAG_MODEL_EMBEDDINGS.format(model=model))
    if model in types:
        return Check("models", "ok", title, texts.DIAG_MODELS_OK.format(model=model, models=listed))
    cause = Cause.MODEL_NOT_FOUND
    detail = texts.DIAG_MODELS_MISSING.format(model=model, models=listed)
    fix = texts.DIAG_MODELS_FIX.format(first=chat_models[0] if chat_models else "GigaChat")
    return Check("models", "fail", title, detail, fix, cause)


async def _check_completion(client: GigaChatClient, shared: bool = False) -> Check:
    title = texts.DIAG_TITLES["completion"]
    started = time.monotonic()
    try:
        answer = await client.complete(texts.DIAG_PROMPT, max_tokens=16, context=DIAGNOSE, retries=0)
    except LLMError as error:
        return _error_check("completion", error, shared)
    latency = time.monotonic() - started
    reply = " ".join(answer.text.split())[:60]
    detail = texts.DIAG_COMPLETION_OK.format(
        s=latency, tokens=answer.usage.total_tokens, model=answer.usage.model, reply=reply
    )
    return Check("completion", "ok", title, detail)


async def _check_functions(client: GigaChatClient, shared: bool = False) -> Check:
    """One forced call of a tiny function: every structured answer of the bot goes this way."""
    title = texts.DIAG_TITLES["functions"]
    started = time.monotonic()
    messages = [Messages(role=MessagesRole.USER, content=texts.DIAG_PING_PROMPT)]
    try:
        answer = await client.call_function(PING, messages, context=DIAGNOSE, max_tokens=64, retries=0)
    except LLMError as error:
        return _error_check("functions", error, shared)
    if answer.message.function_call is None:
        cause = Cause.FUNCTIONS_UNSUPPORTED
        return Check("functions", "warn", title, texts.DIAG_FUNCTIONS_TEXT, texts.cause_fix(cause), cause)
    return Check("functions", "ok", title, texts.DIAG_FUNCTIONS_OK.format(s=time.monotonic() - started))


async def _check_balance(client: GigaChatClient, shared: bool = False) -> Check:
    title = texts.DIAG_TITLES["balance"]
    try:
        balance = await client.balance()
    except LLMError as error:
        return _error_check("balance", error, shared)
    if balance is None:
        return Check("balance", "skip", title, texts.DIAG_BALANCE_POSTPAID)
    parts = ", ".join(f"{usage}: {value:,.0f}".replace(",", " ") for usage, value in balance)
    if balance and all(value <= 0 for _, value in balance):
        cause = Cause.PAYMENT_REQUIRED
        detail = texts.DIAG_BALANCE_EMPTY.format(parts=parts)
        return Check("balance", "warn", title, detail, texts.cause_fix(cause), cause)
    return Check("balance", "ok", title, parts or texts.DIAG_BALANCE_NONE)


async def _try_other_hosts(settings: Settings, creds: Credentials) -> Check:
    title = texts.DIAG_TITLES["fallback_host"]
    others = [u for u in settings.gigachat_fallback_urls if u.rstrip("/") != settings.gigachat_base_url.rstrip("/")]
    if not others:
        return Check("fallback_host", "skip", title, texts.DIAG_FALLBACK_NONE)
    for url in others:
        async with GigaChatClient(settings, creds, base_url=url, max_retries=0) as client:
            try:
                await client.list_models()
            except LLMError:
                continue
        fix = texts.DIAG_FALLBACK_FIX.format(url=url)
        return Check("fallback_host", "warn", title, texts.DIAG_FALLBACK_WORKS.format(url=url), fix, Cause.NETWORK)
    detail = texts.DIAG_FALLBACK_FAILED.format(urls=", ".join(others))
    return Check("fallback_host", "fail", title, detail, None, Cause.NETWORK)


async def run_diagnose(settings: Settings, *, offline: bool = False, client: GigaChatClient | None = None) -> Report:
    """Run the offline checks and, unless offline, the live ones (through ``client`` inside the bot)."""
    creds = resolve_from(settings)
    report = Report(creds, offline_checks(settings, creds))
    if offline:
        return report
    live = await live_checks(settings, creds, client)
    report.checks.extend(live)
    api_works = any(c.id == "models" and c.status == "ok" for c in live)
    if api_works:  # a working TLS connection settles the certificate question
        report.checks = [
            replace(c, status="ok", detail=texts.DIAG_CA_PROVEN, fix=None)
            if c.id == "ca_bundle" and c.status == "warn"
            else c
            for c in report.checks
        ]
    return report
