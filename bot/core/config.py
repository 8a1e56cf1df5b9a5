"""Settings from the environment and `.env`, validated once, with one Russian line per bad value."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot import texts
from bot.core.errors import ConfigError, UserFacingError

KNOWN_SCOPES = ("GIGACHAT_API_PERS", "GIGACHAT_API_B2B", "GIGACHAT_API_CORP")
SBER_BASE_URL = "https://gigachat.devices.sberbank.ru/api/v1"
GIGA_BASE_URL = "https://api.giga.chat/v1"
DEFAULT_AUTH_URL = "https://ngw.devices.sberbank.ru:9443/api/v2/oauth"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")

TOKEN_RE = re.compile(r"\d{3,}:[A-Za-z0-9_-]{30,}")
_TRUE = {"1", "true", "yes", "on", "да", "y"}
_FALSE = {"0", "false", "no", "off", "нет", "n"}

# What each variable should look like, for values pydantic itself rejects.
EXPECTED: dict[str, str] = {
    "ADMIN_IDS": "числовые Telegram ID через запятую или пробел, например 123456789, 987654321",
    "GIGACHAT_TIMEOUT": "число секунд больше нуля, например 60",
    "GIGACHAT_MAX_CONCURRENCY": "целое число от 1 до 100",
    "GIGACHAT_VERIFY_SSL": "true или false",
    "LOG_LEVEL": "DEBUG, INFO, WARNING или ERROR",
    "MAX_FILE_MB": "целое число мегабайт от 1 до 2000",
    "MAX_ROWS": "целое число строк от 1",
    "WEBHOOK_PORT": "номер порта от 1 до 65535",
}


def _parse_bool(value: Any) -> Any:
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise ValueError(EXPECTED["GIGACHAT_VERIFY_SSL"])
    return value


class Settings(BaseSettings):
    """Every setting of the bot; see `.env.example` for what each one means."""

    model_config = SettingsConfigDict(extra="ignore", env_ignore_empty=True, case_sensitive=False)

    bot_token: SecretStr | None = None
    admin_ids: Annotated[tuple[int, ...], NoDecode] = ()
    database_path: Path = Path("data/bot.sqlite3")
    telegram_api_url: str | None = None
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_host: str = "0.0.0.0"
    webhook_port: int = Field(default=8080, ge=1, le=65535)
    log_level: str = "INFO"
    max_file_mb: int = Field(default=20, ge=1, le=2000)
    max_rows: int = Field(default=100_000, ge=1)
    taxonomy_file: Path | None = None

    gigachat_api_key: SecretStr | None = None
    gigachat_credentials: SecretStr | None = None
    gigachat_client_id: str | None = None
    gigachat_client_secret: SecretStr | None = None
    gigachat_scope: str = "GIGACHAT_API_PERS"
    gigachat_model: str = "GigaChat"
    gigachat_base_url: str = GIGA_BASE_URL
    gigachat_auth_url: str = DEFAULT_AUTH_URL
    gigachat_verify_ssl: bool = Field(
        default=True, validation_alias=AliasChoices("gigachat_verify_ssl", "gigachat_verify_ssl_certs")
    )
    gigachat_ca_bundle_file: Path | None = None
    gigachat_timeout: float = Field(default=60.0, gt=0, le=600)
    gigachat_max_concurrency: int | None = Field(default=None, ge=1, le=100)
    gigachat_fallback_urls: Annotated[tuple[str, ...], NoDecode] = (SBER_BASE_URL, GIGA_BASE_URL)

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: Any) -> Any:
        if isinstance(value, str):
            parts = value.replace(",", " ").replace(";", " ").split()
            if not all(p.lstrip("-").isdigit() for p in parts):
                raise ValueError(EXPECTED["ADMIN_IDS"])
            return tuple(int(p) for p in parts)
        return value

    @field_validator("gigachat_fallback_urls", mode="before")
    @classmethod
    def _split_urls(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(u.strip() for u in value.replace(",", " ").split() if u.strip())
        return value

    @field_validator("gigachat_verify_ssl", mode="before")
    @classmethod
    def _bool(cls, value: Any) -> Any:
        return _parse_bool(value)

    @field_validator("gigachat_scope", "gigachat_model", mode="before")
    @classmethod
    def _strip(cls, value: Any) -> Any:
        return value.strip().strip("\"'") if isinstance(value, str) else value

    @field_validator("gigachat_scope", mode="after")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.upper()

    @field_validator("gigachat_base_url", "gigachat_auth_url", "telegram_api_url", "webhook_url", mode="before")
    @classmethod
    def _url(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip().rstrip("/")
            if not value.startswith(("http://", "https://")):
                raise ValueError("адрес должен начинаться с https:// (или http://)")
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _level(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip().upper()
            if value not in LOG_LEVELS:
                raise ValueError(EXPECTED["LOG_LEVEL"])
        return value

    @property
    def max_concurrency(self) -> int:
        """Return the GigaChat stream limit: personal keys get one stream, business keys ten."""
        if self.gigachat_max_concurrency is not None:
            return self.gigachat_max_concurrency
        return 1 if self.gigachat_scope.upper() == "GIGACHAT_API_PERS" else 10

    def secret(self, name: str) -> str | None:
        """Return a secret setting's raw value (only for building clients)."""
        value = getattr(self, name)
        return value.get_secret_value() if isinstance(value, SecretStr) else value


def _explain(error: Any) -> str:
    loc = error.get("loc") or ("?",)
    var = str(loc[0]).upper()
    ctx = error.get("ctx") or {}
    if error.get("type") == "value_error" and "error" in ctx:
        return f"{var}: {ctx['error']}"
    expected = EXPECTED.get(var, "значение другого вида")
    shown = "" if "TOKEN" in var or "SECRET" in var or "KEY" in var else f" {str(error.get('input'))[:40]!r}"
    return f"{var}: неверное значение{shown}, ожидается {expected}"


def load_settings(env_file: Path | None = Path(".env"), **overrides: Any) -> Settings:
    """Read settings from the environment and `.env`; raise ConfigError with Russian lines."""
    try:
        return Settings(_env_file=env_file, **overrides)
    except ValidationError as exc:
        lines = [_explain(e) for e in exc.errors()]
        raise ConfigError("\n".join(lines)) from None


def check_token(settings: Settings) -> str:
    """Return the bot token, or raise a UserFacingError explaining how to get one."""
    token = (settings.secret("bot_token") or "").strip()
    if not token:
        raise UserFacingError(texts.TOKEN_MISSING)
    if not TOKEN_RE.fullmatch(token):
        raise UserFacingError(texts.TOKEN_MALFORMED)
    return token
