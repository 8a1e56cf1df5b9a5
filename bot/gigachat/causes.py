"""Every failure of the SDK or httpx mapped to a Cause the user can act on; which of them are retried."""

from __future__ import annotations

import json
import logging
import ssl
from typing import Any

import httpx
from gigachat.exceptions import (
    AuthenticationError,
    BadRequestError,
    ForbiddenError,
    ModelNotSpecifiedError,
    NotFoundError,
    RateLimitError,
    RequestEntityTooLargeError,
    ResponseError,
    ServerError,
    UnprocessableEntityError,
)

from bot import texts
from bot.core.errors import Cause, LLMError

log = logging.getLogger(__name__)
RETRYABLE = frozenset({Cause.RATE_LIMITED, Cause.SERVER_ERROR, Cause.TIMEOUT, Cause.NETWORK})


def _error_body(exc: ResponseError) -> dict[str, Any]:
    try:
        body = json.loads(exc.content or b"{}")
    except (ValueError, UnicodeDecodeError):
        return {}
    return body if isinstance(body, dict) else {}


def _request_id(exc: BaseException) -> str | None:
    headers = getattr(exc, "headers", None)
    if headers is None:
        return None
    value = headers.get("x-request-id")
    return str(value) if value else None


def _make_error(cause: Cause, detail: str | None = None, *, retry_after: float = 0.0) -> LLMError:
    message = texts.cause_text(cause)
    if detail:
        message = f"{message} {detail}"
    return LLMError(cause, message, texts.cause_fix(cause), retryable=cause in RETRYABLE, retry_after=retry_after)


def classify(exc: BaseException) -> LLMError:
    """Map any exception from the SDK or httpx to an LLMError with a cause the user can act on."""
    if isinstance(exc, LLMError):
        return exc
    if isinstance(exc, RateLimitError):
        return _make_error(Cause.RATE_LIMITED, retry_after=exc.retry_after)
    if isinstance(exc, ResponseError):
        return _classify_response(exc)
    if isinstance(exc, ModelNotSpecifiedError):
        return _make_error(Cause.MODEL_NOT_FOUND, "Модель не указана (GIGACHAT_MODEL).")
    if isinstance(exc, httpx.TimeoutException):
        return _make_error(Cause.TIMEOUT)
    if isinstance(exc, httpx.TransportError):
        if "CERTIFICATE_VERIFY_FAILED" in str(exc) or isinstance(exc.__context__, ssl.SSLCertVerificationError):
            return _make_error(Cause.TLS_UNTRUSTED)
        return _make_error(Cause.NETWORK, f"({type(exc).__name__})")
    # Anything else (a parsing error in the SDK, a bug) is not a network problem: never retried as one.
    return _make_error(Cause.UNEXPECTED, f"({type(exc).__name__})")


def _classify_response(exc: ResponseError) -> LLMError:
    body = _error_body(exc)
    code = body.get("code")
    message = str(body.get("message", ""))
    if isinstance(exc, AuthenticationError):
        return _make_error(Cause.AUTH_REJECTED)
    if isinstance(exc, BadRequestError):
        by_code = {7: Cause.SCOPE_MISMATCH, 4: Cause.KEY_UNDECODABLE, 5: Cause.BAD_SCOPE, 1: Cause.BAD_SCOPE}
        if isinstance(code, int) and code in by_code:
            return _make_error(by_code[code])
        return _make_error(Cause.BAD_REQUEST, f"Ответ сервера: {message[:200]}" if message else None)
    if exc.status_code == 402:
        return _make_error(Cause.PAYMENT_REQUIRED)
    if isinstance(exc, ForbiddenError):
        return _make_error(Cause.FORBIDDEN)
    if isinstance(exc, NotFoundError):
        if "model" in message.lower() or "/chat/" in str(exc.url):
            return _make_error(Cause.MODEL_NOT_FOUND)
        return _make_error(Cause.NETWORK, f"По адресу {exc.url} нет API GigaChat (404).")
    if isinstance(exc, RequestEntityTooLargeError) or exc.status_code == 413:
        return _make_error(Cause.TOO_LARGE)
    if isinstance(exc, UnprocessableEntityError):
        if "function" in message.lower():
            return _make_error(Cause.FUNCTIONS_UNSUPPORTED, f"(422) {message[:200]}")
        return _make_error(Cause.BAD_REQUEST, f"(422) {message[:200]}")
    if isinstance(exc, ServerError) or exc.status_code >= 500:
        return _make_error(Cause.SERVER_ERROR, f"(HTTP {exc.status_code})")
    return _make_error(Cause.BAD_REQUEST, f"(HTTP {exc.status_code})")
