"""What all reviews of one place say together: counts, ratings, tone, top pros and cons, aspects, a summary.

The numbers are counted, never asked for. The 2–3 sentence summary comes from GigaChat map-reduce
style: review digests in chunks → partial summaries → one final summary (a single call when the
reviews fit in one chunk), each call cached and checked for invented numbers. Below three reviews
the summary is «мало данных»; without GigaChat it is written from the counts.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from pydantic import BaseModel, Field

from bot import texts
from bot.core.errors import LLMError
from bot.core.text import lemmas_of
from bot.gigachat.batch import GigaChatGate
from bot.gigachat.client import CallContext, GigaChatClient
from bot.gigachat.functions import FunctionSpec
from bot.gigachat.grounding import grounded
from bot.reviews.analysis import ReviewAnalysis
from bot.reviews.moderation import ASPECTS, SENTIMENTS
from bot.storage.db import Database

log = logging.getLogger(__name__)

PROMPT_VERSION = "place-summary-1"
MIN_REVIEWS = 3
MAP_CHUNK = 30  # review digests per map call
TOP = 5
MAX_PLACE_SUMMARY = 450


@dataclass
class PlaceAggregate:
    """The counted part of a place's reviews."""

    count: int = 0
    stated_average: float | None = None
    estimated_average: float | None = None
    sentiments: Counter[str] = field(default_factory=Counter)
    verdicts: Counter[str] = field(default_factory=Counter)
    top_pros: list[tuple[str, int]] = field(default_factory=list)
    top_cons: list[tuple[str, int]] = field(default_factory=list)
    aspects: dict[str, Counter[str]] = field(default_factory=dict)


@dataclass
class PlaceSummary:
    """Everything `/summary` shows for a place."""

    place: str
    aggregate: PlaceAggregate
    text: str
    source: str  # "llm" | "rules"


def _top(points: Sequence[str]) -> list[tuple[str, int]]:
    """Count similar points (same lemmas) and show each group by its first wording."""
    counts: Counter[tuple[str, ...]] = Counter()
    wording: dict[tuple[str, ...], str] = {}
    for point in points:
        key = tuple(sorted(set(lemmas_of(point))))
        if not key:
            continue
        counts[key] += 1
        wording.setdefault(key, point)
    return [(wording[key], n) for key, n in counts.most_common(TOP)]


def aggregate(analyses: Sequence[ReviewAnalysis]) -> PlaceAggregate:
    """Count what a set of reviews says."""
    result = PlaceAggregate(count=len(analyses))
    if not analyses:
        return result
    stated = [a.stated_rating for a in analyses if a.stated_rating is not None]
    result.stated_average = round(sum(stated) / len(stated), 2) if stated else None
    result.estimated_average = round(sum(a.rating for a in analyses) / len(analyses), 2)
    result.sentiments = Counter(a.sentiment for a in analyses)
    result.verdicts = Counter(a.verdict for a in analyses)
    result.top_pros = _top([p for a in analyses for p in a.pros])
    result.top_cons = _top([c for a in analyses for c in a.cons])
    for name in ASPECTS:
        polarities = Counter(a.aspects[name].polarity for a in analyses if name in a.aspects)
        if polarities:
            result.aspects[name] = polarities
    return result


def _tone(agg: PlaceAggregate) -> str:
    positive, negative = agg.sentiments["positive"], agg.sentiments["negative"]
    if positive and negative and min(positive, negative) / max(positive, negative) >= 0.5:
        return "mixed"
    return max(SENTIMENTS, key=lambda s: (agg.sentiments[s], s == "neutral"))


def template_summary(agg: PlaceAggregate) -> str:
    """The summary from the counts, for when GigaChat cannot help."""
    if agg.count < MIN_REVIEWS:
        return texts.SUMMARY_FEW
    parts = [texts.SUMMARY_TEMPLATE_TONE[_tone(agg)]]
    praised = sorted(agg.aspects, key=lambda a: -agg.aspects[a]["positive"])
    praised = [texts.ASPECT_LABELS[a] for a in praised if agg.aspects[a]["positive"]][:3]
    criticised = sorted(agg.aspects, key=lambda a: -agg.aspects[a]["negative"])
    criticised = [texts.ASPECT_LABELS[a] for a in criticised if agg.aspects[a]["negative"]][:3]
    if praised:
        parts.append(texts.SUMMARY_TEMPLATE_PRAISED.format(items=", ".join(praised)))
    if criticised:
        parts.append(texts.SUMMARY_TEMPLATE_CRITICISED.format(items=", ".join(criticised)))
    return " ".join(parts)


class _SummaryAnswer(BaseModel):
    summary: str = Field(description="2–3 предложения по-русски")


SUMMARY_SPEC = FunctionSpec(
    "summarize_place", "Пишет общую сводку отзывов о месте по их кратким пересказам.", _SummaryAnswer
)


def _digest(analysis: ReviewAnalysis) -> str:
    parts = [analysis.summary if analysis.summary != texts.SUMMARY_FEW else ""]
    if analysis.pros:
        parts.append("плюсы: " + "; ".join(analysis.pros))
    if analysis.cons:
        parts.append("минусы: " + "; ".join(analysis.cons))
    return " ".join(p for p in parts if p)[:400]


class PlaceSummariser:
    """Writes the text summary of a place's reviews with GigaChat (map-reduce), or from the counts."""

    def __init__(self, db: Database, llm: GigaChatClient | None, context: CallContext) -> None:
        self.db = db
        self.context = context
        self.gate = GigaChatGate(llm)
        self.model = llm.model if llm else "offline"

    async def summarise(self, place: str, analyses: Sequence[ReviewAnalysis]) -> PlaceSummary:
        """Count and summarise the reviews of one place."""
        agg = aggregate(analyses)
        if agg.count < MIN_REVIEWS:
            return PlaceSummary(place, agg, texts.SUMMARY_FEW, "rules")
        digests = [d for d in (_digest(a) for a in analyses) if d]
        text = await self._map_reduce(place, digests)
        if text is None:
            return PlaceSummary(place, agg, template_summary(agg), "rules")
        return PlaceSummary(place, agg, text, "llm")

    async def _map_reduce(self, place: str, digests: list[str]) -> str | None:
        if not digests:
            return None
        while len(digests) > MAP_CHUNK:
            partials = []
            for start in range(0, len(digests), MAP_CHUNK):
                partial = await self._summary(place, digests[start : start + MAP_CHUNK])
                if partial is None:
                    return None
                partials.append(partial)
            digests = partials
        return await self._summary(place, digests)

    async def _summary(self, place: str, items: list[str]) -> str | None:
        key = hashlib.sha256(json.dumps([self.model, PROMPT_VERSION, place, items]).encode()).hexdigest()
        cached = await self.db.llm.cache_get([key])
        if key in cached:
            return cached[key]
        if not self.gate.open or self.gate.llm is None:
            return None
        prompt = texts.PLACE_SUMMARY_PROMPT.format(place=place, items=json.dumps(items, ensure_ascii=False))
        try:
            answer = await self.gate.llm.ask_json(
                _SummaryAnswer, SUMMARY_SPEC, prompt=prompt, system=texts.PLACE_SUMMARY_SYSTEM,
                context=self.context, temperature=0.3,
            )  # fmt: skip
        except LLMError as error:
            log.warning("GigaChat summarize_place failed: %s", error.cause.value)
            self.gate.failed(error)
            return None
        self.gate.succeeded()
        text = grounded(answer.summary, {"place": place, "reviews": " ".join(items)})
        if not text:
            return None
        text = text[:MAX_PLACE_SUMMARY]
        await self.db.llm.cache_put({key: text})
        return text
