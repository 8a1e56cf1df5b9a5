"""A stand-in "model" for the GigaChat emulator that answers the bot's review calls.

`analyze_reviews`: one item per review it was given (echoing the first three words of its text),
with a crude sentiment from a few words, a rating, a summary, pros and cons, aspects with verbatim
evidence and — on purpose — a careless verdict: `approve` with no reasons unless told otherwise, so
tests can show that the rules still reject obscenity, contacts and ads "whatever the model says".
Texts containing a word of `blacklist` get `finish_reason: "blacklist"` for the whole call, like
GigaChat's censor. `summarize_place` returns two sentences built from the digests. Counts calls and
items per function.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from tests.emulators.contract import data_of, echo_of, forced_function, function_reply
from tests.emulators.gigachat import ChatReply

__all__ = [
    "CLEAN_REVIEWS",
    "NAMES",
    "PLACES",
    "ReviewsModel",
    "analyse",
    "data_of",
    "sample_reviews",
]

POSITIVE = ("вкусн", "уютн", "отличн", "прекрасн", "вежлив", "понрав", "чист", "рекоменд", "интересн")
NEGATIVE = ("ужасн", "грязн", "хам", "невкусн", "долго", "дорого", "холодн", "медленн", "плох")
ASPECT_WORDS = {
    "food": ("еда", "блюд", "суп", "десерт", "кухн", "завтрак"),
    "drinks": ("кофе", "чай", "вино", "коктейл"),
    "service": ("обслуживан", "официант"),
    "price": ("цен", "дорого"),
    "atmosphere": ("атмосфер", "уют", "интерьер", "музык"),
    "rooms": ("номер", "кроват"),
    "exhibits": ("экспозиц", "выставк", "экспонат"),
}
SUMMARY = "Гость делится впечатлениями о месте."
PLACE_SUMMARY = "Гости оставили отзывы о месте. Чаще всего пишут о еде и обслуживании."


def _sentence_with(text: str, word: str) -> str:
    lowered = text.lower()
    at = lowered.find(word)
    start = max(lowered.rfind(".", 0, at), lowered.rfind(",", 0, at)) + 1
    ends = [i for i in (lowered.find(".", at), lowered.find(",", at)) if i >= 0]
    end = min(ends) if ends else len(text)
    return text[start:end].strip()


def analyse(item: dict[str, Any], verdict: str) -> dict[str, Any]:
    """A deterministic, careless 'model' answer for one review (no score: the bot derives it)."""
    text = str(item["text"])
    lowered = text.lower()
    positive = len(re.findall(r"\b(?:" + "|".join(POSITIVE) + ")", lowered))
    negative = len(re.findall(r"\b(?:" + "|".join(NEGATIVE) + ")", lowered))
    if positive and negative:
        sentiment, rating = "mixed", 3
    elif positive:
        sentiment, rating = "positive", 5
    elif negative:
        sentiment, rating = "negative", 1
    else:
        sentiment, rating = "neutral", 3
    aspects = []
    for name, words in ASPECT_WORDS.items():
        word = next((w for w in words if w in lowered), None)
        if word:
            evidence = _sentence_with(text, word)
            tone = "positive" if any(w in evidence.lower() for w in POSITIVE) else "negative"
            aspects.append({"name": name, "polarity": tone, "evidence": evidence})
    pros = [a["evidence"] for a in aspects if a["polarity"] == "positive"]
    cons = [a["evidence"] for a in aspects if a["polarity"] == "negative"]
    return {
        "id": item["id"], "echo": echo_of(text), "sentiment": sentiment, "rating": rating,
        "summary": SUMMARY if len(text.split()) >= 4 else "мало данных",
        "pros": pros[:3], "cons": cons[:3], "aspects": aspects, "verdict": verdict, "reasons": [],
        "personal_data": [],
    }  # fmt: skip


class ReviewsModel:
    """Answers analyze_reviews and summarize_place; counts calls and items per function."""

    def __init__(self, *, verdict: str = "approve", blacklist: tuple[str, ...] = ()) -> None:
        self.verdict = verdict
        self.blacklist = blacklist
        self.calls: Counter[str] = Counter()
        self.items_seen: Counter[str] = Counter()

    def __call__(self, body: dict[str, Any]) -> ChatReply:
        function = forced_function(body)
        self.calls[function or "text"] += 1
        if function == "analyze_reviews":
            items = [item for item in data_of(body) if isinstance(item, dict) and "id" in item]
            self.items_seen[function] += len(items)
            if any(word in str(item.get("text", "")).lower() for item in items for word in self.blacklist):
                return ChatReply(content="", finish_reason="blacklist")
            return function_reply(function, {"items": [analyse(item, self.verdict) for item in items]})
        if function == "summarize_place":
            self.items_seen[function] += len(data_of(body))
            return function_reply(function, {"summary": PLACE_SUMMARY})
        return ChatReply(content="Работает.")


# --- realistic reviews for tests and the benchmark -------------------------------------------------

CLEAN_REVIEWS = (
    "Очень уютное кафе, персонал вежливый, кофе отличный! Обязательно вернёмся.",
    "Еда вкусная, но обслуживание медленное: ждали официанта сорок минут.",
    "Ужасный сервис, официант хамил, суп принесли холодным. Больше не придём.",
    "Прекрасная экспозиция, интересные экспонаты, экскурсовод рассказывал увлекательно.",
    "Номер чистый, кровать удобная, но завтрак скучный и однообразный.",
    "Цены кусаются, зато десерты просто великолепные и порции большие.",
    "Нормально. Ничего особенного, но и плохого сказать не могу.",
    "Атмосфера приятная, играла живая музыка, вино подобрали отлично.",
    "Грязные столы, в туалете не убрано, персонал равнодушный. Разочарованы.",
    "Выставка понравилась детям, залы просторные, но в гардеробе очередь.",
    "Парковка рядом, от метро пять минут пешком, место удобное.",
    "Заказывали пиццу и пасту — всё свежее и вкусное, спасибо повару!",
    "Отель хороший, персонал на ресепшн внимательный, из окна красивый вид.",
    "Кофе невкусный, круассан чёрствый, а цены как в ресторане.",
    "Были на экскурсии с гидом, очень познавательно, рекомендую всем.",
)
PLACES = ("Кафе «Ромашка»", "Музей янтаря", "Отель «Волна»", "Бар «Сова»")
NAMES = ("Анна", "Игорь", "Мария", "Павел", "Ольга", "Дмитрий")


def sample_reviews(count: int, *, seed: int = 0) -> list[str]:
    """`count` distinct realistic reviews (the clean ones varied by a visit detail)."""
    details = ("Были в субботу.", "Заходили после работы.", "Отмечали день рождения.", "Были с детьми.", "")
    result = []
    for n in range(count):
        base = CLEAN_REVIEWS[(n + seed) % len(CLEAN_REVIEWS)]
        detail = details[(n // len(CLEAN_REVIEWS)) % len(details)]
        result.append(f"{base} {detail} Визит №{n + 1}.".replace("  ", " ").strip())
    return result
