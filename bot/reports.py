"""What a finished import gives back: the enriched workbook's contents, the JSONL lines, the summary."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bot import texts
from bot.config import Settings
from bot.excel import SummaryData, write_enriched
from bot.places import Plan
from bot.storage import JobRow
from bot.taxonomy import Taxonomy

ADDED_HEADERS = ["Категория", "Подкатегория", "Описание", "Статус"]
JSONL_FIELDS = (
    "name", "category", "subcategory", "description", "address", "city", "region", "district", "phone", "email",
    "website", "working_hours", "latitude", "longitude", "rating", "price", "social", "notes", "id",
)  # fmt: skip


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


Results = list[tuple[int, str, str | None, int | None, str]]


def decoded(results: Results) -> list[dict[str, Any]]:
    """Row results as dicts; a duplicate of an earlier row shows that row's category and description."""
    rows = [json.loads(raw) for _, _, _, _, raw in results]
    by_row = {r["row"]: r for r in rows}
    for data in rows:
        original = by_row.get(data.get("original_row", -1))
        if original is not None:
            for name in ("category", "subcategory", "category_source", "description"):
                if not data["place"].get(name) or name != "description":
                    data["place"][name] = original["place"].get(name)
    return rows


def jsonl_lines(results: Results) -> Iterator[str]:
    """One stable JSON object per data row, in file order."""
    for data in decoded(results):
        row, status, reason = data["row"], data["status"], data["reason"]
        place = data["place"]
        obj = {
            "row": row,
            "status": status,
            "reason": reason,
            "place": {
                **{name: place.get(name) for name in JSONL_FIELDS},
                "category_source": place.get("category_source"),
                "extra": place.get("extra") or {},
            },
        }
        yield json.dumps(obj, ensure_ascii=False, default=str)


def category_counts(
    results: list[tuple[int, str, str | None, int | None, str]], taxonomy: Taxonomy
) -> list[tuple[str, int]]:
    """Places per category label among imported and updated rows, biggest first."""
    counts: Counter[str] = Counter()
    for _, status, _, _, raw in results:
        if status in ("imported", "updated"):
            place = json.loads(raw)["place"]
            counts[taxonomy.label(place.get("category") or "other")] += 1
    return counts.most_common()


def write_job_workbook(
    job: JobRow,
    plan: Plan,
    results: list[tuple[int, str, str | None, int | None, str]],
    out: Path,
    taxonomy: Taxonomy,
    *,
    calls: int,
    tokens: int,
    settings: Settings,
) -> tuple[list[tuple[str, int]], list[int]]:
    """Write the enriched workbook; return the category counts and the rows to check."""
    added: dict[int, list[Any]] = {}
    errors: list[tuple[int, str, str, str]] = []
    statuses: Counter[str] = Counter()
    review_rows: list[int] = []
    name_header = next((c.header for c in plan.columns if c.field == "name"), "")
    for data in decoded(results):
        row, status, place = data["row"], data["status"], data["place"]
        statuses[status] += 1
        category = place.get("category")
        label = taxonomy.label(category) if category else ""
        sub = taxonomy.label(category, place.get("subcategory")).split(" / ")[-1] if place.get("subcategory") else ""
        added[row] = [label, sub, place.get("description") or "", status_text(data)]
        if status == "skipped":
            errors.append((row, name_header, "", data.get("reason") or ""))
        if data.get("review"):
            review_rows.append(row)
            errors.append((row, name_header, place.get("name") or "", texts.ROW_CHECK_CATEGORY))
    categories = category_counts(results, taxonomy)
    summary = SummaryData(
        title=texts.IMPORT_SUMMARY_TITLE.format(file=job.file_name),
        totals=[(texts.ROW_STATUS[s], statuses.get(s, 0)) for s in ("imported", "updated", "duplicate", "skipped")]
        + [(texts.SUMMARY_ROWS, len(results)), (texts.SUMMARY_REVIEW, len(review_rows))],
        categories=categories,
        extra=[(texts.SUMMARY_CALLS, calls), (texts.SUMMARY_TOKENS, tokens)],
    )
    write_enriched(
        Path(job.file_path), out, original_name=job.file_name, sheet=plan.sheet, header_row=plan.header_row,
        added_headers=ADDED_HEADERS, added=added, summary=summary, errors=errors,
        max_bytes=settings.max_file_mb * 1024 * 1024, max_rows=settings.max_rows,
    )  # fmt: skip
    return categories, review_rows
