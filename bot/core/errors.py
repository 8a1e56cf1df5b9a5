"""The project's exception tree and the cause codes every failure is mapped to."""

from __future__ import annotations

from enum import StrEnum


class Cause(StrEnum):
    """Why something to do with GigaChat does not work; stable codes other tools read."""

    MISSING_CREDENTIALS = "missing_credentials"
    CLIENT_ID_ONLY = "client_id_only"
    ACCESS_TOKEN_AS_KEY = "access_token_as_key"
    INVALID_KEY_FORMAT = "invalid_key_format"
    CLIENT_ID_MISMATCH = "client_id_mismatch"
    BAD_SCOPE = "bad_scope"
    AUTH_REJECTED = "auth_rejected"
    SCOPE_MISMATCH = "scope_mismatch"
    KEY_UNDECODABLE = "key_undecodable"
    TLS_UNTRUSTED = "tls_untrusted"
    SSL_VERIFICATION_DISABLED = "ssl_verification_disabled"
    NETWORK = "network"
    TIMEOUT = "timeout"
    MODEL_NOT_FOUND = "model_not_found"
    PAYMENT_REQUIRED = "payment_required"
    FORBIDDEN = "forbidden"
    RATE_LIMITED = "rate_limited"
    SERVER_ERROR = "server_error"
    BAD_REQUEST = "bad_request"
    INVALID_ANSWER = "invalid_answer"
    BLACKLISTED = "blacklisted"
    TOO_LARGE = "too_large"
    FUNCTIONS_UNSUPPORTED = "functions_unsupported"
    EMBEDDINGS_MODEL = "embeddings_model"
    UNEXPECTED = "unexpected"


class BotError(Exception):
    """Base class of every error this project raises on purpose."""


class UserFacingError(BotError):
    """An expected failure whose message is Russian and safe to show to the user."""

    def __init__(self, message: str, fix: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix


class ConfigError(UserFacingError):
    """A setting has a bad value; the message names the variable and the expected form."""


class LLMError(UserFacingError):
    """A GigaChat call failed for a known cause; carries the cause code."""

    def __init__(
        self,
        cause: Cause,
        message: str,
        fix: str | None = None,
        *,
        retryable: bool = False,
        retry_after: float = 0.0,
    ) -> None:
        super().__init__(message, fix)
        self.cause = cause
        self.retryable = retryable
        self.retry_after = retry_after


class LLMUnavailable(LLMError):
    """GigaChat is not configured or not usable at all; callers fall back to the rules."""


class InvalidAnswerError(LLMError):
    """GigaChat answered, but the answer did not validate even after a repair attempt."""
