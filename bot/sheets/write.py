"""Writing workbooks (openpyxl, write-only): the enriched import, plain tables, several sheets.

Cells that start like a formula are written as text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import Workbook as OpenpyxlWorkbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Font

from bot.sheets.model import CellValue
from bot.sheets.read import open_workbook

# --- writing (openpyxl, write-only mode) -------------------------------------------------------------

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


@dataclass(frozen=True)
class SummaryData:
    """What goes on the «Сводка» sheet."""

    title: str
    totals: Sequence[tuple[str, int | float | str]]
    categories: Sequence[tuple[str, int]]
    extra: Sequence[tuple[str, int | float | str]]


def _safe(ws: Any, value: CellValue) -> Any:
    """A cell Excel shows as text when a string would otherwise start a formula; numbers stay numbers."""
    if isinstance(value, str):
        text = ILLEGAL_XML.sub("", value)
        if text.startswith(FORMULA_TRIGGERS):
            cell = WriteOnlyCell(ws, value=text)
            cell.data_type = "s"
            return cell
        return text
    return value


def _bold_row(ws: Any, values: list[CellValue]) -> list[Any]:
    cells = []
    for value in values:
        cell = WriteOnlyCell(ws, value=ILLEGAL_XML.sub("", str(value)) if value is not None else None)
        cell.data_type = "s" if isinstance(value, str) else cell.data_type
        cell.font = Font(bold=True)
        cells.append(cell)
    return cells


def _write_summary(book: Any, summary: SummaryData) -> None:
    ws = book.create_sheet("Сводка")
    ws.column_dimensions["A"].width = 42
    ws.column_dimensions["B"].width = 14
    ws.append(_bold_row(ws, [summary.title]))
    ws.append([])
    for label, value in summary.totals:
        ws.append([_safe(ws, label), value])
    ws.append([])
    start = 4 + len(summary.totals) + 1
    ws.append(_bold_row(ws, ["Категория", "Мест"]))
    for label, count in summary.categories:
        ws.append([_safe(ws, label), count])
    if summary.categories:
        chart = BarChart()
        chart.type = "bar"
        chart.title = "Места по категориям"
        chart.legend = None
        chart.height = max(7.5, 0.6 * len(summary.categories))
        data = Reference(ws, min_col=2, min_row=start, max_row=start + len(summary.categories))
        chart.add_data(data, titles_from_data=True)
        chart.set_categories(Reference(ws, min_col=1, min_row=start + 1, max_row=start + len(summary.categories)))
        ws.add_chart(chart, "D2")
    ws.append([])
    for label, value in summary.extra:
        ws.append([_safe(ws, label), _safe(ws, value) if isinstance(value, str) else value])


def write_enriched(
    source: Path,
    out: Path,
    *,
    original_name: str,
    sheet: str,
    header_row: int,
    added_headers: list[str],
    added: Iterable[tuple[int, list[CellValue]]],
    tail: Callable[[], tuple[SummaryData, list[tuple[int, str, str, str]]]],
    max_bytes: int,
    max_rows: int,
) -> None:
    """The sheet as it was (every row, so row numbers match), new columns appended, then «Сводка» and «Ошибки».

    `added` yields (row, new cells) in ascending row order and is merged with the source as both
    stream by, so nothing per row is held in memory; `tail` is called afterwards for the summary.
    """
    book = OpenpyxlWorkbook(write_only=True)
    ws = book.create_sheet(sheet[:31] or "Места")
    pending = iter(added)
    upcoming = next(pending, None)
    with open_workbook(source, max_bytes=max_bytes, max_rows=max_rows, original_name=original_name) as workbook:
        width = next(s.columns for s in workbook.sheets if s.name == sheet)
        for number, values in workbook.iter_rows(sheet):
            row = [_safe(ws, v) for v in values[:width]] + [None] * (width - len(values))
            while upcoming is not None and upcoming[0] < number:
                upcoming = next(pending, None)
            if number == header_row:
                row += _bold_row(ws, list(added_headers))
            elif upcoming is not None and upcoming[0] == number:
                row += [_safe(ws, v) for v in upcoming[1]]
            ws.append(row)
    for _ in pending:  # let the producer finish its bookkeeping
        pass
    summary, errors = tail()
    _write_summary(book, summary)
    errors_ws = book.create_sheet("Ошибки")
    errors_ws.append(_bold_row(errors_ws, ["Строка", "Колонка", "Значение", "Причина"]))
    for number, column, value, reason in errors:
        errors_ws.append([number, _safe(errors_ws, column), _safe(errors_ws, value), _safe(errors_ws, reason)])
    out.parent.mkdir(parents=True, exist_ok=True)
    book.save(out)


def write_table(
    out: Path, *, sheet: str, headers: list[str], rows: Iterable[list[CellValue]], summary: SummaryData | None = None
) -> None:
    """A plain table (catalogue export, template), escaped against formula injection."""
    book = OpenpyxlWorkbook(write_only=True)
    ws = book.create_sheet(sheet[:31])
    ws.append(_bold_row(ws, list(headers)))
    for values in rows:
        ws.append([_safe(ws, v) for v in values])
    if summary is not None:
        _write_summary(book, summary)
    out.parent.mkdir(parents=True, exist_ok=True)
    book.save(out)


def write_sheets(out: Path, sheets: Sequence[tuple[str, list[str], Iterable[list[CellValue]]]]) -> None:
    """Several plain tables in one book (name, headers, rows per sheet), escaped against formula injection."""
    book = OpenpyxlWorkbook(write_only=True)
    for name, headers, rows in sheets:
        ws = book.create_sheet(name[:31])
        ws.append(_bold_row(ws, list(headers)))
        for values in rows:
            ws.append([_safe(ws, v) for v in values])
    out.parent.mkdir(parents=True, exist_ok=True)
    book.save(out)
