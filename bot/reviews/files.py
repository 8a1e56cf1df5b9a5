"""Files of reviews: reading (.xlsx/.xls/.ods/.csv, or .txt with one review per line) and the enriched book.

Columns are recognised by their header (place, text, rating, author, date) through a small alias
table; a sheet without a recognisable header is read as data, and the column with the longest
texts is taken as the reviews. Everything here is blocking; callers run it in a thread.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bot import texts
from bot.core.errors import UserFacingError
from bot.core.text import normalize_header
from bot.reviews.analysis import ReviewAnalysis, ReviewInput
from bot.reviews.summary import aggregate, template_summary
from bot.sheets import CellValue, open_workbook, write_sheets

HEAD_ROWS = 10
REVIEW_FIELDS = ("place", "text", "rating", "author", "date")
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "place": ("место", "place", "заведение", "название", "название места", "объект", "организация", "локация",
              "venue", "name", "ресторан", "кафе", "отель", "музей", "place name"),
    "text": ("текст", "отзыв", "text", "review", "текст отзыва", "комментарий", "comment", "содержание",
             "сообщение", "отзывы", "review text", "feedback", "мнение"),
    "rating": ("оценка", "рейтинг", "rating", "звезды", "stars", "балл", "баллы", "score", "оценка 1 5"),
    "author": ("автор", "author", "имя", "пользователь", "user", "клиент", "гость", "от кого", "username"),
    "date": ("дата", "date", "дата отзыва", "создан", "время", "created", "created at", "когда", "datetime"),
}  # fmt: skip
_ALIAS_FIELD = {alias: name for name, aliases in COLUMN_ALIASES.items() for alias in aliases}


@dataclass
class ReviewTable:
    """The reviews of a file: the original table and what each row says."""

    headers: list[str]
    rows: list[list[CellValue]]
    columns: dict[str, int]
    inputs: list[ReviewInput] = field(default_factory=list)


def field_of(header: object) -> str | None:
    """The review field a header names, if any."""
    text = normalize_header(header)
    if text in _ALIAS_FIELD:
        return _ALIAS_FIELD[text]
    for name, aliases in COLUMN_ALIASES.items():
        if any(alias in text.split() for alias in aliases if " " not in alias):
            return name
    return None


def _header_map(values: Sequence[CellValue]) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, value in enumerate(values):
        name = field_of(value) if isinstance(value, str) and len(value) <= 60 else None
        if name and name not in found:
            found[name] = index
    return found


def _parse_rating(value: CellValue) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    match = re.search(r"\d+(?:[.,]\d+)?", str(value))
    if not match:
        return None
    number = float(match.group(0).replace(",", "."))
    return max(1, min(5, round(number))) if 0 < number <= 5 else None


def _text(value: CellValue) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def read_reviews(path: Path, *, original_name: str, max_bytes: int, max_rows: int) -> ReviewTable:
    """Read a file of reviews; raise a UserFacingError that says what is wrong with it."""
    if Path(original_name).suffix.lower() == ".txt":
        return _read_lines(path, original_name)
    with open_workbook(path, max_bytes=max_bytes, max_rows=max_rows, original_name=original_name) as book:
        sheet = book.visible_sheets()[0].name
        rows = [list(values) for _, values in book.iter_rows(sheet) if any(v not in (None, "") for v in values)]
    if not rows:
        raise UserFacingError(texts.REVIEWS_FILE_EMPTY.format(file=original_name))
    header_at, columns = _find_header(rows[:HEAD_ROWS])
    headers = [str(v or "") for v in rows[header_at]] if header_at >= 0 else []
    data = rows[header_at + 1 :]
    if "text" not in columns:
        columns["text"] = _longest_column(data)
    width = max(len(r) for r in rows)
    if not headers:
        headers = [texts.REVIEWS_SHEET if i == columns["text"] else f"{i + 1}" for i in range(width)]
    table = ReviewTable(headers + [""] * (width - len(headers)), [], columns)
    for row in data:
        row = row + [None] * (width - len(row))
        text = _text(row[columns["text"]])
        if text is None:
            continue
        table.rows.append(row)
        table.inputs.append(
            ReviewInput(
                text=text,
                stated_rating=_parse_rating(row[columns["rating"]]) if "rating" in columns else None,
                place=_text(row[columns["place"]]) if "place" in columns else None,
                author=_text(row[columns["author"]]) if "author" in columns else None,
                date=_text(row[columns["date"]]) if "date" in columns else None,
            )
        )
    if not table.inputs:
        raise UserFacingError(texts.REVIEWS_FILE_NO_TEXT.format(file=original_name))
    return table


def _find_header(head: list[list[CellValue]]) -> tuple[int, dict[str, int]]:
    """The first row naming at least two review fields (or the text): its number and the columns."""
    for number, row in enumerate(head):
        found = _header_map(row)
        if len(found) >= 2 or "text" in found:
            return number, found
    return -1, {}


def _longest_column(rows: list[list[CellValue]]) -> int:
    totals: defaultdict[int, int] = defaultdict(int)
    for row in rows[:200]:
        for index, value in enumerate(row):
            if isinstance(value, str):
                totals[index] += len(value)
    if not totals:
        raise UserFacingError(texts.REVIEWS_FILE_NO_TEXT.format(file=""))
    return max(totals, key=totals.__getitem__)


def _read_lines(path: Path, name: str) -> ReviewTable:
    raw = path.read_bytes()
    try:
        content = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        content = raw.decode("cp1251", errors="replace")
    lines = [line.strip() for line in content.splitlines() if line.strip()]
    if not lines:
        raise UserFacingError(texts.REVIEWS_FILE_EMPTY.format(file=name))
    table = ReviewTable([texts.REVIEWS_SHEET], [[line] for line in lines], {"text": 0})
    table.inputs = [ReviewInput(text=line) for line in lines]
    return table


def _aspects_cell(analysis: ReviewAnalysis) -> str:
    return "; ".join(
        f"{texts.ASPECT_LABELS[name]} {texts.POLARITY_MARKS[hit.polarity]} «{hit.evidence}»"
        for name, hit in analysis.aspects.items()
    )


def analysis_cells(analysis: ReviewAnalysis) -> list[CellValue]:
    """The columns added to every review row."""
    return [
        texts.SENTIMENT_LABELS[analysis.sentiment].split(" ", 1)[1],
        analysis.score,
        analysis.rating,
        analysis.summary,
        "\n".join(analysis.pros),
        "\n".join(analysis.cons),
        _aspects_cell(analysis),
        texts.VERDICT_SHORT[analysis.verdict],
        ", ".join(texts.reason_label(r, analysis.similar_to) for r in analysis.reasons),
        analysis.masked_text,
        texts.SOURCE_LABELS[analysis.source],
    ]


def places_rows(
    inputs: Sequence[ReviewInput], analyses: Sequence[ReviewAnalysis], bound: dict[str, str]
) -> list[list[CellValue]]:
    """The «По местам» sheet: one row of aggregates per place named in the file."""
    groups: defaultdict[str, list[ReviewAnalysis]] = defaultdict(list)
    for review, analysis in zip(inputs, analyses, strict=True):
        groups[review.place or texts.NO_PLACE].append(analysis)
    rows: list[list[CellValue]] = []
    for place, group in sorted(groups.items(), key=lambda item: (-len(item[1]), item[0])):
        agg = aggregate(group)
        rows.append([
            place, bound.get(place, ""), agg.count, agg.stated_average, agg.estimated_average,
            agg.sentiments["positive"], agg.sentiments["neutral"], agg.sentiments["negative"], agg.sentiments["mixed"],
            agg.verdicts["approve"], agg.verdicts["needs_review"], agg.verdicts["reject"],
            "; ".join(f"{text} ({n})" for text, n in agg.top_pros[:3]),
            "; ".join(f"{text} ({n})" for text, n in agg.top_cons[:3]),
            template_summary(agg),
        ])  # fmt: skip
    return rows


def write_reviews_book(
    out: Path, table: ReviewTable, analyses: Sequence[ReviewAnalysis], bound: dict[str, str]
) -> None:
    """The enriched book: the reviews with analysis columns, then «По местам»."""
    headers = [*table.headers, *texts.REVIEWS_ADDED_HEADERS]
    rows = [[*row, *analysis_cells(a)] for row, a in zip(table.rows, analyses, strict=True)]
    write_sheets(
        out,
        [
            (texts.REVIEWS_SHEET, headers, rows),
            (texts.PLACES_SHEET, list(texts.PLACES_SHEET_HEADERS), places_rows(table.inputs, analyses, bound)),
        ],
    )
