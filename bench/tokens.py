"""Benchmark: GigaChat tokens per categorised place, per described place and per analysed review.

Counted as the GigaChat emulator counts them (tests/emulators/gigachat.py: about 4 characters a
token; the function definitions count as prompt tokens; with an ``X-Session-ID`` the prefix shared
with an earlier request of the session is reported as precached). The bot runs its own code paths,
in this process, against the emulator at latency 0 with the stand-in models:

* places: ``bot.cli.process.run_process`` (as ``python -m bot process --yes --describe all``) on a
  generated file of places whose names say nothing about the kind (``bench/places_data.py``, no
  category column, no descriptions), so every place goes to GigaChat for a category and a description;
* reviews: ``ReviewService.run_file`` on a CSV of ``sample_reviews`` (clean texts, so every review
  goes to GigaChat).

Per function it prints calls, prompt tokens split into the fixed part of a call (everything but the
JSON list after «Данные:») and the data part per item, completion tokens, precached tokens and the
total per item — as counted and with precached tokens subtracted («к оплате, примерно»), next to
the figures of the previous release (``BEFORE``). Targets: ≤ 45 tokens per categorised place,
≤ 100 per review.

    python -m bench.tokens                       # 1 000 places and 1 000 reviews, under a minute
    python -m bench.tokens --places 200 --reviews 200

Not a test: a missed target is a FAIL in the output; the exit code is 1 only when a run crashed.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import io
import json
import os
import shutil
import sys
import tempfile
import time
import traceback
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.places_data import places_file
from tests.emulators.contract import data_span
from tests.emulators.gigachat import GigaChatEmulator, RecordedRequest, estimate_tokens
from tests.emulators.places_model import PlacesModel
from tests.emulators.reviews_model import PLACES, ReviewsModel, sample_reviews

MAX_ROWS = 200_000
TARGETS = {"classify_places": 45.0, "analyze_reviews": 100.0}
LABELS = {
    "classify_places": "категории мест",
    "describe_places": "описания мест",
    "map_columns": "сопоставление колонок",
    "analyze_reviews": "разбор отзывов",
    "summarize_place": "сводка по месту",
}
MAIN = ("classify_places", "describe_places", "analyze_reviews")

# The previous release, measured once with this very script: commit d583fb7 checked out with
# `git worktree add /tmp/old-release d583fb7`, its tests/emulators/gigachat.py replaced by the new
# emulator (so tokens are counted the same way: function definitions included, precached by
# X-Session-ID) while its own stand-in models answered its own (0-based, no echo) contract, then
# `python -m bench.tokens --places 1000 --reviews 1000` run from /tmp/old-release.
# Per function: calls, items (distinct inputs sent), items_sent (re-asks included), token sums of
# prompt, of its data part (the JSON lists), of completion and of precached prompt tokens. (That
# release sent no X-Session-ID, so nothing was precached; per item it is 75.7 tokens a categorised
# place, 119.4 a described place, 180.8 a review.)
BEFORE: dict[str, dict[str, int]] = {
    "classify_places": {
        "calls": 40, "items": 1000, "items_sent": 1000, "prompt": 53546, "data": 22485, "completion": 22200,
        "precached": 0,
    },
    "describe_places": {
        "calls": 125, "items": 1000, "items_sent": 1000, "prompt": 81714, "data": 52589, "completion": 37703,
        "precached": 0,
    },
    "analyze_reviews": {
        "calls": 84, "items": 1000, "items_sent": 1000, "prompt": 97670, "data": 29449, "completion": 83123,
        "precached": 0,
    },
}  # fmt: skip
BEFORE_COMMIT = "d583fb7"


# --- what the emulator saw ------------------------------------------------------------------------------


def _data_text(body: dict[str, Any]) -> str | None:
    """The JSON list after «Данные:» in the newest user message that has one, as sent."""
    span = data_span(body)
    if span is None:
        return None
    index, begin, finish = span
    text: str = body["messages"][index]["content"][begin:finish]
    return text


def _item_key(item: Any) -> str:
    """An input item without its id, to count distinct inputs across calls and re-asks."""
    if isinstance(item, dict):
        item = {k: v for k, v in item.items() if k != "id"}
    return json.dumps(item, ensure_ascii=False, sort_keys=True)


@dataclass
class Tally:
    """Tokens of one function over a run, as the emulator counted them."""

    function: str
    calls: int = 0
    failed_calls: int = 0  # answered with an HTTP error (not billed)
    items_sent: int = 0  # items in the data lists, re-asks included
    distinct: set[str] = field(default_factory=set)
    prompt: int = 0
    data: int = 0  # the part of `prompt` that is the JSON data list
    completion: int = 0
    precached: int = 0

    @property
    def items(self) -> int:
        return len(self.distinct)

    @property
    def fixed_per_call(self) -> float:
        return (self.prompt - self.data) / self.calls if self.calls else 0.0

    @property
    def data_per_item(self) -> float:
        return self.data / self.items if self.items else 0.0

    @property
    def completion_per_item(self) -> float:
        return self.completion / self.items if self.items else 0.0

    @property
    def per_item(self) -> float:
        return (self.prompt + self.completion) / self.items if self.items else 0.0

    @property
    def billed_per_item(self) -> float:
        return (self.prompt - self.precached + self.completion) / self.items if self.items else 0.0

    def to_json(self) -> dict[str, int]:
        return {
            "calls": self.calls, "items": self.items, "items_sent": self.items_sent, "prompt": self.prompt,
            "data": self.data, "completion": self.completion, "precached": self.precached,
        }  # fmt: skip


def tally(requests: list[RecordedRequest]) -> dict[str, Tally]:
    """Per function name, the tokens of the answered chat requests."""
    result: dict[str, Tally] = {}
    for request in requests:
        body = request.json
        if request.endpoint != "chat" or not isinstance(body, dict):
            continue
        call = body.get("function_call")
        name = call.get("name") if isinstance(call, dict) else None
        entry = result.setdefault(name or "text", Tally(name or "text"))
        if request.usage is None:
            entry.failed_calls += 1
            continue
        entry.calls += 1
        entry.prompt += request.usage["prompt_tokens"]
        entry.completion += request.usage["completion_tokens"]
        entry.precached += request.usage.get("precached_prompt_tokens", 0)
        text = _data_text(body)
        if text is None:
            continue
        entry.data += estimate_tokens(text)
        data = json.loads(text)
        entry.items_sent += len(data)
        entry.distinct.update(_item_key(item) for item in data)
    return result


# --- the runs ---------------------------------------------------------------------------------------------


@dataclass
class Run:
    name: str
    seconds: float = 0.0
    tallies: dict[str, Tally] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    error: str | None = None


def _settings(emulator: GigaChatEmulator, key: str, folder: Path) -> Any:
    from bot.core.config import load_settings

    return load_settings(
        env_file=None, gigachat_credentials=key, gigachat_base_url=emulator.base_url,
        gigachat_auth_url=emulator.auth_url, gigachat_fallback_urls=(), gigachat_scope="GIGACHAT_API_PERS",
        database_path=folder / "bench.sqlite3", max_rows=MAX_ROWS, max_file_mb=100,
    )  # fmt: skip


async def run_places(emulator: GigaChatEmulator, key: str, folder: Path, rows: int) -> list[str]:
    """Import a file of `rows` places with opaque names, describing every place; return notes."""
    from bot.cli.process import run_process

    source, _ = places_file(rows, "import", known_share=0.0, described_share=0.0)
    settings = _settings(emulator, key, folder)
    err = io.StringIO()
    jsonl = folder / "out.jsonl"
    code = await run_process(
        settings, source, sheet=None, offline=False, describe="all", output=folder / "out.xlsx", jsonl=jsonl,
        yes=True, err=err,
    )  # fmt: skip
    output = err.getvalue()
    if code != 0:
        raise RuntimeError(f"run_process returned {code}; its output:\n{output[-3000:]}")
    notes = [line.strip().rstrip(".") for line in output.splitlines() if "GigaChat" in line][:5]
    sources = Counter(
        json.loads(line)["place"].get("category_source") for line in jsonl.read_text("utf-8").splitlines()
    )
    notes.append(f"источник категории: {dict(sources.most_common())}")
    return notes


async def run_reviews(emulator: GigaChatEmulator, key: str, folder: Path, count: int) -> list[str]:
    """Analyse a CSV of `count` clean reviews through the bot's review service; return notes."""
    from bot.gigachat.client import GigaChatClient
    from bot.reviews.service import ReviewService
    from bot.services import usage_recorder
    from bot.storage.db import Database

    source = folder / "reviews.csv"
    lines = ["Место;Отзыв;Оценка"]
    lines += [f'"{PLACES[n % len(PLACES)]}";"{text}";{1 + n % 5}' for n, text in enumerate(sample_reviews(count))]
    source.write_text("\n".join(lines), "utf-8")
    settings = _settings(emulator, key, folder)
    async with Database.open(settings.database_path) as db:
        llm = GigaChatClient.from_settings(settings, usage_sink=usage_recorder(db))
        async with llm:
            service = ReviewService(settings, db, llm)
            upload = service.upload_path(source.name)
            shutil.copyfile(source, upload)
            job_id = await service.create_job(upload, file_name=source.name, user_id=0, chat_id=0)
            outcome = await service.run_file(job_id)
    sources = Counter(getattr(analysis, "source", None) for analysis in outcome.analyses)
    notes = [f"отзывов в результате: {outcome.total}, источник разбора: {dict(sources.most_common())}"]
    if outcome.llm_note:
        notes.append(outcome.llm_note)
    return notes


Job = Callable[[GigaChatEmulator, str, Path, int], Awaitable[list[str]]]


async def measure(name: str, job: Job, size: int, responder: Any) -> Run:
    """One run against a fresh emulator and database; crashes are reported, not raised."""
    run = Run(name)
    key = base64.b64encode(f"{uuid.uuid4()}:{uuid.uuid4()}".encode()).decode()
    folder = Path(tempfile.mkdtemp(prefix="tokens-bench-"))
    started = time.perf_counter()
    try:
        async with GigaChatEmulator() as emulator:
            emulator.responder = responder
            try:
                run.notes = await job(emulator, key, folder, size)
            except Exception:
                run.error = traceback.format_exc()
            run.seconds = time.perf_counter() - started
            run.tallies = tally(emulator.calls("chat"))
            errors = [f"{r.status} {r.json.get('function_call') if isinstance(r.json, dict) else ''}"
                      for r in emulator.calls("chat") if (r.status or 0) >= 400]  # fmt: skip
            if errors:
                run.notes.append(f"ответы с ошибкой HTTP: {len(errors)} ({', '.join(errors[:3])})")
            if emulator.responder_errors:
                problem = f"модель-заглушка упала: {emulator.responder_errors[:3]!r}"
                run.error = f"{run.error or ''}\n{problem}".strip()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return run


# --- the report --------------------------------------------------------------------------------------------


def _num(value: float, digits: int = 1) -> str:
    return f"{value:.{digits}f}"


def _before(function: str) -> Tally | None:
    figures = BEFORE.get(function)
    if not figures:
        return None
    entry = Tally(function, calls=figures["calls"], items_sent=figures["items_sent"], prompt=figures["prompt"])
    entry.data, entry.completion, entry.precached = figures["data"], figures["completion"], figures["precached"]
    entry.distinct = {str(n) for n in range(figures["items"])}
    return entry


def report(runs: list[Run], expected: dict[str, int]) -> bool:
    """Print the tables and the targets; return False when a run crashed."""
    tallies = {name: entry for run in runs for name, entry in run.tallies.items()}
    print()
    print("Токены по подсчёту эмулятора GigaChat (≈ 4 символа на токен; описания функций входят в промпт)")
    header = (
        f"{'задача':<22} {'вызовов':>7} {'элем.':>6} {'промпт':>8} {'фикс./выз.':>10} {'данные/элем.':>12} "
        f"{'ответ/элем.':>11} {'в кэше':>8} {'всего/элем.':>11} {'к оплате/элем.':>14}"
    )
    print(header)
    print("-" * len(header))
    for name in [*MAIN, *sorted(set(tallies) - set(MAIN))]:
        entry = tallies.get(name)
        if entry is None:
            continue
        print(
            f"{LABELS.get(name, name):<22} {entry.calls:>7} {entry.items:>6} {entry.prompt:>8} "
            f"{_num(entry.fixed_per_call, 0):>10} {_num(entry.data_per_item):>12} "
            f"{_num(entry.completion_per_item):>11} {entry.precached:>8} {_num(entry.per_item):>11} "
            f"{_num(entry.billed_per_item):>14}"
        )
    print()
    print(f"До и после: токенов на элемент (всего / к оплате, примерно); «до» — коммит {BEFORE_COMMIT}")
    header = (
        f"{'задача':<22} {'вызовов до':>10} {'после':>6} {'всего до':>9} {'после':>6} {'к опл. до':>9} {'после':>6}"
    )
    print(header)
    print("-" * len(header))
    for name in MAIN:
        now, old = tallies.get(name), _before(name)
        cells = [
            str(old.calls) if old else "—", str(now.calls) if now else "—",
            _num(old.per_item) if old else "—", _num(now.per_item) if now else "—",
            _num(old.billed_per_item) if old else "—", _num(now.billed_per_item) if now else "—",
        ]  # fmt: skip
        print(
            f"{LABELS[name]:<22} {cells[0]:>10} {cells[1]:>6} {cells[2]:>9} {cells[3]:>6} {cells[4]:>9} {cells[5]:>6}"
        )
    if not BEFORE:
        print("  (BEFORE пуст: цифры прошлого выпуска не записаны)")
    print()
    for run in runs:
        status = " — ЗАПУСК УПАЛ (см. ниже)" if run.error else ""
        print(f"  {run.name}: {run.seconds:.1f} с" + (f"; {'; '.join(run.notes)}" if run.notes else "") + status)
        for name, entry in run.tallies.items():
            if entry.failed_calls:
                print(f"    {LABELS.get(name, name)}: ещё {entry.failed_calls} вызовов с ошибкой HTTP (не в счёт)")
            if entry.items_sent > entry.items:
                print(f"    {LABELS.get(name, name)}: элементов отправлено {entry.items_sent}, разных {entry.items}")
    print()
    print("Цели (токенов на элемент = (промпт + ответ) / элементов):")
    for name, limit in TARGETS.items():
        entry = tallies.get(name)
        if entry is None or not entry.items:
            print(f"  {LABELS[name]}: FAIL — вызовов {name} не было")
            continue
        verdict = "PASS" if entry.per_item <= limit else "FAIL"
        billed = "PASS" if entry.billed_per_item <= limit else "FAIL"
        print(
            f"  {LABELS[name]}: {entry.per_item:.1f} ≤ {limit:.0f}: {verdict}; "
            f"к оплате, примерно (без precached): {entry.billed_per_item:.1f} ≤ {limit:.0f}: {billed}"
        )
        wanted = expected.get(name)
        if wanted and entry.items < wanted:
            print(f"    внимание: в GigaChat ушло {entry.items} из {wanted} элементов")
    crashed = [run for run in runs if run.error]
    for run in crashed:
        print(f"\n{run.name}: ЗАПУСК УПАЛ (цифры выше — то, что эмулятор успел увидеть):\n{run.error}")
    return not crashed


async def amain(places: int, reviews: int, dump: bool) -> bool:
    runs = [
        await measure("места (категории и описания)", run_places, places, PlacesModel()),
        await measure("отзывы", run_reviews, reviews, ReviewsModel()),
    ]
    ok = report(runs, {"classify_places": places, "describe_places": places, "analyze_reviews": reviews})
    if dump:
        figures = {name: entry.to_json() for run in runs for name, entry in run.tallies.items()}
        print("\nBEFORE = " + json.dumps(figures, ensure_ascii=False, indent=4))
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--places", type=int, default=1000, help="places in the generated file (1000)")
    parser.add_argument("--reviews", type=int, default=1000, help="reviews in the generated file (1000)")
    parser.add_argument("--dump", action="store_true", help="also print the figures as a BEFORE dict")
    args = parser.parse_args(argv)
    for name in list(os.environ):  # the bot's settings come from the arguments only
        if name.upper().startswith(("GIGACHAT_", "BOT_", "DATABASE_")):
            del os.environ[name]
    return 0 if asyncio.run(amain(args.places, args.reviews, args.dump)) else 1


if __name__ == "__main__":
    sys.exit(main())
