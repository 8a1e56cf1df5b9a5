"""Every failure of the SDK or httpx mapped to a Cause the user can act on; which of them are retried."""

from __future__ import annotations

import json
import logging
import ssl
from typing import Any

import httpx
from gigachat.exceptions import (
    ModelNotSpecifiedError,
    RateLimitError,
    ResponseError,
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


_BY_STATUS = {401: Cause.AUTH_REJECTED, 402: Cause.PAYMENT_REQUIRED, 403: Cause.FORBIDDEN, 413: Cause.TOO_LARGE}
_BY_OAUTH_CODE = {7: Cause.SCOPE_MISMATCH, 4: Cause.KEY_UNDECODABLE, 5: Cause.BAD_SCOPE, 1: Cause.BAD_SCOPE}


def _classify_response(exc: ResponseError) -> LLMError:
    body = _error_body(exc)
    message = str(body.get("message", ""))
    status = exc.status_code
    if status in _BY_STATUS:
        return _make_error(_BY_STATUS[status])
    if status == 400:
        code = body.get("code")
        if isinstance(code, int) and code in _BY_OAUTH_CODE:
            return _make_error(_BY_OAUTH_CODE[code])
        return _make_error(Cause.BAD_REQUEST, f"Ответ сервера: {message[:200]}" if message else None)
    if status == 404:
        if "model" in message.lower() or "/chat/" in str(exc.url):
            return _make_error(Cause.MODEL_NOT_FOUND)
        return _make_error(Cause.NETWORK, f"По адресу {exc.url} нет API GigaChat (404).")
    if status == 422:
        cause = Cause.FUNCTIONS_UNSUPPORTED if "function" in message.lower() else Cause.BAD_REQUEST
        return _make_error(cause, f"(422) {message[:200]}")
    if status >= 500:
        return _make_error(Cause.SERVER_ERROR, f"(HTTP {status})")
    return _make_error(Cause.BAD_REQUEST, f"(HTTP {status})")
