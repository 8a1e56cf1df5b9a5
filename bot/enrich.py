"""Categories and descriptions for places: cheapest source first, GigaChat in batches, cached.

Category: the file's own value (value memory → taxonomy synonyms → GigaChat for unknown values)
→ keyword rules on the name and texts → GigaChat with the closed list of keys, many places per
call → below the threshold `other`, flagged for review. Description: GigaChat, several places per
call, grounded in the row's own facts and checked for invented numbers and superlatives; a short
template from the facts when GigaChat cannot help. Every answer is cached by model + prompt
version + input, so the same place never costs a second call.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel, Field

from bot import texts
from bot.errors import Cause, LLMError
from bot.llm import CallContext, GigaChatClient
from bot.normalize import Place
from bot.rules import guess_category
from bot.storage import Database
from bot.taxonomy import CategoryMatch, Taxonomy

log = logging.getLogger(__name__)

PROMPT_VERSION = "places-1"
CATEGORY_CHUNK = 25
VALUE_CHUNK = 50
DESCRIPTION_CHUNK = 8
REVIEW_THRESHOLD = 0.5
MAX_DESCRIPTION = 400
# After these, GigaChat will not work for the rest of the job: say so once and use the rules.
STOP_CAUSES = frozenset(
    {
        Cause.PAYMENT_REQUIRED, Cause.AUTH_REJECTED, Cause.SCOPE_MISMATCH, Cause.KEY_UNDECODABLE, Cause.FORBIDDEN,
        Cause.TLS_UNTRUSTED, Cause.MODEL_NOT_FOUND, Cause.BAD_SCOPE, Cause.MISSING_CREDENTIALS,
    }
)  # fmt: skip
MAX_FAILED_CHUNKS_IN_A_ROW = 3
SUPERLATIVES = re.compile(r"\b(лучш\w*|сам(ый|ая|ое|ые|ого|ой)|уникальн\w*|непревзойд\w*|№\s*1|номер один)\b", re.I)
SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")

T = TypeVar("T", bound=BaseModel)


@dataclass
class CategoryResult:
    """The category of one place and where it came from."""

    category: str
    subcategory: str | None
    source: str | None  # "file" | "memory" | "rules" | "llm" | None (fallback)
    confidence: float
    review: bool = False


@dataclass
class DescriptionResult:
    """A written description and where it came from ("llm" or "rules" for the template)."""

    text: str
    source: str


class GigaChatGate:
    """Whether GigaChat is still worth calling in this job, and why not."""

    def __init__(self, llm: GigaChatClient | None) -> None:
        self.llm = llm
        self.stop_reason: str | None = None if llm else texts.JOB_NO_LLM
        self.failed_in_a_row = 0
        self.fallback_rows = 0

    @property
    def open(self) -> bool:
        """True while calls may be made."""
        return self.llm is not None and self.stop_reason is None

    def failed(self, error: LLMError) -> None:
        """Count a failed call; stop for good on causes that will not go away during the job."""
        self.failed_in_a_row += 1
        if error.cause in STOP_CAUSES or self.failed_in_a_row >= MAX_FAILED_CHUNKS_IN_A_ROW:
            self.stop_reason = texts.JOB_LLM_STOPPED.format(reason=error.message)

    def succeeded(self) -> None:
        """A call worked."""
        self.failed_in_a_row = 0


# --- answer schemas (plain: explicit types, enums, no optional fields) ---------------------------------


class _CategoryItem(BaseModel):
    id: int = Field(description="номер места из запроса")
    category: str = Field(description="ключ категории верхнего уровня")
    subcategory: str = Field(description="ключ подкатегории или пустая строка")
    confidence: float = Field(ge=0, le=1, description="уверенность от 0 до 1")


class _CategoryAnswer(BaseModel):
    items: list[_CategoryItem]


class _DescriptionItem(BaseModel):
    id: int = Field(description="номер места из запроса")
    description: str = Field(description="2–3 предложения по-русски, не длиннее 400 символов")


class _DescriptionAnswer(BaseModel):
    items: list[_DescriptionItem]


def _cache_key(model: str, task: str, payload: Any) -> str:
    raw = json.dumps([model, PROMPT_VERSION, task, payload], ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(raw.encode()).hexdigest()


def _category_input(place: Place) -> dict[str, str]:
    data = {
        "name": place.name or "",
        "type": " / ".join(v for v in (place.category, place.subcategory) if v),
        "address": place.address or "",
        "description": (place.description or "")[:300],
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

    def __init__(self, db: Database, llm: GigaChatClient | None, taxonomy: Taxonomy, context: CallContext) -> None:
        self.db = db
        self.taxonomy = taxonomy
        self.context = context
        self.gate = GigaChatGate(llm)
        self.model = llm.model if llm else "offline"

    # --- shared call path ------------------------------------------------------------------------

    async def _ask(self, answer_type: type[T], prompt: str, system: str, function: str) -> T | None:
        if not self.gate.open or self.gate.llm is None:
            return None
        try:
            answer = await self.gate.llm.ask_json(
                answer_type, prompt=prompt, system=system, function_name=function, context=self.context
            )
        except LLMError as error:
            log.warning("GigaChat %s failed: %s", function, error.cause.value)
            self.gate.failed(error)
            return None
        self.gate.succeeded()
        return answer

    # --- categories ------------------------------------------------------------------------------

    async def categories(
        self, places: dict[int, Place], hints: dict[int, CategoryMatch | None] | None = None
    ) -> dict[int, CategoryResult]:
        """Assign a category to every place (keys are row numbers); `hints` are keyword guesses made earlier."""
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
        results.update(await self._from_llm(pending))
        for row in places:
            if row not in results:
                results[row] = CategoryResult("other", None, None, 0.0, review=True)
        return results

    async def _from_file_values(self, places: dict[int, Place]) -> dict[int, CategoryResult]:
        values = {row: " / ".join(v for v in (p.category, p.subcategory) if v) for row, p in places.items()}
        values = {row: v for row, v in values.items() if v}
        if not values:
            return {}
        distinct = sorted(set(values.values()))
        remembered = await self.db.recall_values("category", distinct)
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
            await self.db.remember_values("category", learned)
        return {
            row: CategoryResult(resolved[v][0], resolved[v][1], "file" if resolved[v][2] != "memory" else "memory", 0.9)
            for row, v in values.items()
            if v in resolved
        }

    async def _values_from_llm(self, values: list[str]) -> dict[str, tuple[str, str | None, str]]:
        resolved: dict[str, tuple[str, str | None, str]] = {}
        for start in range(0, len(values), VALUE_CHUNK):
            chunk = values[start : start + VALUE_CHUNK]
            items = [{"id": n, "type": v} for n, v in enumerate(chunk)]
            answer = await self._classify(items, texts.CATEGORY_VALUES_PROMPT)
            for n, (category, subcategory, confidence) in answer.items():
                if confidence >= REVIEW_THRESHOLD:
                    resolved[chunk[n]] = (category, subcategory, "file")
        return resolved

    async def _classify(
        self, items: list[dict[str, Any]], instruction: str
    ) -> dict[int, tuple[str, str | None, float]]:
        """One GigaChat call over a chunk; only answers inside the taxonomy are kept."""
        prompt = texts.CATEGORY_PROMPT.format(
            instruction=instruction,
            taxonomy=self.taxonomy.keys_for_prompt(),
            items=json.dumps(items, ensure_ascii=False),
        )
        answer = await self._ask(_CategoryAnswer, prompt, texts.DATA_NOT_INSTRUCTIONS, "classify_places")
        if answer is None:
            return {}
        ids = {item["id"] for item in items}
        result: dict[int, tuple[str, str | None, float]] = {}
        for item in answer.items:
            subcategory = item.subcategory.strip() or None
            if subcategory and "/" in subcategory:
                subcategory = subcategory.split("/")[-1]
            if item.id in ids and self.taxonomy.is_valid(item.category, subcategory):
                result[item.id] = (item.category, subcategory, item.confidence)
            elif item.id in ids and self.taxonomy.is_valid(item.category):
                result[item.id] = (item.category, None, item.confidence * 0.8)
        return result

    async def _from_llm(self, pending: dict[int, Place]) -> dict[int, CategoryResult]:
        if not pending:
            return {}
        keys = {row: _cache_key(self.model, "category", _category_input(p)) for row, p in pending.items()}
        cached = await self.db.cache_get(list(set(keys.values())))
        results: dict[int, CategoryResult] = {}
        ask: dict[int, Place] = {}
        for row, place in pending.items():
            if keys[row] in cached:
                data = json.loads(cached[keys[row]])
                results[row] = self._llm_result(data["category"], data.get("subcategory"), data["confidence"])
            else:
                ask[row] = place
        rows = list(ask)
        for start in range(0, len(rows), CATEGORY_CHUNK):
            chunk = rows[start : start + CATEGORY_CHUNK]
            items = [{"id": n, **_category_input(ask[row])} for n, row in enumerate(chunk)]
            answer = await self._classify(items, texts.CATEGORY_PLACES_PROMPT)
            fresh: dict[str, str] = {}
            for n, (category, subcategory, confidence) in answer.items():
                row = chunk[n]
                results[row] = self._llm_result(category, subcategory, confidence)
                fresh[keys[row]] = json.dumps(
                    {"category": category, "subcategory": subcategory, "confidence": confidence}
                )
            if fresh:
                await self.db.cache_put(fresh)
            self.gate.fallback_rows += len(chunk) - len(answer)
        return results

    def _llm_result(self, category: str, subcategory: str | None, confidence: float) -> CategoryResult:
        if confidence < REVIEW_THRESHOLD:
            return CategoryResult("other", None, "llm", confidence, review=True)
        return CategoryResult(category, subcategory, "llm", confidence)

    # --- descriptions ----------------------------------------------------------------------------

    async def descriptions(self, places: dict[int, tuple[Place, str]]) -> dict[int, DescriptionResult]:
        """Write descriptions for places (row → (place, category label)); template where GigaChat fails."""
        inputs = {row: _description_input(place, label) for row, (place, label) in places.items()}
        keys = {row: _cache_key(self.model, "description", data) for row, data in inputs.items()}
        cached = await self.db.cache_get(list(set(keys.values()))) if places else {}
        results: dict[int, DescriptionResult] = {}
        ask = [row for row in places if keys[row] not in cached]
        for row in places:
            if keys[row] in cached:
                results[row] = DescriptionResult(cached[keys[row]], "llm")
        for start in range(0, len(ask), DESCRIPTION_CHUNK):
            chunk = ask[start : start + DESCRIPTION_CHUNK]
            written = await self._describe_chunk([inputs[row] for row in chunk])
            fresh: dict[str, str] = {}
            for n, text in written.items():
                results[chunk[n]] = DescriptionResult(text, "llm")
                fresh[keys[chunk[n]]] = text
            if fresh:
                await self.db.cache_put(fresh)
        for row, (place, label) in places.items():
            if row not in results:
                results[row] = DescriptionResult(template_description(place, label), "rules")
        return results

    async def _describe_chunk(self, inputs: Sequence[dict[str, str]]) -> dict[int, str]:
        items = [{"id": n, **data} for n, data in enumerate(inputs)]
        prompt = texts.DESCRIPTION_PROMPT.format(items=json.dumps(items, ensure_ascii=False))
        answer = await self._ask(_DescriptionAnswer, prompt, texts.DATA_NOT_INSTRUCTIONS, "describe_places")
        if answer is None:
            return {}
        result: dict[int, str] = {}
        for item in answer.items:
            if 0 <= item.id < len(inputs):
                text = grounded(item.description, inputs[item.id])
                if text:
                    result[item.id] = text
        return result


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
    if len(result) > MAX_DESCRIPTION:
        cut = result[:MAX_DESCRIPTION]
        end = max(cut.rfind(". "), cut.rfind("! "), cut.rfind("? "))
        result = cut[: end + 1] if end > 100 else cut.rstrip() + "…"
    return result or None


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
