"""Answers that go wrong the way real models do, for testing the bot's item-by-item validation.

``Misbehave(inner, mode, times=1, function=None)`` is a responder: the inner stand-in model answers,
then the first ``times`` matching answers (function calls, optionally only of one function) are
changed according to ``mode``; later answers pass through. ``changed`` counts the changed answers.
An answer a mode cannot apply to (a text answer, a Fault, too few items) passes through unchanged
and does not count. ``misbehave(reply, mode)`` is the same change as a pure function.

Modes (``Mode`` or its string value):

- ``shift_ids``: every id + 1 (item k now carries id k+1);
- ``permute``: ids rotated among the items (item k gets item k+1's id, the last the first's), contents stay (≥2 items);
- ``duplicate``: the last item gets the first item's id: one id twice, one missing (≥2 items);
- ``repeat``: the whole first item appended again;
- ``fewer``: the last item dropped;
- ``out_of_list``: the first item's closed-list values outside any list: category → gastronomy,
  sentiment → angry, field → website_url, verdict → ban, and reasons gets rudeness;
- ``near_miss``: the first item's closed-list value spelled the way models miss it, a different
  variant per changed call — places: Russian top label («Еда»), FOOD/CAFE, "food/Cafe ", the
  subcategory alone, the Russian subcategory label («Кафе»); reviews: Positive, NEGATIVE, verdict
  Approve; columns: Notes, NOTES, "notes ";
- ``confidence_100``: every confidence on 0–100 (0.9 → 90);
- ``wrong_echo``: the first two items swap their echo only (≥2 items);
- ``swap_evidence``: the first two items swap their aspects, so quotes come from the other review (≥2 items);
- ``length``: finish_reason "length" and only the first half of the items;
- ``empty``: arguments ``{"items": []}``;
- ``no_call``: no function call, content "" and finish_reason "stop";
- ``text_json``: no function call, the JSON arguments as plain text in content;
- ``blacklist``: finish_reason "blacklist", no function call.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Awaitable, Callable
from enum import StrEnum
from pathlib import Path
from typing import Any, Final

from tests.emulators.contract import forced_function
from tests.emulators.gigachat import ChatReply, Fault, Responder, ResponderResult

__all__ = ["CATEGORY_LABELS", "OUT_OF_LIST", "PLACE_KEYS", "Misbehave", "Mode", "misbehave", "near_miss_variants"]

TAXONOMY: Final = Path(__file__).resolve().parents[2] / "bot" / "data" / "taxonomy.json"


class Mode(StrEnum):
    SHIFT_IDS = "shift_ids"
    PERMUTE = "permute"
    DUPLICATE = "duplicate"
    REPEAT = "repeat"
    FEWER = "fewer"
    OUT_OF_LIST = "out_of_list"
    NEAR_MISS = "near_miss"
    CONFIDENCE_100 = "confidence_100"
    WRONG_ECHO = "wrong_echo"
    SWAP_EVIDENCE = "swap_evidence"
    LENGTH = "length"
    EMPTY = "empty"
    NO_CALL = "no_call"
    TEXT_JSON = "text_json"
    BLACKLIST = "blacklist"


# Closed-list fields and a value outside every list; list fields get the value appended.
OUT_OF_LIST: Final[dict[str, str]] = {
    "category": "gastronomy",
    "sentiment": "angry",
    "field": "website_url",
    "verdict": "ban",
    "reasons": "rudeness",
}

# The keys the stand-in places model produces.
PLACE_KEYS: Final = (
    "food/cafe", "food/restaurant", "culture/museum", "culture/theatre", "nightlife/bar", "nature/park",
    "stay/hotel", "entertainment/quest", "entertainment/games_vr", "kids/kids_classes",
)  # fmt: skip


def _labels(keys: tuple[str, ...]) -> dict[str, str]:
    """Russian labels of these keys and of their top categories, read from the bot's taxonomy."""
    data = json.loads(TAXONOMY.read_text("utf-8"))
    labels: dict[str, str] = {}
    for category in data["categories"]:
        labels[category["key"]] = category["label"]
        for sub in category.get("subcategories", []):
            labels[f"{category['key']}/{sub['key']}"] = sub["label"]
    missing = [key for key in keys if key not in labels]
    if missing:
        raise RuntimeError(f"{TAXONOMY} has no {missing}")
    return {key: labels[key] for key in (*keys, *{key.split("/")[0] for key in keys})}


CATEGORY_LABELS: Final = _labels(PLACE_KEYS)


def _stray(value: str) -> str:
    """'food/cafe' → 'food/Cafe ': the last part capitalised and a trailing space."""
    head, _, tail = value.rpartition("/")
    return f"{head}{'/' if head else ''}{tail[:1].upper()}{tail[1:]} "


def near_miss_variants(field: str, value: str) -> list[str]:
    """How models miss a closed-list ``value`` of ``field``, in the order ``near_miss`` cycles through."""
    if field == "category":
        top, _, sub = value.partition("/")
        variants = [CATEGORY_LABELS.get(top, top.capitalize()), value.upper(), _stray(value)]
        if sub:
            variants.append(sub)
            if value in CATEGORY_LABELS:
                variants.append(CATEGORY_LABELS[value])
        return variants
    return [value.capitalize(), value.upper(), f"{value} "]


# near_miss: (field, how to spell it) per changed call, for an item that has the field.
_REVIEW_NEAR_MISS: Final = (("sentiment", str.capitalize), ("sentiment", str.upper), ("verdict", str.capitalize))


def _near_miss(items: list[dict[str, Any]], variant: int) -> list[dict[str, Any]] | None:
    first = items[0]
    if isinstance(first.get("category"), str):
        options = near_miss_variants("category", first["category"])
        first["category"] = options[variant % len(options)]
        return items
    if isinstance(first.get("sentiment"), str):
        field, spell = _REVIEW_NEAR_MISS[variant % len(_REVIEW_NEAR_MISS)]
        first[field] = spell(str(first[field]))
        return items
    if isinstance(first.get("field"), str):
        options = near_miss_variants("field", first["field"])
        first["field"] = options[variant % len(options)]
        return items
    return None


def _out_of_list(items: list[dict[str, Any]], variant: int) -> list[dict[str, Any]] | None:
    first = items[0]
    touched = False
    for field, value in OUT_OF_LIST.items():
        if isinstance(first.get(field), list):
            first[field] = [*first[field], value]
            touched = True
        elif field in first:
            first[field] = value
            touched = True
    return items if touched else None


def _shift_ids(items: list[dict[str, Any]], variant: int) -> list[dict[str, Any]]:
    for item in items:
        item["id"] += 1
    return items


def _permute(items: list[dict[str, Any]], variant: int) -> list[dict[str, Any]]:
    ids = [item["id"] for item in items]
    for n, item in enumerate(items):
        item["id"] = ids[(n + 1) % len(ids)]
    return items


def _duplicate(items: list[dict[str, Any]], variant: int) -> list[dict[str, Any]]:
    items[-1]["id"] = items[0]["id"]
    return items


def _percent(value: Any) -> Any:
    if not isinstance(value, int | float) or isinstance(value, bool):
        return value
    scaled = round(value * 100, 6)
    return int(scaled) if float(scaled).is_integer() else scaled


def _confidence_100(items: list[dict[str, Any]], variant: int) -> list[dict[str, Any]] | None:
    if not any("confidence" in item for item in items):
        return None
    for item in items:
        if "confidence" in item:
            item["confidence"] = _percent(item["confidence"])
    return items


def _swap(field: str) -> Callable[[list[dict[str, Any]], int], list[dict[str, Any]] | None]:
    def swap(items: list[dict[str, Any]], variant: int) -> list[dict[str, Any]] | None:
        if field not in items[0] or field not in items[1]:
            return None
        items[0][field], items[1][field] = items[1][field], items[0][field]
        return items

    return swap


ItemChange = Callable[[list[dict[str, Any]], int], list[dict[str, Any]] | None]

# mode -> (fewest items it needs, the change of the items list; None: does not apply)
_ITEM_CHANGES: Final[dict[Mode, tuple[int, ItemChange]]] = {
    Mode.SHIFT_IDS: (1, _shift_ids),
    Mode.PERMUTE: (2, _permute),
    Mode.DUPLICATE: (2, _duplicate),
    Mode.REPEAT: (1, lambda items, _: [*items, copy.deepcopy(items[0])]),
    Mode.FEWER: (1, lambda items, _: items[:-1]),
    Mode.OUT_OF_LIST: (1, _out_of_list),
    Mode.NEAR_MISS: (1, _near_miss),
    Mode.CONFIDENCE_100: (1, _confidence_100),
    Mode.WRONG_ECHO: (2, _swap("echo")),
    Mode.SWAP_EVIDENCE: (2, _swap("aspects")),
    Mode.LENGTH: (1, lambda items, _: items[: len(items) // 2]),
}
_FINISH_REASON: Final = {Mode.LENGTH: "length"}


def misbehave(reply: ChatReply, mode: Mode | str, *, variant: int = 0) -> ChatReply | None:
    """``reply`` changed the way ``mode`` says (a new object), or None when the mode does not apply to it.

    ``variant`` picks the spelling for ``near_miss`` (it cycles).
    """
    mode = Mode(mode)
    call = reply.function_call
    if call is None or not isinstance(call.get("arguments"), dict):
        return None
    name, arguments = call["name"], copy.deepcopy(call["arguments"])
    if mode is Mode.BLACKLIST:
        return ChatReply(content="", finish_reason="blacklist")
    if mode is Mode.NO_CALL:
        return ChatReply(content="", finish_reason="stop")
    if mode is Mode.TEXT_JSON:
        return ChatReply(content=json.dumps(arguments, ensure_ascii=False), finish_reason="stop")
    if mode is Mode.EMPTY:
        return ChatReply(function_call={"name": name, "arguments": {"items": []}}, finish_reason="function_call")
    items = arguments.get("items")
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        return None
    fewest, change = _ITEM_CHANGES[mode]
    if len(items) < fewest:
        return None
    if mode in (Mode.SHIFT_IDS, Mode.PERMUTE, Mode.DUPLICATE) and not all(
        isinstance(item.get("id"), int) for item in items
    ):
        return None
    changed = change(items, variant)
    if changed is None:
        return None
    return ChatReply(
        content=reply.content,
        function_call={"name": name, "arguments": {**arguments, "items": changed}},
        finish_reason=_FINISH_REASON.get(mode, reply.finish_reason),
    )


class Misbehave:
    """A responder wrapper: the first ``times`` matching answers of ``inner`` go wrong as ``mode`` says."""

    def __init__(self, inner: Responder, mode: Mode | str, *, times: int = 1, function: str | None = None) -> None:
        self.inner = inner
        self.mode = Mode(mode)
        self.times = times
        self.function = function
        self.changed = 0  # answers changed so far
        self.seen = 0  # answers seen so far

    def __call__(self, body: dict[str, Any]) -> ResponderResult | Awaitable[ResponderResult]:
        result = self.inner(body)
        if isinstance(result, ChatReply | Fault):
            return self._apply(body, result)
        return self._later(body, result)

    async def _later(self, body: dict[str, Any], pending: Awaitable[ResponderResult]) -> ResponderResult:
        return self._apply(body, await pending)

    def _apply(self, body: dict[str, Any], result: ResponderResult) -> ResponderResult:
        self.seen += 1
        if self.changed >= self.times or not isinstance(result, ChatReply):
            return result
        if self.function is not None and forced_function(body) != self.function:
            return result
        changed = misbehave(result, self.mode, variant=self.changed)
        if changed is None:
            return result
        self.changed += 1
        return changed
