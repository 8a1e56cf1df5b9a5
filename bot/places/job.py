"""The import job: rows → places → duplicates → categories → descriptions → storage, in batches.

Each batch is committed together with the job's progress, so a restart resumes after the last
committed batch and never writes a row twice. Used by the bot and by `python -m bot process`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Awaitable, Callable, Generator, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any, Literal

from bot import texts
from bot.core.config import Settings
from bot.gigachat.client import CallContext, GigaChatClient
from bot.places.category_rules import FileContext, guess_category
from bot.places.duplicates import SeenRows, row_copy_key
from bot.places.enrich import (
    DESCRIPTION_CHUNK,
    SOURCE_LLM_FAILED,
    CategoryResult,
    DescriptionResult,
    Enricher,
    decided_by,
)
from bot.places.normalize import Place, build_place, dedupe_key, place_keys, same_place_without_address
from bot.places.plan import Plan
from bot.places.report import write_job_workbook
from bot.places.taxonomy import CategoryMatch, Taxonomy
from bot.sheets import CellValue, open_workbook
from bot.storage.db import PLACE_COLUMNS, Database, JobRow, now_iso
from bot.storage.rows import PlaceRow

BATCH = 240  # rows per committed step with one GigaChat stream (three category calls)
MAX_BATCH = 1000  # with several streams a step is larger, so enough calls are in flight together
Describe = Literal["empty", "all", "none"]


@dataclass
class Counters:
    """How rows ended up."""

    imported: int = 0
    updated: int = 0
    duplicates: int = 0
    skipped: int = 0
    review: int = 0
    described: int = 0
    fallback: int = 0
    unhelped: int = 0  # rows GigaChat answered for but could not categorise
    # who decided the category of each imported or updated row
    by_file: int = 0  # the file's own category column
    by_rules: int = 0  # the offline rules, from the name and the texts
    by_llm: int = 0
    by_context: int = 0  # nothing did; the file's name or its other rows suggested one, to be checked
    by_none: int = 0

    def decided(self, who: str) -> None:
        """Count one row whose category `who` decided (file, rules, llm, context or none)."""
        name = f"by_{who}"
        setattr(self, name, getattr(self, name) + 1)

    def to_json(self) -> str:
        """For the job row."""
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, raw: str | None) -> Counters:
        """Back from the job row."""
        return cls(**json.loads(raw)) if raw else cls()


@dataclass
class JobProgress:
    """A progress event for the bar in the chat or the terminal."""

    job_id: int
    processed: int
    total: int
    counters: Counters
    elapsed: float
    eta: float | None


@dataclass
class JobOutcome:
    """What the job produced."""

    job_id: int
    status: str  # "done" | "stopped"
    counters: Counters
    result_path: Path | None
    calls: int
    tokens: int
    llm_note: str | None
    categories: list[tuple[str, int]]
    review_rows: list[int] = field(default_factory=list)


ProgressCallback = Callable[[JobProgress], Awaitable[None]]


@dataclass
class _Prepared:
    """A batch after the work that needs neither the catalogue nor GigaChat."""

    size: int
    places: dict[int, Place] = field(default_factory=dict)
    results: dict[int, dict[str, Any]] = field(default_factory=dict)
    hints: dict[int, CategoryMatch | None] = field(default_factory=dict)
    copy_keys: dict[int, int] = field(default_factory=dict)


def _row_result(
    row: int, status: str, reason: str | None, place: Place, category: CategoryResult | None
) -> dict[str, Any]:
    values = place.values()
    values.update(
        category=category.category if category else None,
        subcategory=category.subcategory if category else None,
        category_source=category.source if category else None,
        extra=place.extra,
    )
    return {
        "row": row,
        "status": status,
        "reason": reason,
        "place": values,
        "review": bool(category and category.review),
    }


class ImportJob:
    """One run (or resumed run) of an import."""

    def __init__(
        self,
        *,
        db: Database,
        llm: GigaChatClient | None,
        taxonomy: Taxonomy,
        settings: Settings,
        job: JobRow,
        plan: Plan,
        describe: Describe = "empty",
        progress: ProgressCallback | None = None,
        stop: asyncio.Event | None = None,
    ) -> None:
        self.db, self.taxonomy, self.settings, self.job, self.plan = db, taxonomy, settings, job, plan
        self.describe = describe
        self.progress = progress
        self.stop = stop or asyncio.Event()
        context = CallContext("import", job.user_id, job.id, session=f"places-bot-job-{job.id}")
        file_context = FileContext.of(taxonomy, plan.sheet, job.file_name)
        self.enricher = Enricher(db, llm, taxonomy, context, file_context)
        self.batch_size = min(MAX_BATCH, BATCH * max(1, llm.streams // 2)) if llm else BATCH
        self.counters = Counters.from_json(job.counters)
        self.seen = SeenRows()
        self.processed = job.processed

    async def run(self) -> JobOutcome:
        """Process every row not yet committed; then write the enriched workbook.

        A producer prepares the next batch (reading, normalising, duplicates inside the file,
        keyword rules) in a thread while the current one waits on GigaChat, so the job is bound by
        GigaChat rather than by both in turn.
        """
        await self.db.jobs.update_job(self.job.id, status="running", started_at=self.job.started_at or now_iso())
        await self._restore_seen()
        done = await self.db.jobs.done_rows(self.job.id)
        started = time.monotonic()
        first_processed = self.processed
        queue: asyncio.Queue[_Prepared | None] = asyncio.Queue(maxsize=2)
        halt = asyncio.Event()
        producer = asyncio.create_task(self._produce(queue, done, halt))
        try:
            while (prepared := await queue.get()) is not None:
                if prepared.places or prepared.results:
                    await self._process(prepared)
                self.processed += prepared.size
                await self._report(started, first_processed)
                if self.stop.is_set():
                    break
        finally:
            # Let the producer finish the batch its thread is reading, then end cleanly.
            halt.set()
            while not producer.done():
                with contextlib.suppress(asyncio.QueueEmpty):
                    queue.get_nowait()
                await asyncio.sleep(0.01)
        status = "stopped" if self.stop.is_set() else "done"
        self.seen = SeenRows()  # duplicate tracking is done; free it before the workbook is written
        return await self._finish(status)

    async def _produce(self, queue: asyncio.Queue[_Prepared | None], done: set[int], halt: asyncio.Event) -> None:
        rows = self._open_rows()
        try:
            while not halt.is_set():
                prepared = await asyncio.to_thread(self._prepare, rows, done)
                if prepared is None:
                    break
                await queue.put(prepared)
        finally:
            rows.close()
            await queue.put(None)

    def _prepare(self, rows: Iterator[tuple[int, list[CellValue]]], done: set[int]) -> _Prepared | None:
        """Read the next batch and do everything that needs neither the catalogue nor GigaChat."""
        batch = list(islice(rows, self.batch_size))
        if not batch:
            return None
        prepared = _Prepared(size=sum(1 for number, _ in batch if number not in done))
        for number, values in batch:
            if number in done:
                continue
            place, _problems = build_place(values, self.plan.columns)
            if not place.name:
                prepared.results[number] = _row_result(number, "skipped", texts.REASON_NO_NAME, place, None)
                continue
            copy_key = row_copy_key(values)
            copy_of = self.seen.find_copy(copy_key)
            original = copy_of if copy_of is not None else self.seen.find(place)
            if original is not None:
                template = texts.REASON_COPY_OF_ROW if copy_of is not None else texts.REASON_DUPLICATE_ROW
                prepared.results[number] = _row_result(number, "duplicate", template.format(row=original), place, None)
                prepared.results[number]["original_row"] = original
                continue
            self.seen.add(number, place, copy_key)
            prepared.copy_keys[number] = copy_key
            prepared.places[number] = place
            if not (place.category or place.subcategory):
                prepared.hints[number] = guess_category(self.taxonomy, name=place.name, description=place.description)
        return prepared

    def _open_rows(self) -> Generator[tuple[int, list[CellValue]], None, None]:
        """Data rows of the planned sheet (blank rows skipped), read lazily."""
        path, layout, sheet = Path(self.job.file_path), self.plan.layout, self.plan.sheet
        limit_bytes, limit_rows = self.settings.max_file_mb * 1024 * 1024, self.settings.max_rows

        def generate() -> Generator[tuple[int, list[CellValue]], None, None]:
            with open_workbook(
                path, max_bytes=limit_bytes, max_rows=limit_rows, original_name=self.job.file_name
            ) as wb:
                for number, values in wb.iter_rows(sheet):
                    if number >= layout.data_start and any(v not in (None, "") for v in values):
                        yield number, values

        return generate()

    async def _restore_seen(self) -> None:
        """After a restart: remember the rows already committed, for duplicates inside the file."""
        fields = Place.__dataclass_fields__
        async for page in self.db.jobs.iter_job_results(self.job.id):
            for row, status, _, _, result in page:
                if status in ("imported", "updated"):
                    data = json.loads(result)
                    values = data["place"]
                    place = Place(**{k: v for k, v in values.items() if k in fields and k != "keys"})
                    self.seen.add(row, place, data.get("copy_key"))

    async def _process(self, prepared: _Prepared) -> None:
        places, results = prepared.places, prepared.results
        stored = await self._match_catalogue(places)
        new_rows = {r: p for r, p in places.items() if r not in stored}
        to_categorise = {r: p for r, p in places.items() if r in new_rows or p.category or p.subcategory}
        describer = _Describer(self, places, stored)
        try:
            categories = await self.enricher.categories(to_categorise, prepared.hints, on_ready=describer.offer)
            await describer.offer({row: None for row in places if row not in to_categorise})
        except BaseException:
            describer.cancel()
            raise
        await describer.finish()
        inserts, updates = [], []
        for row, place in places.items():
            category = categories.get(row)
            if row in stored:
                place_id, changes = self._changes(stored[row], place, category)
                status = "updated" if changes else "duplicate"
                why = None if changes else texts.REASON_IN_CATALOGUE.format(id=place_id)
                updates.append((row, place_id, changes))
                results[row] = _row_result(row, status, why, place, category or _stored_category(stored[row]))
                results[row]["place_id"] = place_id
            else:
                inserts.append((row, self._insert_values(place, category)))
                results[row] = _row_result(row, "imported", None, place, category)
            if row in prepared.copy_keys:
                results[row]["copy_key"] = prepared.copy_keys[row]  # a restart still knows its copies
        self._count(results.values())
        rows = [
            (row, r["status"], r["reason"], r.get("place_id", -1 if r["status"] == "imported" else None),
             json.dumps(r, ensure_ascii=False, default=str))
            for row, r in sorted(results.items())
        ]  # fmt: skip
        await self.db.places.save_batch(
            self.job.id, inserts=inserts, updates=updates, rows=rows, processed=self.processed + prepared.size,
            counters=self.counters.to_json(),
        )  # fmt: skip

    async def _match_catalogue(self, places: dict[int, Place]) -> dict[int, PlaceRow]:
        keys = [k for k in (dedupe_key(p) for p in places.values()) if k]
        names = list({place_keys(p)[0] for p in places.values()})
        candidates = await self.db.places.find_places(dedupe_keys=keys, name_keys=names)
        by_key = {c.dedupe_key: c for c in candidates if c.dedupe_key}
        matched: dict[int, PlaceRow] = {}
        for row, place in places.items():
            key = dedupe_key(place)
            if key and key in by_key:
                matched[row] = by_key[key]
                continue
            for candidate in candidates:
                same = same_place_without_address(
                    place, candidate.name, candidate.phone, candidate.latitude, candidate.longitude
                )
                if candidate.name_key == place_keys(place)[0] and same:
                    matched[row] = candidate
                    break
        return matched

    def _insert_values(self, place: Place, category: CategoryResult | None) -> dict[str, Any]:
        values = {name: getattr(place, name) for name in PLACE_COLUMNS if name != "external_id"}
        values.update(
            external_id=place.id,
            category=category.category if category else "other",
            subcategory=category.subcategory if category else None,
            extra=json.dumps(place.extra, ensure_ascii=False, default=str),
            name_key=place_keys(place)[0],
            dedupe_key=dedupe_key(place),
            category_source=category.source if category else None,
            needs_review=int(bool(category and category.review)),
            source_job=self.job.id,
        )
        return values

    def _changes(self, stored: PlaceRow, place: Place, category: CategoryResult | None) -> tuple[int, dict[str, Any]]:
        """The file's non-empty values that differ from the catalogue; an empty cell never erases."""
        values = {name: place.id if name == "external_id" else getattr(place, name, None) for name in PLACE_COLUMNS}
        if category is not None and category.source in ("file", "memory"):
            values.update(category=category.category, subcategory=category.subcategory)
        else:
            values.update(category=None, subcategory=None)
        changes = {name: v for name, v in values.items() if v not in (None, "") and v != getattr(stored, name)}
        extra = json.loads(stored.extra or "{}")
        merged = {**extra, **place.extra}
        if merged != extra:
            changes["extra"] = json.dumps(merged, ensure_ascii=False, default=str)
        return stored.id, changes

    def _count(self, results: Any) -> None:
        for result in results:
            status = result["status"]
            if status == "imported":
                self.counters.imported += 1
            elif status == "updated":
                self.counters.updated += 1
            elif status == "duplicate":
                self.counters.duplicates += 1
            else:
                self.counters.skipped += 1
            if result.get("review"):
                self.counters.review += 1
            source = result["place"].get("category_source")
            if source == SOURCE_LLM_FAILED:
                self.counters.unhelped += 1
            if status in ("imported", "updated"):
                self.counters.decided(decided_by(source))

    async def _report(self, started: float, first_processed: int) -> None:
        if self.progress is None:
            return
        elapsed = time.monotonic() - started
        done_now = self.processed - first_processed
        remaining = max(self.plan.rows - self.processed, 0)
        eta = elapsed / done_now * remaining if done_now else None
        await self.progress(JobProgress(self.job.id, self.processed, self.plan.rows, self.counters, elapsed, eta))

    async def _finish(self, status: str) -> JobOutcome:
        calls, tokens = await self.db.llm.job_usage(self.job.id)
        out = Path(self.job.file_path).with_suffix(".enriched.xlsx")
        note = self.enricher.gate.stop_reason
        report = await asyncio.to_thread(
            write_job_workbook,
            self.job,
            self.plan,
            self.taxonomy,
            out,
            calls=calls,
            tokens=tokens,
            settings=self.settings,
        )
        categories, review_rows = report.categories.most_common(), report.review_rows
        await self.db.jobs.update_job(
            self.job.id, status=status, result_path=str(out), counters=self.counters.to_json(),
            finished_at=now_iso(), error=note,
        )  # fmt: skip
        return JobOutcome(self.job.id, status, self.counters, out, calls, tokens, note, categories, review_rows)


class _Describer:
    """Descriptions asked as soon as a place's category is known, while other category batches still run.

    With several GigaChat streams this keeps the streams busy across the two kinds of calls instead
    of waiting for the last category answer before the first description is asked.
    """

    def __init__(self, job: ImportJob, places: dict[int, Place], stored: dict[int, PlaceRow]) -> None:
        self.job, self.places, self.stored = job, places, stored
        self.pending: dict[int, tuple[Place, str]] = {}
        self.tasks: list[asyncio.Task[dict[int, DescriptionResult]]] = []

    async def offer(self, found: Mapping[int, CategoryResult | None]) -> None:
        """Rows whose category is now final (None: keep the catalogue's)."""
        if self.job.describe == "none":
            return
        for row, category in found.items():
            place, stored = self.places[row], self.stored.get(row)
            has_text = bool(place.description) or bool(stored and stored.description)
            if self.job.describe == "all" or not has_text:
                chosen = category or _stored_category(stored)
                self.pending[row] = (place, self.job.taxonomy.label(chosen.category, chosen.subcategory))
        while len(self.pending) >= DESCRIPTION_CHUNK:
            rows = list(self.pending)[:DESCRIPTION_CHUNK]
            self._start({row: self.pending.pop(row) for row in rows})

    def _start(self, wanted: dict[int, tuple[Place, str]]) -> None:
        self.tasks.append(asyncio.create_task(self.job.enricher.descriptions(wanted)))

    def cancel(self) -> None:
        """Stop the descriptions still being asked (the batch failed and will be done again)."""
        for task in self.tasks:
            task.cancel()

    async def finish(self) -> None:
        """Ask for the rest, wait for every description and put them on the places."""
        if self.pending:
            self._start(self.pending)
            self.pending = {}
        try:
            written = await asyncio.gather(*self.tasks)
        except BaseException:
            self.cancel()
            await asyncio.gather(*self.tasks, return_exceptions=True)
            raise
        counters = self.job.counters
        for part in written:
            for row, result in part.items():
                self.places[row].description = result.text
                counters.described += 1
                if result.source != "llm":
                    counters.fallback += 1


def _stored_category(stored: PlaceRow | None) -> CategoryResult:
    if stored is None:
        return CategoryResult("other", None, None, 1.0)
    return CategoryResult(stored.category or "other", stored.subcategory, None, 1.0)
