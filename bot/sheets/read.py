"""Opening a workbook of any supported format: the checks first, then calamine or the text reader.

Everything here is blocking; callers run it in a thread.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Generator, Iterator, Sequence
from pathlib import Path

import python_calamine
from python_calamine import CalamineSheet, CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

from bot.sheets.guard import _inspect_cfb, _inspect_zip
from bot.sheets.model import (
    _CALAMINE_SUFFIXES,
    _CELLS_PER_ROW,
    _CFB_MAGIC,
    _SNIFF_BYTES,
    _T,
    _ZIP_MAGIC,
    CellValue,
    Row,
    SheetInfo,
    Workbook,
    WorkbookError,
    _cell,
    _corrupt,
    _encrypted,
    _too_big,
)
from bot.sheets.textfiles import _open_text_file


def open_workbook(
    path: Path,
    *,
    max_bytes: int = 20 * 1024 * 1024,
    max_rows: int = 100_000,
    original_name: str | None = None,
) -> Workbook:
    """Check a spreadsheet file for safety, detect its real format and open it for reading."""
    name = original_name or path.name
    size = path.stat().st_size
    if size == 0:
        raise WorkbookError(
            "empty", f"Файл «{name}» пустой (0 байт).", "Возможно, загрузка прервалась — отправьте файл ещё раз."
        )
    if size > max_bytes:
        raise _too_big(name, size, max_bytes)
    suffix = (Path(name).suffix or path.suffix).lower()
    with path.open("rb") as file:
        head = file.read(_SNIFF_BYTES)
    if head.startswith(_ZIP_MAGIC):
        fmt = _inspect_zip(path, name, size, cell_budget=max(max_rows, 100_000) * _CELLS_PER_ROW)
    elif head.startswith(_CFB_MAGIC):
        fmt = _inspect_cfb(path, name)
    else:
        return _open_text_file(path, name, head, suffix, max_rows)
    source = _CalamineSource(path, fmt, name)
    return Workbook(path, fmt, source, max_rows=max_rows)


# --- calamine formats ---------------------------------------------------------------------------


class _CalamineSource:
    """Sheets read by calamine; visible sheets stay loaded, hidden ones are loaded on demand."""

    def __init__(self, path: Path, fmt: str, name: str) -> None:
        self._name = name
        self._fmt = fmt
        self._loaded: dict[str, CalamineSheet] = {}
        self._closed = False
        self.sheets: list[SheetInfo] = []
        if path.suffix.lower() in _CALAMINE_SUFFIXES[fmt]:
            self._book = self._guard(lambda: CalamineWorkbook.from_path(str(path)))
        else:  # named for another format: let calamine sniff the bytes instead of the extension
            with path.open("rb") as file:
                self._book = self._guard(lambda: CalamineWorkbook.from_filelike(file))
        try:
            self._measure()
        except WorkbookError:
            self.close()
            raise

    def _measure(self) -> None:
        for index, meta in enumerate(self._guard(lambda: self._book.sheets_metadata)):
            if meta.typ != SheetTypeEnum.WorkSheet:
                continue  # chart and dialog sheets hold no cells
            sheet = self._load(meta.name)
            end = sheet.end if sheet.start is not None else None
            rows, columns = (end[0] + 1, end[1] + 1) if end else (0, 0)
            visible = meta.visible == SheetVisibleEnum.Visible
            if visible:
                self._loaded[meta.name] = sheet
            self.sheets.append(SheetInfo(meta.name, index, visible, rows, columns))
        _check_not_empty(self.sheets, self._name)

    def rows(self, sheet: SheetInfo) -> Generator[Row, None, None]:
        if not sheet.rows:
            return
        grid = self._grid(sheet.name)
        start = grid.start
        pad: list[CellValue] = [None] * (start[1] if start else 0)
        width = sheet.columns
        # calamine's iterator yields the blank rows above the data too, so position = row number.
        for number, raw in enumerate(self._guard(grid.iter_rows), start=1):
            values = pad + [_cell(v) for v in raw]
            if len(values) != width:
                values = values[:width] + [None] * (width - len(values))
            yield number, values

    def raw_rows(self, sheet: SheetInfo) -> Iterator[tuple[int, Sequence[object]]]:
        if not sheet.rows:
            return iter(())
        return enumerate(self._guard(self._grid(sheet.name).iter_rows), start=1)

    def merged_ranges(self, sheet: SheetInfo) -> list[tuple[int, int, int, int]]:
        grid = self._grid(sheet.name)
        # None for formats without merges (xlsb, ods); older python-calamine lacks the property.
        ranges = self._guard(lambda: getattr(grid, "merged_cell_ranges", None)) or []
        return [(r0 + 1, c0, r1 + 1, c1) for (r0, c0), (r1, c1) in ranges]

    def close(self) -> None:
        self._closed = True
        self._loaded.clear()
        with contextlib.suppress(python_calamine.WorkbookClosed):
            self._book.close()

    def _grid(self, name: str) -> CalamineSheet:
        if self._closed:
            raise ValueError("the workbook is closed")
        return self._loaded[name] if name in self._loaded else self._load(name)

    def _load(self, name: str) -> CalamineSheet:
        return self._guard(lambda: self._book.get_sheet_by_name(name))

    def _guard(self, call: Callable[[], _T]) -> _T:
        """Run one calamine call; whatever it raises becomes a WorkbookError with the cause kept."""
        try:
            return call()
        except python_calamine.PasswordError as exc:
            raise _encrypted(self._fmt) from exc
        except Exception as exc:
            raise _corrupt(self._name) from exc
        except BaseException as exc:
            # A Rust panic surfaces as pyo3's PanicException, which derives from BaseException.
            if type(exc).__name__ == "PanicException":
                raise _corrupt(self._name) from exc
            raise


def _check_not_empty(sheets: list[SheetInfo], name: str) -> None:
    if any(sheet.rows for sheet in sheets if sheet.visible):
        return
    hidden = [f"«{sheet.name}»" for sheet in sheets if sheet.rows and not sheet.visible]
    if hidden:
        raise WorkbookError(
            "empty",
            f"В книге «{name}» данные есть только на скрытых листах: {', '.join(hidden)}.",
            "Покажите лист (правый клик по ярлыку листа → «Показать») или перенесите данные "
            "на видимый лист и отправьте файл снова.",
        )
    raise WorkbookError(
        "empty", f"В книге «{name}» нет данных: все листы пустые.", "Проверьте, что отправили нужный файл."
    )
