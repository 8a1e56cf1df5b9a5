"""What a finished import gives back: the enriched workbook's contents, the JSONL lines, the summary.

Results are read from the database a page at a time and reduced to what the outputs need, so a
100 000-row job does not hold 100 000 decoded results in memory.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot import texts
from bot.core.config import Settings
from bot.places.enrich import decided_by
from bot.places.plan import Plan
from bot.places.taxonomy import Taxonomy
from bot.sheets import CellValue, SummaryData, write_enriched
from bot.storage.db import Database, JobRow
from bot.storage.jobs import JobRepository

ADDED_HEADERS = ["Категория", "Подкатегория", "Описание", "Статус"]
JSONL_FIELDS = (
    "name", "category", "subcategory", "description", "address", "city", "region", "district", "phone", "email",
    "website", "working_hours", "latitude", "longitude", "rating", "price", "social", "notes", "id",
)  # fmt: skip
INHERITED = ("category", "subcategory", "category_source", "description")


def status_text(result: dict[str, Any]) -> str:
    """The «Статус» cell: imported / updated / duplicate of row N / skipped: reason / check category."""
    status, reason = result["status"], result.get("reason") or ""
    text = texts.ROW_STATUS[status]
    if status == "duplicate" and reason.startswith(text):
        text = reason
    elif reason and status in ("duplicate", "skipped"):
        text = f"{text}: {reason}"
    if result.get("review"):
        text += f"; {texts.ROW_CHECK_CATEGORY}"
    return text


class _Decoder:
    """Decodes row results in file order; a duplicate of an earlier row gets that row's category and description."""

    def __init__(self) -> None:
        self._stored: dict[int, tuple[Any, ...]] = {}

    def __call__(self, status: str, raw: str) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(raw)
        place = data["place"]
        if status in ("imported", "updated"):
            self._stored[data["row"]] = tuple(place.get(name) for name in INHERITED)
        original = self._stored.get(data.get("original_row", -1))
        if original is not None:
            for name, value in zip(INHERITED, original, strict=True):
                if name != "description" or not place.get(name):
                    place[name] = value
        return data


async def decoded_results(db: Database, job_id: int) -> AsyncIterator[dict[str, Any]]:
    """Row results in file order, decoded, a page at a time."""
    decode = _Decoder()
    async for page in db.jobs.iter_job_results(job_id):
        for _, status, _, _, raw in page:
            yield decode(status, raw)


def jsonl_line(data: dict[str, Any]) -> str:
    """One stable JSON object for one data row."""
    place = data["place"]
    obj = {
        "row": data["row"],
        "status": data["status"],
        "reason": data["reason"],
        "place": {
            **{name: place.get(name) for name in JSONL_FIELDS},
            "category_source": place.get("category_source"),
            "extra": place.get("extra") or {},
        },
    }
    return json.dumps(obj, ensure_ascii=False, default=str)


async def write_jsonl(db: Database, job_id: int, path: Path) -> None:
    """Write the JSONL file line by line."""
    stream = await asyncio.to_thread(path.open, "w", encoding="utf-8")
    try:
        batch: list[str] = []
        async for data in decoded_results(db, job_id):
            batch.append(jsonl_line(data) + "\n")
            if len(batch) >= 2000:
                await asyncio.to_thread(stream.writelines, batch)
                batch = []
        await asyncio.to_thread(stream.writelines, batch)
    finally:
        await asyncio.to_thread(stream.close)


@dataclass
class JobReport:
    """The counts and lists the summary needs (small: nothing per imported row)."""

    errors: list[tuple[int, str, str, str]] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    categories: Counter[str] = field(default_factory=Counter)
    review_rows: list[int] = field(default_factory=list)
    unhelped: int = 0  # rows GigaChat answered for but could not categorise
    deciders: Counter[str] = field(default_factory=Counter)  # imported/updated rows by who set the category


def _added_cells(
    job: JobRow, plan: Plan, taxonomy: Taxonomy, report: JobReport, db_path: Path
) -> Iterator[tuple[int, list[CellValue]]]:
    """The four new cells per row, read from the database as the workbook is written; fills `report`."""
    decode = _Decoder()
    name_header = next((c.header for c in plan.columns if c.field == "name"), "")
    for row, status, _, raw in JobRepository.read_job_results(db_path, job.id):
        data = decode(status, raw)
        place = data["place"]
        report.statuses[status] += 1
        if place.get("category_source") == "llm_failed":
            report.unhelped += 1
        category, sub = place.get("category"), place.get("subcategory")
        label = taxonomy.label(category) if category else ""
        sub_label = taxonomy.label(category, sub).split(" / ")[-1] if category and sub else ""
        if status in ("imported", "updated"):
            report.categories[label or taxonomy.label("other")] += 1
            report.deciders[decided_by(place.get("category_source"))] += 1
        if status == "skipped":
            report.errors.append((row, name_header, "", data.get("reason") or ""))
        if data.get("review"):
            report.review_rows.append(row)
            report.errors.append((row, name_header, place.get("name") or "", texts.ROW_CHECK_CATEGORY))
        yield row, [label, sub_label, place.get("description") or "", status_text(data)]


def write_job_workbook(
    job: JobRow, plan: Plan, taxonomy: Taxonomy, out: Path, *, calls: int, tokens: int, settings: Settings
) -> JobReport:
    """Write the enriched workbook (the sheet as it was, four new columns, «Сводка», «Ошибки»); return the counts."""
    report = JobReport()

    def tail() -> tuple[SummaryData, list[tuple[int, str, str, str]]]:
        statuses = report.statuses
        places = statuses.get("imported", 0) + statuses.get("updated", 0)
        summary = SummaryData(
            title=texts.IMPORT_SUMMARY_TITLE.format(file=job.file_name),
            totals=[(texts.ROW_STATUS[s], statuses.get(s, 0)) for s in ("imported", "updated", "duplicate", "skipped")]
            + [(texts.SUMMARY_ROWS, sum(statuses.values())), (texts.SUMMARY_REVIEW, len(report.review_rows))],
            categories=report.categories.most_common(),
            extra=[
                (texts.SUMMARY_CALLS, calls),
                (texts.SUMMARY_TOKENS, tokens),
                (texts.SUMMARY_TOKENS_PER_PLACE, round(tokens / places, 1) if places else 0),
                (texts.SUMMARY_UNHELPED, report.unhelped),
                (texts.SUMMARY_BY_FILE, report.deciders["file"]),
                (texts.SUMMARY_BY_RULES, report.deciders["rules"]),
                (texts.SUMMARY_BY_LLM, report.deciders["llm"]),
                (texts.SUMMARY_BY_CONTEXT, report.deciders["context"]),
                (texts.SUMMARY_BY_NONE, report.deciders["none"]),
            ],
        )
        return summary, report.errors

    write_enriched(
        Path(job.file_path), out, original_name=job.file_name, sheet=plan.sheet, header_row=plan.header_row,
        added_headers=ADDED_HEADERS, added=_added_cells(job, plan, taxonomy, report, settings.database_path),
        tail=tail, max_bytes=settings.max_file_mb * 1024 * 1024, max_rows=settings.max_rows,
    )  # fmt: skip
    return report
