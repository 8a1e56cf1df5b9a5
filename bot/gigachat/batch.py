"""Many items per GigaChat call, every item of the answer tied to its own input and checked alone.

The model gets items numbered 1..n and must answer exactly one item per id, each echoing the first
words of its input. An answer is *misaligned* when an id is not one of those asked, appears twice,
or its echo does not match its input: then nothing in it is trusted (a model that numbered the
items wrongly may have shifted every answer by one). A short answer keeps what it has. Items are
validated one by one, so one bad value costs that item only. What is missing or invalid is asked
again once, in a smaller batch; what is still missing is "GigaChat could not help" and the caller
falls back to its rules. Truncated answers (`finish_reason: "length"`) and 413s split the batch
instead of being accepted. A call with no usable item counts as a failure for the gate.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import re
from collections import Counter
from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from gigachat.models import Messages, MessagesRole

from bot import texts
from bot.core.errors import Cause, InvalidAnswerError, LLMError
from bot.core.tasks import gather_or_cancel
from bot.core.text import fold
from bot.gigachat.client import CallContext, GigaChatClient
from bot.gigachat.functions import FunctionAnswer, FunctionSpec, repair_turn

log = logging.getLogger(__name__)

K = TypeVar("K", bound=Hashable)
R = TypeVar("R")

Progress = Callable[[int], Awaitable[None]]
MAX_SPLIT_DEPTH = 2  # a batch halves at most this many times on truncation or 413
ECHO_WORDS = 3
_WORD = re.compile(r"\w+")
# After these, GigaChat will not work for the rest of the job: say so once and use the rules.
STOP_CAUSES = frozenset(
    {
        Cause.PAYMENT_REQUIRED, Cause.AUTH_REJECTED, Cause.SCOPE_MISMATCH, Cause.KEY_UNDECODABLE, Cause.FORBIDDEN,
        Cause.TLS_UNTRUSTED, Cause.MODEL_NOT_FOUND, Cause.BAD_SCOPE, Cause.MISSING_CREDENTIALS,
        Cause.FUNCTIONS_UNSUPPORTED,
    }
)  # fmt: skip
MAX_FAILED_CALLS_IN_A_ROW = 3


class ItemRejected(ValueError):
    """One item of an answer cannot be used; `misaligned` when it belongs to another input."""

    def __init__(self, reason: str, *, misaligned: bool = False) -> None:
        super().__init__(reason)
        self.misaligned = misaligned


class GigaChatGate:
    """Whether GigaChat is still worth calling in this job, and why not."""

    def __init__(self, llm: GigaChatClient | None) -> None:
        self.llm = llm
        self.stop_reason: str | None = None if llm else texts.JOB_NO_LLM
        self.last_error: LLMError | None = None
        self.failed_in_a_row = 0
        # No more calls of this job in flight than the key has streams: a call waiting for its turn
        # sees the gate close (402, a bad key) instead of being sent only to fail.
        self.turns = asyncio.Semaphore(llm.streams if llm else 1)

    @property
    def open(self) -> bool:
        """True while calls may be made."""
        return self.llm is not None and self.stop_reason is None

    def failed(self, error: LLMError) -> None:
        """Count a failed call; stop for good on causes that will not go away during the job."""
        self.last_error = error
        self.failed_in_a_row += 1
        if error.cause in STOP_CAUSES or self.failed_in_a_row >= MAX_FAILED_CALLS_IN_A_ROW:
            self.stop_reason = texts.JOB_LLM_STOPPED.format(reason=error.message)

    def succeeded(self) -> None:
        """A call gave at least one usable item."""
        self.failed_in_a_row = 0


def echo_form(text: str) -> str:
    """Words only, folded: the form echoes are compared in."""
    return " ".join(_WORD.findall(fold(text)))


def echo_of(text: str, words: int = ECHO_WORDS) -> str:
    """The first words of a text, as the model is asked to echo them."""
    return " ".join(text.split()[:words])


def echo_matches(echo: Any, source: str) -> bool:
    """True when the model's echo is the first words of its input (whole words), or a run of them."""
    if not isinstance(echo, str):
        return False
    got, want = echo_form(echo).split(), echo_form(source).split()
    if not got or not want:
        return not want and not got
    if want[: len(got)] == got or got[: len(want)] == want:
        return True
    head = f" {' '.join(want[: ECHO_WORDS * 3])} "
    return len(got) >= 2 and f" {' '.join(got)} " in head


@dataclass(frozen=True)
class BatchTask(Generic[R]):
    """How to ask for one kind of item and how to check one answer item against its input."""

    spec: FunctionSpec
    system: str
    instruction: str  # the fixed part of the user prompt; the data follows «Данные:»
    # (answer item, its own input, every input of the call) → result; raises ItemRejected
    check: Callable[[dict[str, Any], Mapping[str, Any], Sequence[Mapping[str, Any]]], R]
    tokens_per_item: int
    temperature: float | None = 0.1
    echo_field: str = "name"


@dataclass
class BatchOutcome(Generic[K, R]):
    """What a run gave: results, items GigaChat answered for but could not help with, and failures."""

    results: dict[K, R] = field(default_factory=dict)
    unhelped: set[K] = field(default_factory=set)  # answered, still unusable after the re-ask: cacheable
    refused: set[K] = field(default_factory=set)  # the content filter refused this very input
    failed: set[K] = field(default_factory=set)  # no answer at all (errors, gate closed): not cacheable
    answered: int = 0  # calls that got an answer (usable or not)


@dataclass
class _Round(Generic[K, R]):
    good: dict[K, R] = field(default_factory=dict)
    bad: list[K] = field(default_factory=list)  # answered, unusable: asked again once
    final: list[K] = field(default_factory=list)  # answered, unusable even in the smallest batch: not asked again
    refused: list[K] = field(default_factory=list)
    failed: list[K] = field(default_factory=list)


def _items_of(arguments: dict[str, Any] | None) -> list[dict[str, Any]] | None:
    items = arguments.get("items") if arguments else None
    if not isinstance(items, list):
        return None
    return [item for item in items if isinstance(item, dict)]


def _id_of(item: Mapping[str, Any]) -> int | None:
    value = item.get("id")
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


class BatchAsker(Generic[K, R]):
    """Runs a task over inputs: batches, the alignment check, one re-ask, splits, the gate."""

    def __init__(self, gate: GigaChatGate, task: BatchTask[R], context: CallContext, *, split_budget: int = 8) -> None:
        self.gate = gate
        self.task = task
        self.context = context
        self.split_budget = split_budget

    async def run(
        self, inputs: Mapping[K, Mapping[str, Any]], batch_size: int, *, progress: Progress | None = None
    ) -> BatchOutcome[K, R]:
        """Ask for every input, `batch_size` per call; batches run concurrently under the client's limit.

        `progress` hears how many inputs are settled after each batch.
        """
        keys = list(inputs)
        chunks = [keys[start : start + batch_size] for start in range(0, len(keys), batch_size)]
        settled = 0

        async def one(chunk: list[K]) -> BatchOutcome[K, R]:
            nonlocal settled
            outcome = await self._batch(inputs, chunk)
            settled += len(chunk)
            if progress is not None:
                await progress(settled)
            return outcome

        outcomes = await gather_or_cancel(one(chunk) for chunk in chunks)
        total: BatchOutcome[K, R] = BatchOutcome()
        for outcome in outcomes:
            total.results.update(outcome.results)
            total.unhelped |= outcome.unhelped
            total.refused |= outcome.refused
            total.failed |= outcome.failed
            total.answered += outcome.answered
        return total

    async def _batch(self, inputs: Mapping[K, Mapping[str, Any]], keys: list[K]) -> BatchOutcome[K, R]:
        """One batch: the first ask, one re-ask of what is missing or invalid, then the gate's verdict.

        The batch as a whole counts for the gate: as a success when any item was usable, as one failed
        call when GigaChat answered but nothing could be used (errors count on their own, per call).
        """
        outcome: BatchOutcome[K, R] = BatchOutcome()
        first = await self._ask(inputs, keys, outcome, depth=0)
        self._settle(outcome, first)
        again = first.bad
        if again and self.gate.open:
            # One re-ask for just what is missing or invalid, in smaller batches than the first.
            size = max(1, math.ceil(len(again) / 2)) if len(again) == len(keys) else len(again)
            for start in range(0, len(again), size):
                second = await self._ask(inputs, again[start : start + size], outcome, depth=1, repair=False)
                self._settle(outcome, second)
                outcome.unhelped.update(second.bad)
        else:  # GigaChat stopped before the re-ask: nothing final to remember
            outcome.failed.update(again)
        if outcome.results:
            self.gate.succeeded()
        elif outcome.answered:
            log.warning("GigaChat %s: no usable item in %d answers", self.task.spec.name, outcome.answered)
            self.gate.failed(InvalidAnswerError(Cause.INVALID_ANSWER, texts.cause_text(Cause.INVALID_ANSWER)))
        return outcome

    @staticmethod
    def _settle(outcome: BatchOutcome[K, R], part: _Round[K, R]) -> None:
        outcome.results.update(part.good)
        outcome.unhelped.update(part.final)
        outcome.refused.update(part.refused)
        outcome.failed.update(part.failed)

    async def _ask(
        self,
        inputs: Mapping[K, Mapping[str, Any]],
        keys: list[K],
        outcome: BatchOutcome[K, R],
        *,
        depth: int,
        repair: bool = True,
    ) -> _Round[K, R]:
        llm = self.gate.llm
        if not keys:
            return _Round()
        async with self.gate.turns:  # released before any split, which asks again
            if llm is None or not self.gate.open:
                return _Round(failed=list(keys))
            error: LLMError | None = None
            try:
                answered = await self._send(inputs, keys, outcome, llm, repair=repair)
            except LLMError as exc:
                answered, error = None, exc
        if answered is not None:
            return answered
        if error is None:  # truncated by length: halves, never a partial answer
            if len(keys) > 1 and depth < MAX_SPLIT_DEPTH:
                return await self._split(inputs, keys, outcome, depth)
            log.warning("GigaChat %s: still truncated for %d items", self.task.spec.name, len(keys))
            return _Round(final=list(keys))
        return await self._failed(inputs, keys, outcome, depth, error)

    async def _send(
        self,
        inputs: Mapping[K, Mapping[str, Any]],
        keys: list[K],
        outcome: BatchOutcome[K, R],
        llm: GigaChatClient,
        *,
        repair: bool,
    ) -> _Round[K, R] | None:
        """One call (and, on a first ask, a repair turn when the answer has no items at all); None when truncated."""
        data = [{"id": n, **inputs[key]} for n, key in enumerate(keys, start=1)]
        messages = [
            Messages(role=MessagesRole.SYSTEM, content=self.task.system),
            Messages(role=MessagesRole.USER, content=prompt_with_data(self.task.instruction, data)),
        ]
        max_tokens = 100 + self.task.tokens_per_item * len(keys)
        answer = await self._call(llm, messages, max_tokens, outcome)
        if answer.finish_reason == "length":
            return None
        items = _items_of(answer.arguments)
        if items is None and repair:  # not even a list of items: show the model its own call once
            messages = [*messages, *repair_turn(answer, texts.LLM_ITEMS_MISSING)]
            answer = await self._call(llm, messages, max_tokens, outcome)
            if answer.finish_reason == "length":
                return None
            items = _items_of(answer.arguments)
        good, bad = self._check(data, keys, items or [])
        return _Round(good=good, bad=bad)

    async def _call(
        self, llm: GigaChatClient, messages: list[Messages], max_tokens: int, outcome: BatchOutcome[K, R]
    ) -> FunctionAnswer:
        answer = await llm.call_function(
            self.task.spec, messages, context=self.context, max_tokens=max_tokens, temperature=self.task.temperature
        )
        outcome.answered += 1
        return answer

    async def _split(
        self, inputs: Mapping[K, Mapping[str, Any]], keys: list[K], outcome: BatchOutcome[K, R], depth: int
    ) -> _Round[K, R]:
        middle = len(keys) // 2
        result: _Round[K, R] = _Round()
        for part in (keys[:middle], keys[middle:]):
            sub = await self._ask(inputs, part, outcome, depth=depth + 1)
            result.good.update(sub.good)
            result.bad += sub.bad
            result.final += sub.final
            result.refused += sub.refused
            result.failed += sub.failed
        return result

    async def _failed(
        self,
        inputs: Mapping[K, Mapping[str, Any]],
        keys: list[K],
        outcome: BatchOutcome[K, R],
        depth: int,
        error: LLMError,
    ) -> _Round[K, R]:
        result: _Round[K, R] = _Round()
        if error.cause == Cause.BLACKLISTED:
            if len(keys) == 1:
                result.refused = list(keys)
                return result
            if self.split_budget >= 2:  # find the one text the content filter refuses
                self.split_budget -= 2
                return await self._split(inputs, keys, outcome, depth)
            result.refused = list(keys)
            return result
        if error.cause == Cause.TOO_LARGE and len(keys) > 1 and depth < MAX_SPLIT_DEPTH:
            return await self._split(inputs, keys, outcome, depth)
        log.warning("GigaChat %s failed: %s", self.task.spec.name, error.cause.value)
        self.gate.failed(error)
        result.failed = list(keys)
        return result

    def _check(
        self, data: Sequence[Mapping[str, Any]], keys: list[K], items: list[dict[str, Any]]
    ) -> tuple[dict[K, R], list[K]]:
        """Tie every item to its input; reject the whole answer when it is misaligned."""
        by_id = {n: key for n, key in enumerate(keys, start=1)}
        counts = Counter(_id_of(item) for item in items)
        misaligned = any(n not in by_id or count > 1 for n, count in counts.items())
        good: dict[K, R] = {}
        for item in items:
            n = _id_of(item)
            if misaligned or n is None or n not in by_id:
                break
            source = data[n - 1]
            if not echo_matches(item.get("echo"), str(source.get(self.task.echo_field, ""))):
                misaligned = True
                break
            try:
                good[by_id[n]] = self.task.check(item, source, data)
            except ItemRejected as problem:
                if problem.misaligned:
                    misaligned = True
                    break
                log.info("GigaChat %s: item rejected: %s", self.task.spec.name, problem)
        if misaligned:
            log.warning("GigaChat %s: answer misaligned with its inputs, nothing kept", self.task.spec.name)
            return {}, list(keys)
        return good, [key for key in keys if key not in good]


def prompt_with_data(instruction: str, data: Sequence[Mapping[str, Any]]) -> str:
    """The user prompt: the fixed instruction first (GigaChat caches a repeated prefix), then the data."""
    return f"{instruction}\n\nДанные:\n{json.dumps(list(data), ensure_ascii=False, separators=(',', ':'))}"


def confidence(value: Any) -> float:
    """A 0..1 confidence; 0..100 answers are rescaled; anything else rejects the item."""
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        raise ItemRejected(f"confidence {value!r}")
    if 1 < value <= 100:
        value = value / 100
    if not 0 <= value <= 1:
        raise ItemRejected(f"confidence {value!r}")
    return float(value)
