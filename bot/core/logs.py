"""Logging setup: one format, and a filter that masks every configured secret in every record."""

from __future__ import annotations

import logging

from bot.core.config import Settings

SECRET_FIELDS = (
    "bot_token",
    "webhook_secret",
    "gigachat_api_key",
    "gigachat_credentials",
    "gigachat_client_secret",
)


def mask_secret(secret: str) -> str:
    """Show at most the first 4 and last 4 characters of a secret, and its length."""
    n = len(secret)
    if n >= 16:
        shown = f"{secret[:4]}…{secret[-4:]}"
    elif n >= 8:
        shown = f"{secret[:2]}…{secret[-2:]}"
    else:
        shown = "…"
    return f"{shown} ({n} симв.)"


class Scrubber:
    """Replace every configured secret in a text with its masked form."""

    def __init__(self, settings: Settings) -> None:
        values = {v.strip() for name in SECRET_FIELDS if (v := settings.secret(name))}
        self._secrets = sorted((s for s in values if len(s) >= 8), key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, mask_secret(secret))
        return text


class SecretMasker(logging.Filter):
    """Mask known secrets in every log record (messages and tracebacks alike)."""

    def __init__(self, scrub: Scrubber) -> None:
        super().__init__()
        self._scrub = scrub

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = self._scrub(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and record.exc_info[1] is not None and not record.exc_text:
            record.exc_text = self._scrub(logging.Formatter().formatException(record.exc_info))
        return True


def setup_logging(settings: Settings) -> None:
    """Configure the root logger once, masking secrets on every handler."""
    logging.basicConfig(
        level=settings.log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    masker = SecretMasker(Scrubber(settings))
    for handler in logging.getLogger().handlers:
        handler.addFilter(masker)
    logging.getLogger("httpx").setLevel(max(logging.WARNING, logging.getLogger().level))
