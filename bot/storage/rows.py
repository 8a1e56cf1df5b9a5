"""Typed rows the repositories return, and the timestamp every row carries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from bot.core.text import fold as fold_text


def fold(value: object) -> str | None:
    return None if value is None else fold_text(str(value))


def now_iso() -> str:
    """Return the current UTC time as ISO text (what every timestamp column holds)."""
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class JobRow:
    """An uploaded file and what became of it."""

    id: int
    kind: str
    user_id: int
    chat_id: int
    file_name: str
    file_path: str
    sha256: str
    status: str
    sheet: str | None
    plan: str | None
    options: str | None
    message_id: int | None
    total: int
    processed: int
    counters: str | None
    result_path: str | None
    error: str | None
    created_at: str
    updated_at: str
    started_at: str | None
    finished_at: str | None


@dataclass(frozen=True)
class UserRow:
    """A person the bot has seen or been told about."""

    telegram_id: int
    role: str | None
    full_name: str
    username: str | None
    knock_alerted_at: str | None


@dataclass(frozen=True)
class ReviewRow:
    """A stored review: its analysis (JSON), where it belongs and the moderator's decision."""

    id: int
    analysis: str
    status: str
    place_id: int | None
    place_name: str | None  # the catalogue's name when bound, else the name the source gave
    moderator_id: int | None
    decided_at: str | None


@dataclass(frozen=True)
class QueuedReview:
    """A review waiting for a decision, as the queue lists it."""

    id: int
    text: str
    verdict: str
    place_name: str | None


@dataclass(frozen=True)
class PlaceRow:
    """A place in the catalogue: the canonical fields, the file's other columns (`extra`, JSON), its keys."""

    id: int
    name: str
    category: str | None
    subcategory: str | None
    description: str | None
    address: str | None
    city: str | None
    region: str | None
    district: str | None
    phone: str | None
    email: str | None
    website: str | None
    working_hours: str | None
    latitude: float | None
    longitude: float | None
    rating: float | None
    price: str | None
    social: str | None
    notes: str | None
    external_id: str | None
    extra: str
    name_key: str
    dedupe_key: str | None
