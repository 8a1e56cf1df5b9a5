"""Keep only what GigaChat wrote that its input backs up: no invented numbers, links or superlatives."""

from __future__ import annotations

import re

MAX_GROUNDED = 400
SUPERLATIVES = re.compile(r"\b(лучш\w*|сам(ый|ая|ое|ые|ого|ой)|уникальн\w*|непревзойд\w*|№\s*1|номер один)\b", re.I)
SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")


def grounded(text: str, facts: dict[str, str]) -> str | None:
    """Keep only sentences whose numbers, links and superlatives come from the place's own facts."""
    source = " ".join(facts.values()).lower()
    kept = []
    for sentence in SENTENCE_END.split(" ".join(text.split())):
        lowered = sentence.lower()
        numbers = re.findall(r"\d+", lowered)
        if any(n not in source for n in numbers):
            continue
        if re.search(r"https?://|www\.|@|\+7|₽|руб", lowered) and not all(
            token in source for token in re.findall(r"\S*(?:https?://|www\.|@|\+7)\S*", lowered)
        ):
            continue
        if SUPERLATIVES.search(sentence) and not SUPERLATIVES.search(source):
            continue
        kept.append(sentence)
    result = " ".join(kept).strip()
    if len(result) > MAX_GROUNDED:
        cut = result[:MAX_GROUNDED]
        end = max(cut.rfind(". "), cut.rfind("! "), cut.rfind("? "))
        result = cut[: end + 1] if end > 100 else cut.rstrip() + "…"
    return result or None
