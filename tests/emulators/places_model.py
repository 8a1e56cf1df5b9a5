"""A stand-in "model" for the GigaChat emulator that answers the bot's structured calls sensibly.

It reads the JSON list the bot puts after «Данные:» and answers every id it was given, echoing the
first three words of each item's key: categories as full keys (``"food/cafe"``, from a few
keywords; unknown places get a fixed guess), descriptions grounded in the given facts, and column
mappings. Tests and benchmarks use it to exercise the real request/answer path.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from tests.emulators.contract import data_of, echo_of, forced_function, function_reply
from tests.emulators.gigachat import ChatReply

PLACE_ECHO_WORDS = 2  # the bot asks for the first two words of a place's name (three of a review)

KEYWORDS = {
    "музей": ("culture", "museum"),
    "театр": ("culture", "theatre"),
    "кафе": ("food", "cafe"),
    "ресторан": ("food", "restaurant"),
    "бар": ("nightlife", "bar"),
    "парк": ("nature", "park"),
    "отель": ("stay", "hotel"),
    "гостиниц": ("stay", "hotel"),
    "квест": ("entertainment", "quest"),
    "студия": ("kids", "kids_classes"),
    "мастерская": ("kids", "kids_classes"),
}
UNKNOWN_GUESS = ("entertainment", "games_vr", 0.8)
COLUMN_FIELD = "notes"
COLUMN_CONFIDENCE = 0.6


def _items(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The data items that carry an id (anything else in the list is ignored)."""
    return [item for item in data_of(body) if isinstance(item, dict) and "id" in item]


def classify(item: dict[str, Any]) -> tuple[str, str, float]:
    """A deterministic 'model' answer for one place or value: (top key, subcategory key, confidence)."""
    text = " ".join(str(v) for k, v in item.items() if k != "id").lower()
    for word, (category, subcategory) in KEYWORDS.items():
        if word in text:
            return category, subcategory, 0.9
    return UNKNOWN_GUESS


def describe(item: dict[str, Any]) -> str:
    """A grounded description from the facts given."""
    parts = [f"{item.get('name', 'Место')} — {str(item.get('category', 'место')).lower()}."]
    if item.get("address"):
        parts.append(f"Находится по адресу: {item['address']}.")
    return " ".join(parts)


def classify_answer(item: dict[str, Any]) -> dict[str, Any]:
    """One item of a ``classify_places`` answer (a place echoes its name, a file value its type)."""
    category, subcategory, confidence = classify(item)
    key = item["name"] if "name" in item else item.get("type", "")
    return {
        "id": item["id"],
        "echo": echo_of(key, PLACE_ECHO_WORDS),
        "category": f"{category}/{subcategory}",
        "confidence": confidence,
    }


def describe_answer(item: dict[str, Any]) -> dict[str, Any]:
    """One item of a ``describe_places`` answer."""
    return {"id": item["id"], "echo": echo_of(item.get("name", ""), PLACE_ECHO_WORDS), "description": describe(item)}


def column_answer(item: dict[str, Any]) -> dict[str, Any]:
    """One item of a ``map_columns`` answer: every column goes to notes, with middling confidence."""
    header = str(item.get("header", ""))
    return {"id": item["id"], "echo": header, "field": COLUMN_FIELD, "confidence": COLUMN_CONFIDENCE}


ANSWERS = {"classify_places": classify_answer, "describe_places": describe_answer, "map_columns": column_answer}


class PlacesModel:
    """Answers classify_places, describe_places and map_columns; counts calls and items per function."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.items_seen: Counter[str] = Counter()

    def __call__(self, body: dict[str, Any]) -> ChatReply:
        function = forced_function(body)
        self.calls[function or "text"] += 1
        answer = ANSWERS.get(function or "")
        if function is None or answer is None:
            return ChatReply(content="Работает.")
        items = _items(body)
        self.items_seen[function] += len(items)
        return function_reply(function, {"items": [answer(item) for item in items]})
