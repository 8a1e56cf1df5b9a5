"""Shared fixtures: a clean environment, settings pointing at the emulators, test keys."""

from __future__ import annotations

import base64
import os
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from bot.core.config import Settings, load_settings
from tests.emulators.gigachat import GigaChatEmulator

SettingsFactory = Callable[..., Settings]


def make_key(client_id: str | None = None) -> str:
    """Return a well-formed authorization key (Base64 of two UUIDs)."""
    return base64.b64encode(f"{client_id or uuid.uuid4()}:{uuid.uuid4()}".encode()).decode()


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Run every test in an empty directory with no bot or GigaChat variables set."""
    for name in list(os.environ):
        if name.startswith(("GIGACHAT_", "BOT_", "TELEGRAM_", "WEBHOOK_")) or name in {
            "ADMIN_IDS",
            "DATABASE_PATH",
            "LOG_LEVEL",
            "MAX_FILE_MB",
            "MAX_ROWS",
            "TAXONOMY_FILE",
        }:
            monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
async def gigachat() -> AsyncIterator[GigaChatEmulator]:
    """A running GigaChat emulator."""
    async with GigaChatEmulator() as emulator:
        yield emulator


@pytest.fixture
def key() -> str:
    return make_key()


@pytest.fixture
def make_settings(gigachat: GigaChatEmulator, key: str, tmp_path: Path) -> SettingsFactory:
    """Build Settings aimed at the emulator; keyword arguments override."""

    def build(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "gigachat_credentials": key,
            "gigachat_base_url": gigachat.base_url,
            "gigachat_auth_url": gigachat.auth_url,
            "gigachat_fallback_urls": (),
            "gigachat_timeout": 5.0,
            "database_path": tmp_path / "bot.sqlite3",
        }
        values.update(overrides)
        return load_settings(env_file=None, **values)

    return build
