"""Workbooks the tests build: places files with the messiness real ones have."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook

HEADERS = ["Название", "Тип", "Адрес", "Телефон", "Сайт", "Описание"]


def write_xlsx(
    path: Path, rows: Sequence[Sequence[Any]], headers: Sequence[str] = HEADERS, *, title: str | None = None
) -> Path:
    """A one-sheet workbook: optional title row and a blank row, the header, the rows."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Места"
    if title:
        sheet.append([title])
        sheet.append([])
    sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
    for cells in sheet.iter_rows():
        for cell in cells:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # a text cell that looks like a formula, as managers' files have
    book.save(path)
    return path


def write_csv(
    path: Path, rows: Sequence[Sequence[Any]], headers: Sequence[str] = HEADERS, *, encoding: str = "utf-8"
) -> Path:
    """A semicolon-separated CSV, as Russian Excel saves it."""
    with path.open("w", encoding=encoding, newline="") as stream:
        writer = csv.writer(stream, delimiter=";")
        writer.writerow(headers)
        writer.writerows(rows)
    return path


def unknown_places(count: int, start: int = 0) -> list[list[Any]]:
    """Places whose names the keyword rules do not recognise, without descriptions."""
    return [
        [f"Объект {n} «Ромашка-{n}»", "", f"Москва, ул. Тестовая, {n}", f"+7 495 {1000000 + n:07d}", "", ""]
        for n in range(start, start + count)
    ]
