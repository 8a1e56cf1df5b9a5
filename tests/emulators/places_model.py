"""A stand-in "model" for the GigaChat emulator that answers the bot's structured calls sensibly.

It reads the JSON data the bot puts in its prompts and answers every id it was given: categories
(from a few keywords; unknown places get a fixed guess), descriptions grounded in the given facts,
and column mappings. Tests and benchmarks use it to exercise the real request/answer path.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import Any

from tests.emulators.gigachat import ChatReply

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


def _items(body: dict[str, Any]) -> list[dict[str, Any]]:
    text = body["messages"][-1]["content"] if body["messages"][-1]["role"] == "user" else ""
    for message in reversed(body["messages"]):
        if message["role"] == "user" and "Данные:\n" in message["content"]:
            text = message["content"]
            break
    raw = text.split("Данные:\n", 1)[-1]
    try:
        data = json.loads(raw)
    except ValueError:
        return []
    return data if isinstance(data, list) else []


def classify(item: dict[str, Any]) -> tuple[str, str, float]:
    """A deterministic 'model' answer for one place or value."""
    text = " ".join(str(v) for v in item.values()).lower()
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


class PlacesModel:
    """Answers classify_places, describe_places and map_columns; counts calls per function."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.items_seen: Counter[str] = Counter()

    def __call__(self, body: dict[str, Any]) -> ChatReply:
        function = (
            (body.get("function_call") or {}).get("name") if isinstance(body.get("function_call"), dict) else None
        )
        self.calls[function or "text"] += 1
        if function == "classify_places":
            items = _items(body)
            self.items_seen[function] += len(items)
            answer = []
            for item in items:
                category, subcategory, confidence = classify(item)
                answer.append(
                    {"id": item["id"], "category": category, "subcategory": subcategory, "confidence": confidence}
                )
            return ChatReply(
                function_call={"name": function, "arguments": {"items": answer}}, finish_reason="function_call"
            )
        if function == "describe_places":
            items = _items(body)
            self.items_seen[function] += len(items)
            answer = [{"id": item["id"], "description": describe(item)} for item in items]
            return ChatReply(
                function_call={"name": function, "arguments": {"items": answer}}, finish_reason="function_call"
            )
        if function == "map_columns":
            content = body["messages"][-1]["content"]
            columns = [int(n) for n in re.findall(r"^(\d+)\. «", content, re.MULTILINE)]
            answer = [{"index": n, "field": "notes", "confidence": 0.6} for n in columns]
            return ChatReply(
                function_call={"name": function, "arguments": {"columns": answer}}, finish_reason="function_call"
            )
        return ChatReply(content="Работает.")
