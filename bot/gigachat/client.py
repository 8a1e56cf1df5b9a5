"""The one async GigaChat client every feature uses.

One shared ``gigachat.GigaChat`` per process; a process-wide concurrency limit (a personal key
gets one stream); retries in this layer only (the SDK's own retries stay off) for 429, 5xx,
timeouts and dropped connections; structured answers through one forced function call validated
with pydantic; every call's usage reported to a sink; every failure mapped to a ``Cause``.
"""

from __future__ import annotations

import asyncio
import logging
import random
import ssl
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import certifi
from gigachat import GigaChat
from gigachat.context import request_id_cvar, session_id_cvar
from gigachat.models import (
    Chat,
    ChatCompletion,
    FunctionCall,
    Messages,
    MessagesRole,
)
from pydantic import BaseModel, ValidationError

from bot import texts
from bot.core.config import KNOWN_SCOPES, Settings
from bot.core.errors import Cause, InvalidAnswerError, LLMError, LLMUnavailable
from bot.gigachat.causes import _make_error, _request_id, classify
from bot.gigachat.credentials import Credentials, resolve_credentials
from bot.gigachat.functions import (
    FunctionAnswer,
    FunctionSpec,
    _describe_problem,
    _extract_json,
    build_function,
    repair_turn,
)

log = logging.getLogger(__name__)

T = TypeVar("T", bound=BaseModel)
# Settings the SDK would otherwise read from GIGACHAT_* variables by itself: the bot passes what it
# means explicitly, so an unrelated variable in the environment never changes TLS or auth behind its back.
_SDK_UNPASSED = {
    "access_token": None, "user": None, "password": None, "profanity_check": None, "ca_bundle_file": None,
    "cert_file": None, "key_file": None, "key_file_password": None, "flags": None, "max_connections": None,
    "token_expiry_buffer_ms": 60_000, "retry_backoff_factor": 0.5, "retry_on_status_codes": (429, 500, 502, 503, 504),
}  # fmt: skip


@dataclass(frozen=True)
class CallContext:
    """Who a call is for, so its tokens can be attributed."""

    purpose: str = "other"
    user_id: int | None = None
    job_id: int | None = None
    session: str | None = None  # X-Session-ID: GigaChat serves a repeated prompt prefix from its cache


@dataclass(frozen=True)
class Usage:
    """What one HTTP call to GigaChat cost and how it ended."""

    model: str
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    latency_s: float
    cause: Cause | None
    context: CallContext
    precached_tokens: int = 0
    request_id: str | None = None


UsageSink = Callable[[Usage], Awaitable[None]]


@dataclass(frozen=True)
class TextAnswer:
    """A plain text completion."""

    text: str
    finish_reason: str | None
    usage: Usage


@dataclass(frozen=True)
class TokenInfo:
    """An OAuth access token's lifetime (never the token itself)."""

    expires_at: datetime
    latency_s: float


@dataclass(frozen=True)
class ModelInfo:
    """A model the key can use."""

    id: str
    type: str


def _ssl_context(ca_file: str) -> ssl.SSLContext:
    """Trust the usual public roots and, on top of them, the given CA (e.g. Russian Trusted Root CA)."""
    context = ssl.create_default_context(cafile=certifi.where())
    context.load_verify_locations(cafile=ca_file)
    return context


class GigaChatClient:
    """Async GigaChat access with a concurrency limit, retries, JSON answers and usage reporting."""

    def __init__(
        self,
        settings: Settings,
        credentials: Credentials,
        *,
        usage_sink: UsageSink | None = None,
        base_url: str | None = None,
        max_retries: int = 4,
        backoff_base: float = 0.5,
        backoff_cap: float = 20.0,
        retry_after_cap: float = 60.0,
    ) -> None:
        if not credentials.usable:
            raise LLMUnavailable(
                credentials.cause or Cause.MISSING_CREDENTIALS, texts.cause_text(Cause.MISSING_CREDENTIALS)
            )
        self.model = settings.gigachat_model
        self.base_url = base_url or settings.gigachat_base_url
        self._sink = usage_sink
        self.streams = settings.max_concurrency
        self._semaphore = asyncio.Semaphore(settings.max_concurrency)
        self.max_retries = max_retries
        self._backoff = (backoff_base, backoff_cap, retry_after_cap)
        kwargs: dict[str, Any] = {}
        if settings.gigachat_ca_bundle_file and settings.gigachat_verify_ssl:
            kwargs["ssl_context"] = _ssl_context(str(settings.gigachat_ca_bundle_file))
        self._client = GigaChat(
            credentials=credentials.value,
            scope=settings.gigachat_scope,
            model=self.model,
            base_url=self.base_url,
            auth_url=settings.gigachat_auth_url,
            verify_ssl_certs=settings.gigachat_verify_ssl,
            timeout=settings.gigachat_timeout,
            max_retries=0,  # retries live in this class only
            **kwargs,
        )
        self._client._settings = self._client._settings.model_copy(update=_SDK_UNPASSED)
        self._client._access_token = None

    @classmethod
    def from_settings(cls, settings: Settings, usage_sink: UsageSink | None = None, **kwargs: Any) -> GigaChatClient:
        """Build the client, or raise LLMUnavailable saying why GigaChat cannot be used."""
        credentials = resolve_credentials(
            credentials=settings.secret("gigachat_credentials"),
            api_key=settings.secret("gigachat_api_key"),
            client_id=settings.gigachat_client_id,
            client_secret=settings.secret("gigachat_client_secret"),
        )
        if not credentials.usable:
            cause = credentials.cause or Cause.MISSING_CREDENTIALS
            raise LLMUnavailable(cause, texts.cause_text(cause), texts.cause_fix(cause))
        if settings.gigachat_scope.upper() not in KNOWN_SCOPES:
            raise LLMUnavailable(Cause.BAD_SCOPE, texts.cause_text(Cause.BAD_SCOPE), texts.cause_fix(Cause.BAD_SCOPE))
        return cls(settings, credentials, usage_sink=usage_sink, **kwargs)

    async def aclose(self) -> None:
        """Close the HTTP connections."""
        await self._client.aclose()

    async def __aenter__(self) -> GigaChatClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # --- plumbing -----------------------------------------------------------------------------

    def _delay(self, attempt: int, error: LLMError) -> float:
        base, cap, retry_after_cap = self._backoff
        if error.retry_after > 0:
            return min(error.retry_after, retry_after_cap)
        return float(min(base * 2**attempt, cap) * random.uniform(0.8, 1.2))

    async def _report(self, usage: Usage) -> None:
        if self._sink is None:
            return
        try:
            await self._sink(usage)
        except Exception:  # a broken sink must never break a GigaChat call
            log.exception("usage sink failed")

    async def _chat(self, chat: Chat, context: CallContext, retries: int | None = None) -> tuple[ChatCompletion, Usage]:
        """Send one chat request with the concurrency limit and retries; report usage of each try."""
        limit = self.max_retries if retries is None else retries  # diagnose asks for 0: no waiting
        attempt = 0
        while True:
            started = time.monotonic()
            request_id = str(uuid.uuid4())
            try:
                async with self._semaphore:
                    completion = await self._send(chat, context, request_id)
            except Exception as exc:
                error = classify(exc)
                request_id = _request_id(exc) or request_id
                usage = Usage(self.model, 0, 0, 0, time.monotonic() - started, error.cause, context, 0, request_id)
                await self._report(usage)
                log.warning("GigaChat call failed: %s (x-request-id %s)", error.cause.value, request_id)
                if not error.retryable or attempt >= limit:
                    raise error from exc
                delay = self._delay(attempt, error)
                log.warning("GigaChat %s, retry %d in %.1fs", error.cause.value, attempt + 1, delay)
                await asyncio.sleep(delay)
                attempt += 1
                continue
            u = completion.usage
            usage = Usage(
                self.model,  # one name per model: the answer's own names carry build suffixes
                u.prompt_tokens,
                u.completion_tokens,
                u.total_tokens,
                time.monotonic() - started,
                None,
                context,
                u.precached_prompt_tokens or 0,
                request_id,
            )
            await self._report(usage)
            return completion, usage

    async def _send(self, chat: Chat, context: CallContext, request_id: str) -> ChatCompletion:
        """One HTTP request, with this call's request id and the job's session id as headers."""
        request_token = request_id_cvar.set(request_id)
        session_token = session_id_cvar.set(context.session)
        try:
            return await self._client.achat(chat)
        finally:
            session_id_cvar.reset(session_token)
            request_id_cvar.reset(request_token)

    async def _once(self, call: Callable[[], Awaitable[Any]]) -> Any:
        """Run a service call (token, models, balance) once, under the limit, errors classified."""
        try:
            async with self._semaphore:
                return await call()
        except Exception as exc:
            raise classify(exc) from exc

    # --- public -------------------------------------------------------------------------------

    async def complete(
        self,
        prompt: str,
        *,
        system: str | None = None,
        context: CallContext = CallContext(),
        max_tokens: int | None = None,
        temperature: float | None = None,
        retries: int | None = None,
    ) -> TextAnswer:
        """Return a plain text answer."""
        messages = [Messages(role=MessagesRole.SYSTEM, content=system)] if system else []
        messages.append(Messages(role=MessagesRole.USER, content=prompt))
        chat = Chat(messages=messages, model=self.model, max_tokens=max_tokens, temperature=temperature)
        completion, usage = await self._chat(chat, context, retries)
        choice = completion.choices[0]
        if choice.finish_reason == "blacklist":
            raise _make_error(Cause.BLACKLISTED)
        return TextAnswer(choice.message.content, choice.finish_reason, usage)

    async def call_function(
        self,
        spec: FunctionSpec,
        messages: list[Messages],
        *,
        context: CallContext = CallContext(),
        max_tokens: int | None = None,
        temperature: float | None = None,
        retries: int | None = None,
    ) -> FunctionAnswer:
        """Force one function call and return its raw arguments; a refusal raises BLACKLISTED."""
        chat = Chat(
            messages=messages,
            model=self.model,
            functions=[build_function(spec)],
            function_call={"name": spec.name},
            temperature=temperature,
            max_tokens=max_tokens,
        )
        completion, usage = await self._chat(chat, context, retries)
        choice = completion.choices[0]
        if choice.finish_reason == "blacklist":
            raise _make_error(Cause.BLACKLISTED)
        call = choice.message.function_call
        raw = call.arguments if call is not None else _extract_json(choice.message.content)
        arguments = raw if isinstance(raw, dict) else None
        turn = Messages(
            role=MessagesRole.ASSISTANT,
            content="" if call is not None else choice.message.content[:2000],
            function_call=FunctionCall(name=spec.name, arguments=arguments) if call is not None else None,
            functions_state_id=choice.message.functions_state_id,
        )
        return FunctionAnswer(arguments, choice.finish_reason, usage, turn)

    async def ask_json(
        self,
        answer_type: type[T],
        spec: FunctionSpec,
        *,
        prompt: str,
        system: str | None = None,
        context: CallContext = CallContext(),
        temperature: float | None = None,
        max_tokens: int | None = None,
    ) -> T:
        """Return one validated object through a forced function call, with one repair turn."""
        messages = [Messages(role=MessagesRole.SYSTEM, content=system)] if system else []
        messages.append(Messages(role=MessagesRole.USER, content=prompt))
        for attempt in range(2):
            answer = await self.call_function(
                spec, messages, context=context, max_tokens=max_tokens, temperature=temperature
            )
            try:
                if answer.finish_reason == "length":
                    raise ValueError(texts.LLM_TOO_LONG)
                return answer_type.model_validate(answer.arguments)
            except (ValidationError, ValueError) as exc:
                problem = _describe_problem(exc)
                log.warning("GigaChat answer for %s did not validate (try %d)", spec.name, attempt + 1)
            messages = [*messages, *repair_turn(answer, problem)]
        raise InvalidAnswerError(
            Cause.INVALID_ANSWER,
            texts.cause_text(Cause.INVALID_ANSWER),
            texts.cause_fix(Cause.INVALID_ANSWER),
        )

    async def fetch_token(self) -> TokenInfo:
        """Get an OAuth token (or reuse a valid one); return its lifetime."""
        started = time.monotonic()
        token = await self._once(self._client.aget_token)
        latency = time.monotonic() - started
        expires_ms = token.expires_at if token else 0
        if expires_ms < 10**11:  # some servers answer in seconds
            expires_ms *= 1000
        return TokenInfo(datetime.fromtimestamp(expires_ms / 1000).astimezone(), latency)

    async def list_models(self) -> list[ModelInfo]:
        """Return the models this key can use."""
        models = await self._once(self._client.aget_models)
        # The SDK's Model drops the API's "type" field, so tell embedders by name.
        return [ModelInfo(m.id_, "embedder" if "embed" in m.id_.lower() else "chat") for m in models.data]

    async def balance(self) -> list[tuple[str, float]] | None:
        """Return the prepaid balance per service, or None when it does not apply (postpaid: 403)."""
        try:
            balance = await self._once(self._client.aget_balance)
        except LLMError as error:
            if error.cause == Cause.FORBIDDEN:
                return None
            raise
        return [(b.usage, b.value) for b in balance.balance]
