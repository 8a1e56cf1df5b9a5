"""Review analysis: sentiment, summary, pros and cons, aspects and a moderation verdict.

The rules (`bot.places.category_rules`) read every review first: a clear-cut reject (obscenity, insults, contacts,
ads) costs no GigaChat call. The rest go to GigaChat many per call, and every answer is checked —
values from the fixed sets only, evidence quoted verbatim, at most three pros and cons — and merged
with the rules, which have the last word on what may never be approved. Answers are cached by the
text, so a review already seen costs nothing. When GigaChat is off, refuses a text
(`finish_reason: "blacklist"`) or fails, the rules answer alone and the result says so.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from pydantic import BaseModel, Field

from bot import texts
from bot.gigachat.batch import BatchAsker, BatchOutcome, BatchTask, GigaChatGate, ItemRejected
from bot.gigachat.client import CallContext, GigaChatClient
from bot.gigachat.functions import FunctionSpec
from bot.reviews.learning import Precedent, Precedents, find_precedents
from bot.reviews.moderation import (
    ASPECTS,
    MODEL_REASONS,
    POLARITIES,
    SENTIMENTS,
    VERDICTS,
    RuleAnalysis,
    analyse_review,
    mask_for_card,
    mask_personal_data,
    ordered_reasons,
    rating_contradicts,
    verdict_for,
    with_stated,
)
from bot.reviews.sentiment import LITTLE_DATA, MAX_EVIDENCE, MAX_POINTS, MAX_SUMMARY, MIN_WORDS_FOR_SUMMARY, AspectHit
from bot.storage.db import Database

log = logging.getLogger(__name__)

PROMPT_VERSION = "reviews-2"
REVIEW_CHUNK = 25  # reviews per GigaChat call
UNHELPED = '{"unhelped": true}'  # cached: GigaChat answered, but not usably, for this text
BLACKLISTED = '{"blacklisted": true}'  # cached: GigaChat's content filter refuses this text
MAX_TEXT_IN_PROMPT = 1500
MAX_POINT = 150
SPLIT_BUDGET = 8  # extra calls a run may spend to find the one review GigaChat refuses in a chunk
MIN_FAKE_LENGTH = 30  # the same text twice in one file is suspicious only when it says something
SEVERITY = {verdict: n for n, verdict in enumerate(VERDICTS)}

Progress = Callable[[int], Awaitable[None]]


@dataclass(frozen=True)
class ReviewInput:
    """One review to analyse and what the source says about it."""

    text: str
    stated_rating: int | None = None
    place: str | None = None
    author: str | None = None
    date: str | None = None


@dataclass
class ReviewAnalysis:
    """The full answer for one review; `to_json` gives the stable JSONL object."""

    index: int
    text: str
    sentiment: str
    score: float
    rating: int
    summary: str
    pros: list[str]
    cons: list[str]
    aspects: dict[str, AspectHit]
    verdict: str
    reasons: list[str]
    masked_text: str
    source: str  # "llm" | "rules"
    stated_rating: int | None = None
    note: str | None = None
    text_sentiment: str | None = None  # the text's own sentiment (equal to `sentiment` without a stated rating)
    similar_to: int | None = None  # the rejected review this one resembles («похоже на отклонённый отзыв №N»)

    def to_json(self) -> dict[str, Any]:
        """The stable JSONL object (field names are a contract with other tools)."""
        return {
            "index": self.index,
            "text": self.text,
            "sentiment": self.sentiment,
            "score": self.score,
            "rating": self.rating,
            "summary": self.summary,
            "pros": list(self.pros),
            "cons": list(self.cons),
            "aspects": {k: {"polarity": v.polarity, "evidence": v.evidence} for k, v in self.aspects.items()},
            "verdict": self.verdict,
            "reasons": list(self.reasons),
            "masked_text": self.masked_text,
            "source": self.source,
            "stated_rating": self.stated_rating,
            "text_sentiment": self.text_sentiment or self.sentiment,
        }

    def dump(self) -> str:
        """JSON for the `analysis` column (the stable fields plus the note)."""
        data = {**self.to_json(), "note": self.note, "similar_to": self.similar_to}
        return json.dumps(data, ensure_ascii=False)

    @classmethod
    def load(cls, raw: str) -> ReviewAnalysis:
        """Read back what `dump` wrote."""
        data = json.loads(raw)
        aspects = {k: AspectHit(v["polarity"], v["evidence"]) for k, v in data.get("aspects", {}).items()}
        return cls(
            index=int(data.get("index", 0)), text=data["text"], sentiment=data["sentiment"],
            score=float(data["score"]), rating=int(data["rating"]), summary=data["summary"],
            pros=list(data.get("pros", [])), cons=list(data.get("cons", [])), aspects=aspects,
            verdict=data["verdict"], reasons=list(data.get("reasons", [])), masked_text=data["masked_text"],
            source=data["source"], stated_rating=data.get("stated_rating"), note=data.get("note"),
            text_sentiment=data.get("text_sentiment"), similar_to=data.get("similar_to"),
        )  # fmt: skip


# --- GigaChat answer schema (closed lists as enums; every item is checked by `clean_item`) ----------


class _AspectItem(BaseModel):
    name: str = Field(description="аспект", json_schema_extra={"enum": list(ASPECTS)})
    polarity: str = Field(description="тональность аспекта", json_schema_extra={"enum": list(POLARITIES)})
    evidence: str = Field(description="короткая дословная цитата из этого отзыва")


class _ReviewItem(BaseModel):
    id: int = Field(description="id отзыва из данных")
    echo: str = Field(description="первые три слова отзыва, дословно")
    sentiment: str = Field(description="тональность", json_schema_extra={"enum": list(SENTIMENTS)})
    rating: int = Field(description="оценка по тексту от 1 до 5")
    summary: str = Field(description="нейтральный пересказ до 250 символов или «мало данных»")
    pros: list[str] = Field(description="до 3 плюсов")
    cons: list[str] = Field(description="до 3 минусов")
    aspects: list[_AspectItem] = Field(description="только упомянутые аспекты")
    verdict: str = Field(description="решение модерации", json_schema_extra={"enum": list(VERDICTS)})
    reasons: list[str] = Field(
        description="причины решения", json_schema_extra={"items": {"type": "string", "enum": list(MODEL_REASONS)}}
    )
    personal_data: list[str] = Field(description="дословные фрагменты с личными данными частных лиц")


class _ReviewAnswer(BaseModel):
    items: list[_ReviewItem] = Field(description="ровно один элемент на каждый id из данных")


REVIEW_SPEC = FunctionSpec(
    "analyze_reviews", "Разбирает каждый отзыв из данных и выносит решение модерации.", _ReviewAnswer
)
_NEAR = {
    "положительная": "positive", "положительный": "positive", "нейтральная": "neutral", "нейтральный": "neutral",
    "отрицательная": "negative", "отрицательный": "negative", "смешанная": "mixed", "смешанный": "mixed",
    "needs review": "needs_review", "needs-review": "needs_review", "review": "needs_review",
}  # fmt: skip


def _closed(value: Any, allowed: Sequence[str]) -> str | None:
    """A closed-list value with stray case, spaces or a Russian name repaired; None when it is not one."""
    if not isinstance(value, str):
        return None
    key = " ".join(value.split()).lower()
    key = _NEAR.get(key, key).replace(" ", "_")
    return key if key in allowed else None


def text_hash(text: str) -> str:
    """The identity of a review's text: whitespace and case do not make a new review."""
    return hashlib.sha256(" ".join(text.lower().split()).encode()).hexdigest()


def cache_key(model: str, text: str) -> str:
    """Where GigaChat's checked answer for a text is cached."""
    raw = json.dumps([model, PROMPT_VERSION, "review", text_hash(text)], ensure_ascii=False)
    return hashlib.sha256(raw.encode()).hexdigest()


def _cut(text: str, limit: int) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0]
    return cut + "…"


def _verbatim(evidence: str, text: str) -> str | None:
    """The evidence as it stands in the review (case may differ), or None when it is not there."""
    evidence = evidence.strip().strip("«»\"'")
    if not evidence:
        return None
    if evidence in text:
        found = evidence
    else:
        start = text.lower().find(evidence.lower())
        if start < 0:
            return None
        found = text[start : start + len(evidence)]
    return found if len(found) <= MAX_EVIDENCE else found[:MAX_EVIDENCE].rsplit(" ", 1)[0]


def _points(values: Sequence[str]) -> list[str]:
    cleaned = [_cut(v, MAX_POINT) for v in values if isinstance(v, str) and v.strip()]
    return list(dict.fromkeys(cleaned))[:MAX_POINTS]


def _score(sentiment: str, rating: int) -> float:
    """The -1..1 score, from the model's sentiment and rating (asking for it too cost tokens, said nothing new)."""
    base = (rating - 3) / 2
    if sentiment == "positive":
        return max(base, 0.3)
    if sentiment == "negative":
        return min(base, -0.3)
    return 0.0 if sentiment == "neutral" else round(base / 2, 2)


def _aspects(raw: Any, text: str, others: Sequence[str]) -> dict[str, dict[str, str]]:
    """Aspects with evidence quoted from this very text; a quote from a neighbour means misalignment."""
    aspects: dict[str, dict[str, str]] = {}
    for aspect in raw if isinstance(raw, list) else []:
        if not isinstance(aspect, dict):
            continue
        name, polarity = _closed(aspect.get("name"), ASPECTS), _closed(aspect.get("polarity"), POLARITIES)
        quote = _text(aspect.get("evidence"))
        evidence = _verbatim(quote, text)
        if evidence is None and len(quote.strip()) >= 8 and any(_verbatim(quote, other) for other in others):
            raise ItemRejected("evidence is quoted from another review", misaligned=True)
        if name and polarity and evidence and name not in aspects:
            aspects[name] = {"polarity": polarity, "evidence": evidence}
    return aspects


def clean_item(item: dict[str, Any], text: str, others: Sequence[str] = ()) -> dict[str, Any]:
    """GigaChat's answer for one review, checked and trimmed; raises ItemRejected when it cannot be used."""
    sentiment, verdict = _closed(item.get("sentiment"), SENTIMENTS), _closed(item.get("verdict"), VERDICTS)
    rating = item.get("rating")
    if sentiment is None or verdict is None:
        raise ItemRejected(f"sentiment {item.get('sentiment')!r} / verdict {item.get('verdict')!r} not in the lists")
    if isinstance(rating, bool) or not isinstance(rating, int | float) or not 1 <= rating <= 5:
        raise ItemRejected(f"rating {rating!r}")
    aspects = _aspects(item.get("aspects"), text, [o for o in others if o != text])
    summary = _text(item.get("summary"))
    summary = _cut(summary, MAX_SUMMARY) if summary.strip() else ""
    if len(re.findall(r"\w+", text)) < MIN_WORDS_FOR_SUMMARY:
        summary = LITTLE_DATA
    reasons = [r for r in (_closed(r, MODEL_REASONS) for r in _strings(item.get("reasons"))) if r]
    return {
        "sentiment": sentiment,
        "score": _score(sentiment, round(rating)),
        "rating": round(rating),
        "summary": summary,
        "pros": _points(_strings(item.get("pros"))),
        "cons": _points(_strings(item.get("cons"))),
        "aspects": aspects,
        "verdict": verdict,
        "reasons": ordered_reasons(list(dict.fromkeys(reasons))),
        "personal_data": [p for p in _strings(item.get("personal_data")) if p.strip() and p in text],
    }


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _masked(analysis: ReviewAnalysis, extra: Sequence[str] = ()) -> ReviewAnalysis:
    """Every field of a card with personal data and obscenity masked (the original text stays for moderators)."""
    analysis.summary = mask_for_card(analysis.summary, extra)
    analysis.pros = [mask_for_card(p, extra) for p in analysis.pros]
    analysis.cons = [mask_for_card(c, extra) for c in analysis.cons]
    analysis.aspects = {k: AspectHit(v.polarity, mask_for_card(v.evidence, extra)) for k, v in analysis.aspects.items()}
    return analysis


def from_rules(index: int, text: str, rules: RuleAnalysis, note: str | None) -> ReviewAnalysis:
    """The answer the rules alone give."""
    return _masked(ReviewAnalysis(
        index=index, text=text, sentiment=rules.sentiment, score=rules.score, rating=rules.rating,
        summary=rules.summary, pros=rules.pros, cons=rules.cons, aspects=rules.aspects, verdict=rules.verdict,
        reasons=rules.reasons, masked_text=rules.masked_text, source="rules", stated_rating=rules.stated_rating,
        note=note, text_sentiment=rules.text_sentiment,
    ))  # fmt: skip


def merge(index: int, text: str, answer: dict[str, Any], rules: RuleAnalysis) -> ReviewAnalysis:
    """GigaChat's checked answer with the rules on top: their findings stay, their "never approve" holds."""
    reasons = set(answer["reasons"]) | {r for r in rules.reasons if r != "rating_mismatch"}
    if rating_contradicts(rules.stated_rating, answer["score"], answer["sentiment"]):
        reasons.add("rating_mismatch")
    if answer["personal_data"]:
        reasons.add("personal_data")
    ordered = ordered_reasons(list(reasons))
    model_verdict = answer["verdict"]
    if model_verdict == "reject" and not answer["reasons"]:
        model_verdict = "needs_review"  # a reject the model cannot explain goes to a person
    # The rules' own verdict is not taken as is: their lexicon-based rating check gave way to the model's.
    verdict = max(model_verdict, verdict_for(ordered, rules.findings), key=SEVERITY.__getitem__)
    if rules.never_approve and verdict == "approve":
        verdict = "reject"
    aspects = {k: AspectHit(v["polarity"], v["evidence"]) for k, v in answer["aspects"].items()}
    sentiment, score, rating = with_stated(answer["sentiment"], answer["score"], answer["rating"], rules.stated_rating)
    analysis = ReviewAnalysis(
        index=index, text=text, sentiment=sentiment, score=score, rating=rating,
        summary=answer["summary"] or rules.summary, pros=answer["pros"], cons=answer["cons"], aspects=aspects,
        verdict=verdict, reasons=ordered, masked_text=mask_personal_data(text, answer["personal_data"]),
        source="llm", stated_rating=rules.stated_rating, text_sentiment=answer["sentiment"],
    )  # fmt: skip
    return _masked(analysis, answer["personal_data"])


def _flag_duplicates(inputs: Sequence[ReviewInput], rules: list[RuleAnalysis]) -> None:
    """The same substantial text several times in one batch looks like a fake: a person should look."""
    counts = Counter(text_hash(r.text) for r in inputs if len(r.text.strip()) >= MIN_FAKE_LENGTH)
    for n, review in enumerate(inputs):
        if counts.get(text_hash(review.text), 0) > 1 and "suspected_fake" not in rules[n].reasons:
            reasons = ordered_reasons([*rules[n].reasons, "suspected_fake"])
            rules[n] = replace(rules[n], reasons=reasons, verdict=verdict_for(reasons, rules[n].findings))


@dataclass
class _Run:
    """The state of one `analyse` call."""

    inputs: Sequence[ReviewInput]
    rules: list[RuleAnalysis]
    results: dict[int, ReviewAnalysis] = field(default_factory=dict)
    notes: dict[int, str] = field(default_factory=dict)
    precedents: Precedents = field(default_factory=Precedents)


def _hold_like_rejected(analysis: ReviewAnalysis, rejected_id: int) -> None:
    """A review like one a moderator rejected is never approved on its own: a person looks first."""
    analysis.reasons = ordered_reasons([*analysis.reasons, "like_rejected"])
    analysis.similar_to = rejected_id
    analysis.verdict = max(analysis.verdict, "needs_review", key=SEVERITY.__getitem__)


def _with_examples(task: BatchTask[dict[str, Any]], examples: Sequence[Precedent]) -> BatchTask[dict[str, Any]]:
    """The task with the closest past decisions of the moderators as examples for GigaChat."""
    shown = [
        texts.REVIEWS_EXAMPLE.format(
            text=_cut(p.text, 200),
            decision=", ".join([texts.REVIEWS_EXAMPLE_DECISIONS[p.status], *p.reasons[:2]]),
        )
        for p in examples
        if p.status in texts.REVIEWS_EXAMPLE_DECISIONS
    ]
    if not shown:
        return task
    return replace(task, instruction=task.instruction + "\n" + texts.REVIEWS_EXAMPLES.format(examples="\n".join(shown)))


def _check_review(
    item: dict[str, Any], source: Mapping[str, Any], batch: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    return clean_item(item, str(source["text"]), [str(other["text"]) for other in batch])


class ReviewAnalyser:
    """Analyses reviews: rules first, then GigaChat in cached batches, then the rules' check."""

    def __init__(self, db: Database, llm: GigaChatClient | None, context: CallContext) -> None:
        self.db = db
        self.context = context
        self.gate = GigaChatGate(llm)
        self.model = llm.model if llm else "offline"
        self.task = BatchTask(
            REVIEW_SPEC, texts.REVIEWS_SYSTEM, texts.REVIEWS_PROMPT, _check_review, 260, echo_field="text"
        )

    @property
    def last_error(self) -> str | None:
        """The message of the last GigaChat failure, if any."""
        return self.gate.last_error.message if self.gate.last_error else None

    @property
    def llm_note(self) -> str | None:
        """Why GigaChat was not (or no longer) used, for the end of a report."""
        if self.gate.llm is None:
            return texts.REVIEWS_NO_LLM
        if self.gate.stop_reason:
            return texts.REVIEWS_LLM_STOPPED.format(reason=self.last_error or "")
        return None

    async def analyse(self, inputs: Sequence[ReviewInput], progress: Progress | None = None) -> list[ReviewAnalysis]:
        """Analyse reviews in order; `progress` hears how many are done."""
        # Pure CPU work (about a millisecond a review): off the loop, so a big file never stalls the bot.
        rules = await asyncio.to_thread(lambda: [analyse_review(r.text, stated=r.stated_rating) for r in inputs])
        _flag_duplicates(inputs, rules)
        precedents = await find_precedents(self.db, [r.text for r in inputs])
        run = _Run(inputs, rules, precedents=precedents)
        pending: list[int] = []
        for n, rule in enumerate(rules):
            if rule.clear_cut:
                run.results[n] = from_rules(n, inputs[n].text, rule, texts.REVIEWS_NOTE_CLEAR_CUT)
            else:
                pending.append(n)
        pending = await self._from_cache(run, pending)
        if pending and self.gate.open:
            await self._ask(run, pending, progress)
        for n in range(len(inputs)):
            if n not in run.results:
                note = run.notes.get(n) or self._fallback_note()
                run.results[n] = from_rules(n, inputs[n].text, rules[n], note)
            if n in precedents.like_rejected:
                _hold_like_rejected(run.results[n], precedents.like_rejected[n])
        if progress is not None:
            await progress(len(inputs))
        return [run.results[n] for n in range(len(inputs))]

    def _fallback_note(self) -> str:
        if self.gate.llm is None:
            return texts.REVIEWS_NOTE_OFFLINE
        return texts.REVIEWS_NOTE_FAILED.format(reason=(self.last_error or texts.REVIEWS_NOTE_INVALID).rstrip(". "))

    async def _from_cache(self, run: _Run, pending: list[int]) -> list[int]:
        if not pending or self.gate.llm is None:
            return pending
        keys = {n: cache_key(self.model, run.inputs[n].text) for n in pending}
        cached = await self.db.llm.cache_get(sorted(set(keys.values())))
        left = []
        for n in pending:
            raw = cached.get(keys[n])
            if raw is None:
                left.append(n)
            else:
                self._take(run, n, json.loads(raw))
        return left

    def _take(self, run: _Run, n: int, answer: dict[str, Any]) -> None:
        """A final decision, fresh or cached: GigaChat's checked answer, a refusal, or "could not help"."""
        text, rule = run.inputs[n].text, run.rules[n]
        if answer.get("blacklisted"):
            verdict = max(rule.verdict, "needs_review", key=SEVERITY.__getitem__)
            note = texts.REVIEWS_NOTE_BLACKLISTED
            run.results[n] = from_rules(n, text, replace(rule, verdict=verdict), note)
        elif answer.get("unhelped"):
            run.results[n] = from_rules(n, text, rule, texts.REVIEWS_NOTE_UNHELPED)
        else:
            run.results[n] = merge(n, text, answer, rule)

    async def _ask(self, run: _Run, pending: list[int], progress: Progress | None) -> None:
        """GigaChat for the reviews the rules and the cache did not settle; every final decision is cached."""
        inputs = {n: {"text": run.inputs[n].text[:MAX_TEXT_IN_PROMPT]} for n in pending}
        done_before = len(run.inputs) - len(pending)

        async def report(done: int) -> None:
            if progress is not None:
                await progress(done_before + done)

        task = _with_examples(self.task, run.precedents.examples)
        asker: BatchAsker[int, dict[str, Any]] = BatchAsker(self.gate, task, self.context, split_budget=SPLIT_BUDGET)
        outcome: BatchOutcome[int, dict[str, Any]] = await asker.run(inputs, REVIEW_CHUNK, progress=report)
        fresh: dict[str, str] = {}
        for n, checked in outcome.results.items():
            fresh[cache_key(self.model, run.inputs[n].text)] = json.dumps(checked, ensure_ascii=False)
        for n in outcome.refused:
            fresh[cache_key(self.model, run.inputs[n].text)] = BLACKLISTED
        for n in outcome.unhelped:
            fresh[cache_key(self.model, run.inputs[n].text)] = UNHELPED
        for n in pending:
            raw = fresh.get(cache_key(self.model, run.inputs[n].text))
            if raw is not None:
                self._take(run, n, json.loads(raw))
        if fresh:
            await self.db.llm.cache_put(fresh)
