"""What the bot's batch prompts look like to a stand-in model, shared by the stand-in models.

Every batch call is a forced function call; the newest user message that has a line «Данные:»
carries a compact JSON list of items right after it (more text may follow the list). Items have
1-based int ids; the answer has exactly one item per id, and each answer item echoes a short key of
its input (``echo``: the first three words).
"""

from __future__ import annotations

import json
from typing import Any, Final

from tests.emulators.gigachat import ChatReply

__all__ = ["DATA_MARKER", "data_of", "data_span", "echo_of", "forced_function", "function_reply"]

DATA_MARKER: Final = "Данные:\n"
ECHO_WORDS: Final = 3


def data_span(body: dict[str, Any]) -> tuple[int, int, int] | None:
    """(message index, start, end) of the JSON list after «Данные:» in the newest user message that has one."""
    messages = body.get("messages")
    if not isinstance(messages, list):
        return None
    for index in range(len(messages) - 1, -1, -1):
        message = messages[index]
        if not isinstance(message, dict) or message.get("role") != "user":
            continue
        content = message.get("content")
        if not isinstance(content, str) or DATA_MARKER not in content:
            continue
        start = content.index(DATA_MARKER) + len(DATA_MARKER)
        while start < len(content) and content[start] in " \t\r\n":
            start += 1
        try:
            data, end = json.JSONDecoder().raw_decode(content, start)
        except ValueError:
            return None
        return (index, start, end) if isinstance(data, list) else None
    return None


def data_of(body: dict[str, Any]) -> list[Any]:
    """The JSON list after «Данные:» in the newest user message that has one ([] when there is none)."""
    span = data_span(body)
    if span is None:
        return []
    index, start, end = span
    data: list[Any] = json.loads(body["messages"][index]["content"][start:end])
    return data


def echo_of(text: object, words: int = ECHO_WORDS) -> str:
    """The first three whitespace-separated words of ``text``, joined with one space."""
    return " ".join(str(text).split()[:words])


def forced_function(body: dict[str, Any]) -> str | None:
    """The name in ``function_call: {"name": ...}``, or None for a text (or "auto") request."""
    call = body.get("function_call")
    if isinstance(call, dict) and isinstance(call.get("name"), str):
        return str(call["name"])
    return None


def function_reply(name: str, arguments: dict[str, Any]) -> ChatReply:
    """A function-call answer as GigaChat sends it."""
    return ChatReply(function_call={"name": name, "arguments": arguments}, finish_reason="function_call")
