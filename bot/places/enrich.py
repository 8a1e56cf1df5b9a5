"""Categories and descriptions for places: cheapest source first, GigaChat in batches, cached.

Category: the file's own value (value memory → taxonomy synonyms → GigaChat for unknown values)
→ keyword rules on the name and texts → GigaChat with the closed list of keys, many places per
call → below the threshold `other`, flagged for review. Description: GigaChat, several places per
call, grounded in the row's own facts and checked for invented numbers and superlatives; a short
template from the facts when GigaChat cannot help. Every final decision is cached by model +
prompt version + input — including "GigaChat answered but could not help" — so the same place
never costs a second call; only calls that got no answer at all (errors) are not remembered.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, Field, create_model

from bot import texts
from bot.core.tasks import gather_or_cancel
from bot.gigachat.batch import BatchAsker, BatchOutcome, BatchTask, GigaChatGate, ItemRejected, confidence
from bot.gigachat.client import CallContext, GigaChatClient
from bot.gigachat.functions import FunctionSpec
from bot.gigachat.grounding import grounded
from bot.places.category_rules import CONTEXT_CONFIDENCE, FileContext, guess_category
from bot.places.normalize import Place
from bot.places.taxonomy import CategoryMatch, Taxonomy
from bot.storage.db import Database

log = logging.getLogger(__name__)

PROMPT_VERSION = "places-2"
CATEGORY_CHUNK = 80
VALUE_CHUNK = 50
DESCRIPTION_CHUNK = 15
REVIEW_THRESHOLD = 0.5
MAX_DESCRIPTION = 400
MAX_TEXT_FOR_CATEGORY = 200
UNHELPED = json.dumps({"unhelped": True})  # cached: GigaChat answered, but not usably, for this input
Ready = Callable[[dict[int, "CategoryResult"]], Awaitable[None]]
SOURCE_LLM_FAILED = "llm_failed"  # category_source of rows GigaChat answered for but could not help with
SOURCE_CONTEXT = "context"  # nothing placed the row; the file's name or its other rows suggest a category
_DECIDERS = {"file": "file", "memory": "file", "rules": "rules", "llm": "llm", SOURCE_CONTEXT: "context"}


def decided_by(source: str | None) -> str:
    """Who decided a row's category, for the summaries: file, rules, llm, context or none."""
    return _DECIDERS.get(source or "", "none")


__all__ = ["CategoryResult", "DescriptionResult", "Enricher", "GigaChatGate", "decided_by", "template_description"]


@dataclass
class CategoryResult:
    """The category of one place and where it came from."""

    category: str
    subcategory: str | None
    source: str | None  # "file" | "memory" | "rules" | "llm" | "llm_failed" | "context" | None (nothing)
    confidence: float
    review: bool = False


@dataclass
class DescriptionResult:
    """A written description and where it came from ("llm" or "rules" for the template)."""

    text: str
    source: str


# --- function definitions -------------------------------------------------------------------------


@functools.cache
def category_spec(keys: tuple[str, ...]) -> FunctionSpec:
    """`classify_places` with the taxonomy's keys as a closed list (built once per taxonomy)."""
    item = create_model(
        "CategoryItem",
        id=(int, Field(description="id из данных")),
        echo=(str, Field(description="первые два слова названия (или типа) из данных, дословно")),
        category=(str, Field(description="ключ из списка", json_schema_extra={"enum": list(keys)})),
        confidence=(float, Field(description="уверенность от 0 до 1")),
    )
    answer = create_model(
        "CategoryAnswer", items=(list[item], Field(description="ровно один элемент на каждый id из данных"))
    )
    example = {"items": [{"id": 1, "echo": "Кофейня «Зерно»", "category": "food/coffee", "confidence": 0.9}]}
    return FunctionSpec(
        "classify_places",
        "Присваивает каждому месту из данных один ключ категории из закрытого списка.",
        answer,
        ((texts.CATEGORY_EXAMPLE, json.dumps(example, ensure_ascii=False)),),
    )


class _DescriptionItem(BaseModel):
    id: int = Field(description="id из данных")
    echo: str = Field(description="первые два слова названия из данных, дословно")
    description: str = Field(description="2–3 предложения по-русски, не длиннее 400 символов")


class _DescriptionAnswer(BaseModel):
    items: list[_DescriptionItem] = Field(description="ровно один элемент на каждый id из данных")


DESCRIPTION_SPEC = FunctionSpec(
    "describe_places",
    "Пишет короткое описание каждого места для каталога только по фактам из данных.",
    _DescriptionAnswer,
)


def _cache_key(model: str, task: str, payload: Any) -> str:
    raw = json.dumps([model, PROMPT_VERSION, task, payload], ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(raw.encode()).hexdigest()


def _category_input(place: Place) -> dict[str, str]:
    data = {
        "name": place.name or "",
        "type": " / ".join(v for v in (place.category, place.subcategory) if v),
        "description": " ".join((place.description or "").split())[:MAX_TEXT_FOR_CATEGORY],
    }
    return {k: v for k, v in data.items() if v}


def _description_input(place: Place, category_label: str) -> dict[str, str]:
    data = {
        "name": place.name or "",
        "category": category_label,
        "address": ", ".join(v for v in (place.city, place.address) if v),
        "working_hours": place.working_hours or "",
        "price": place.price or "",
        "notes": (place.notes or "")[:300],
    }
    for header, value in list(place.extra.items())[:5]:
        data[f"extra: {header}"[:60]] = str(value)[:120]
    return {k: v for k, v in data.items() if v}


class Enricher:
    """Categories and descriptions for batches of places within one job."""

    def __init__(
        self,
        db: Database,
        llm: GigaChatClient | None,
        taxonomy: Taxonomy,
        context: CallContext,
        file_context: FileContext | None = None,
    ) -> None:
        self.db = db
        self.file_context = file_context or FileContext()
        self.taxonomy = taxonomy
        self.context = context
        self.gate = GigaChatGate(llm)
        self.model = llm.model if llm else "offline"
        spec = category_spec(tuple(taxonomy.all_keys()))
        check = self._check_category
        self._places_task = BatchTask(spec, texts.DATA_NOT_INSTRUCTIONS, texts.CATEGORY_PLACES_PROMPT, check, 30)
        self._values_task = BatchTask(
            spec, texts.DATA_NOT_INSTRUCTIONS, texts.CATEGORY_VALUES_PROMPT, check, 30, echo_field="type"
        )
        self._describe_task = BatchTask(
            DESCRIPTION_SPEC, texts.DATA_NOT_INSTRUCTIONS, texts.DESCRIPTION_PROMPT, _check_description, 220, None
        )

    def _asker(self, task: BatchTask[Any]) -> BatchAsker[Any, Any]:
        return BatchAsker(self.gate, task, self.context)

    def _check_category(
        self, item: dict[str, Any], _source: Mapping[str, Any], _batch: Sequence[Mapping[str, Any]]
    ) -> tuple[str, str | None, float]:
        value = item.get("category")
        found = self.taxonomy.resolve_key(value) if isinstance(value, str) else None
        if found is None:
            raise ItemRejected(f"category {value!r} is not in the taxonomy")
        return found[0], found[1], confidence(item.get("confidence"))

    # --- categories ------------------------------------------------------------------------------

    async def categories(
        self,
        places: dict[int, Place],
        hints: dict[int, CategoryMatch | None] | None = None,
        on_ready: Ready | None = None,
    ) -> dict[int, CategoryResult]:
        """Assign a category to every place (keys are row numbers); `hints` are keyword guesses made earlier.

        `on_ready` hears each group of final categories as soon as it is known (the rules' at once,
        GigaChat's per answered batch), so descriptions can be asked while other batches still run.
        """
        results: dict[int, CategoryResult] = {}
        from_file = await self._from_file_values(places)
        results.update(from_file)
        pending: dict[int, Place] = {}
        hints = hints or {}
        for row, place in places.items():
            if row in results:
                continue
            if row in hints:
                match = hints[row]
            else:
                match = guess_category(self.taxonomy, name=place.name or "", description=place.description)
            if match is not None:
                results[row] = CategoryResult(match.category, match.subcategory, "rules", match.confidence)
            else:
                pending[row] = place

        async def ready(found: dict[int, CategoryResult]) -> None:
            results.update(found)
            for result in found.values():
                self.file_context.learn(result.category, result.subcategory, result.confidence)
            if on_ready is not None and found:
                await on_ready(found)

        await ready(dict(results))
        await self._from_llm(pending, ready)
        await ready({row: self._undecided() for row in places if row not in results})
        return results

    def _undecided(self) -> CategoryResult:
        """Nothing placed the row: the file's own context if it says something, always to be checked."""
        prior = self.file_context.prior()
        if prior is None:
            return CategoryResult("other", None, None, 0.0, review=True)
        return CategoryResult(prior[0], prior[1], SOURCE_CONTEXT, CONTEXT_CONFIDENCE, review=True)

    async def _from_file_values(self, places: dict[int, Place]) -> dict[int, CategoryResult]:
        values = {row: " / ".join(v for v in (p.category, p.subcategory) if v) for row, p in places.items()}
        values = {row: v for row, v in values.items() if v}
        if not values:
            return {}
        distinct = sorted(set(values.values()))
        remembered = await self.db.memory.recall_values("category", distinct)
        resolved: dict[str, tuple[str, str | None, str]] = {}
        for value in distinct:
            if value in remembered:
                category, _, subcategory = remembered[value].partition("/")
                if self.taxonomy.is_valid(category, subcategory or None):
                    resolved[value] = (category, subcategory or None, "memory")
                    continue
            match = self.taxonomy.match_value(value)
            if match is not None and match.confidence >= REVIEW_THRESHOLD:
                resolved[value] = (match.category, match.subcategory, "file")
        unknown = [v for v in distinct if v not in resolved]
        resolved.update(await self._values_from_llm(unknown))
        learned = {v: f"{c}/{s}" if s else c for v, (c, s, src) in resolved.items() if src != "memory"}
        if learned:
            await self.db.memory.remember_values("category", learned)
        return {
            row: CategoryResult(resolved[v][0], resolved[v][1], "file" if resolved[v][2] != "memory" else "memory", 0.9)
            for row, v in values.items()
            if v in resolved
        }

    async def _values_from_llm(self, values: list[str]) -> dict[str, tuple[str, str | None, str]]:
        """A file's own type values GigaChat maps onto our keys; a value it could not place is remembered too."""
        if not values:
            return {}
        keys = {v: _cache_key(self.model, "category_value", v) for v in values}
        cached = await self.db.llm.cache_get(list(keys.values()))
        ask = {v: {"type": v} for v in values if keys[v] not in cached}
        outcome: BatchOutcome[str, tuple[str, str | None, float]] = await self._asker(self._values_task).run(
            ask, VALUE_CHUNK
        )
        fresh = {keys[v]: _category_json(*answer) for v, answer in outcome.results.items()}
        fresh.update({keys[v]: UNHELPED for v in outcome.unhelped | outcome.refused})
        if fresh:
            await self.db.llm.cache_put(fresh)
        resolved: dict[str, tuple[str, str | None, str]] = {}
        for value in values:
            raw = fresh.get(keys[value]) or cached.get(keys[value])
            data = json.loads(raw) if raw else {}
            if data.get("category") and data["confidence"] >= REVIEW_THRESHOLD:
                resolved[value] = (data["category"], data.get("subcategory"), "file")
        return resolved

    async def _from_llm(self, pending: dict[int, Place], ready: Ready) -> None:
        """GigaChat for what the rules could not place: cached answers at once, then batches side by side."""
        if not pending:
            return
        inputs = {row: _category_input(p) for row, p in pending.items()}
        keys = {row: _cache_key(self.model, "category", data) for row, data in inputs.items()}
        cached = await self.db.llm.cache_get(list(set(keys.values())))
        await ready({row: self._decided(cached[keys[row]]) for row in pending if keys[row] in cached})
        ask = [row for row in pending if keys[row] not in cached]
        asker: BatchAsker[int, tuple[str, str | None, float]] = self._asker(self._places_task)

        async def batch(rows: list[int]) -> None:
            outcome = await asker.run({row: inputs[row] for row in rows}, CATEGORY_CHUNK)
            fresh = {keys[row]: _category_json(*answer) for row, answer in outcome.results.items()}
            fresh.update({keys[row]: UNHELPED for row in outcome.unhelped | outcome.refused})
            if fresh:
                await self.db.llm.cache_put(fresh)
            # rows with no answer at all are left to the caller's fallback: GigaChat may work next time
            await ready({row: self._decided(fresh[keys[row]]) for row in rows if keys[row] in fresh})

        chunks = [ask[start : start + CATEGORY_CHUNK] for start in range(0, len(ask), CATEGORY_CHUNK)]
        await gather_or_cancel(batch(chunk) for chunk in chunks)

    def _decided(self, raw: str) -> CategoryResult:
        """A cached final decision: GigaChat's category, or "could not help" left to a person."""
        data = json.loads(raw)
        if data.get("unhelped"):
            return CategoryResult("other", None, SOURCE_LLM_FAILED, 0.0, review=True)
        return self._llm_result(data["category"], data.get("subcategory"), data["confidence"])

    def _llm_result(self, category: str, subcategory: str | None, confidence: float) -> CategoryResult:
        if confidence < REVIEW_THRESHOLD:
            return CategoryResult("other", None, "llm", confidence, review=True)
        return CategoryResult(category, subcategory, "llm", confidence)

    # --- descriptions ----------------------------------------------------------------------------

    async def descriptions(self, places: dict[int, tuple[Place, str]]) -> dict[int, DescriptionResult]:
        """Write descriptions for places (row → (place, category label)); template where GigaChat fails."""
        inputs = {row: _description_input(place, label) for row, (place, label) in places.items()}
        keys = {row: _cache_key(self.model, "description", data) for row, data in inputs.items()}
        cached = await self.db.llm.cache_get(list(set(keys.values()))) if places else {}
        ask = {row: inputs[row] for row in places if keys[row] not in cached}
        outcome: BatchOutcome[int, str] = await self._asker(self._describe_task).run(ask, DESCRIPTION_CHUNK)
        fresh = {keys[row]: json.dumps({"text": text}, ensure_ascii=False) for row, text in outcome.results.items()}
        fresh.update({keys[row]: UNHELPED for row in outcome.unhelped | outcome.refused})
        if fresh:
            await self.db.llm.cache_put(fresh)
        results: dict[int, DescriptionResult] = {}
        for row, (place, label) in places.items():
            raw = fresh.get(keys[row]) or cached.get(keys[row])
            text = json.loads(raw).get("text") if raw else None
            if text:
                results[row] = DescriptionResult(text, "llm")
            else:
                results[row] = DescriptionResult(template_description(place, label), "rules")
        return results


def _category_json(category: str, subcategory: str | None, confidence: float) -> str:
    return json.dumps({"category": category, "subcategory": subcategory, "confidence": confidence})


def _check_description(item: dict[str, Any], source: Mapping[str, Any], _batch: Sequence[Mapping[str, Any]]) -> str:
    text = item.get("description")
    facts = {k: str(v) for k, v in source.items() if k != "id"}
    written = grounded(text, facts) if isinstance(text, str) else None
    if not written:
        raise ItemRejected("no grounded sentence in the description")
    return written


def template_description(place: Place, label: str) -> str:
    """A plain description from the row's facts, for when GigaChat cannot write one."""
    name = place.name or ""
    if not any(q in name for q in '«»"'):
        name = f"«{name}»"
    kind = label.split(" / ")[-1].lower()
    parts = [f"{name} — {kind}" + (f" по адресу: {place.address}" if place.address else "") + "."]
    if place.working_hours:
        parts.append(f"Часы работы: {place.working_hours}.")
    text = " ".join(parts)
    return text if len(text) <= MAX_DESCRIPTION else text[: MAX_DESCRIPTION - 1] + "…"
