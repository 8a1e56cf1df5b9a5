"""Logging setup: one format, and a filter that masks every configured secret in every record."""

from __future__ import annotations

import logging

from bot.config import Settings
from bot.credentials import mask_secret

SECRET_FIELDS = ("bot_token", "gigachat_api_key", "gigachat_credentials", "gigachat_client_secret")


class SecretMasker(logging.Filter):
    """Replace known secret values in log messages with their masked form."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self._secrets = sorted({s for s in secrets if len(s) >= 8}, key=len, reverse=True)

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._secrets:
            return True
        message = record.getMessage()
        masked = message
        for secret in self._secrets:
            masked = masked.replace(secret, mask_secret(secret))
        if masked != message:
            record.msg, record.args = masked, None
        return True


def setup_logging(settings: Settings) -> None:
    """Configure the root logger once, masking secrets on every handler."""
    secrets = [v.strip() for name in SECRET_FIELDS if (v := settings.secret(name))]
    logging.basicConfig(
        level=settings.log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    masker = SecretMasker(secrets)
    for handler in logging.getLogger().handlers:
        handler.addFilter(masker)
    logging.getLogger("httpx").setLevel(max(logging.WARNING, logging.getLogger().level))
