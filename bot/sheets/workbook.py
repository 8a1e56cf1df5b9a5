"""Spreadsheets in and out: every supported format read as one stream of numbered rows.

Reading: python-calamine reads .xlsx/.xlsm/.xlsb/.xls/.ods, the csv module reads .csv/.txt after
the encoding and the delimiter are detected. Before any parser touches a file, its size, its real
kind (by magic bytes, whatever its name says) and, for zip-based formats, its unpacked size and the
area of every sheet are checked, because calamine holds a whole sheet in memory and a stray cell at
XFD1048576 would make it allocate hundreds of gigabytes and abort the process.

Everything here is blocking; callers run it in a thread.
"""

from __future__ import annotations

import codecs
import contextlib
import copy
import csv
import datetime as dt
import html
import io
import math
import re
import struct
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, Protocol, TypeVar

import python_calamine
from openpyxl import Workbook as OpenpyxlWorkbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Font
from python_calamine import CalamineSheet, CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

from bot.core.errors import UserFacingError

CellValue = str | int | float | bool | None
_T = TypeVar("_T")
Row = tuple[int, list[CellValue]]
ErrorCode = Literal[
    "too_big", "zip_bomb", "too_many_rows", "encrypted", "not_spreadsheet", "unsupported", "empty", "corrupt"
]

SUPPORTED_EXTENSIONS = (".xlsx", ".xlsm", ".xlsb", ".xls", ".ods", ".csv", ".txt")

MAX_ZIP_ENTRIES = 10_000
# Title and header rows above the data are counted as non-empty rows too; they are not data.
HEADER_ALLOWANCE = 30
MAX_UNPACKED_BYTES = 1 << 30
MAX_UNPACK_RATIO = 200
# Below this many unpacked bytes a high ratio cannot hurt, and tiny workbooks do compress well.
_RATIO_FLOOR = 10 << 20
# calamine keeps a sheet as a dense grid of ~32-byte cells; this many columns per allowed row is
# far beyond any real catalogue and still bounds the grid to a few hundred megabytes.
_CELLS_PER_ROW = 100

_SNIFF_BYTES = 8192
_CHUNK = 1 << 20
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_FIX_SEND_TABLE = "Бот читает только таблицы: пришлите файл Excel (.xlsx, .xls, .xlsb, .ods) или CSV."
_FIX_UNPACK = "Распакуйте архив и пришлите саму таблицу (.xlsx или .csv)."
# calamine picks its reader by the file's extension; these are the ones it reads each format by.
_CALAMINE_SUFFIXES = {
    "xlsx": {".xlsx", ".xlsm"},
    "xlsm": {".xlsx", ".xlsm"},
    "xlsb": {".xlsb"},
    "xls": {".xls"},
    "ods": {".ods"},
}


class WorkbookError(UserFacingError):
    """A file we cannot read; `code` says why, the message says it in Russian."""

    def __init__(self, code: ErrorCode, message: str, fix: str | None = None) -> None:
        super().__init__(message, fix)
        self.code: str = code


@dataclass(frozen=True)
class SheetInfo:
    """One worksheet: rows and columns count from A1, so the last row's number equals `rows`."""

    name: str
    index: int
    visible: bool
    rows: int
    columns: int


class _Source(Protocol):
    sheets: list[SheetInfo]

    def rows(self, sheet: SheetInfo) -> Generator[Row, None, None]: ...

    def merged_ranges(self, sheet: SheetInfo) -> list[tuple[int, int, int, int]]: ...

    def close(self) -> None: ...


class Workbook:
    """An open spreadsheet: its sheets and a numbered row stream for each. Close it when done."""

    def __init__(
        self,
        path: Path,
        fmt: str,
        source: _Source,
        *,
        max_rows: int,
        encoding: str | None = None,
        delimiter: str | None = None,
    ) -> None:
        self.path = path
        self.format = fmt
        self.sheets = source.sheets
        self.encoding = encoding
        self.delimiter = delimiter
        self._source = source
        self._max_rows = max_rows

    def visible_sheets(self) -> list[SheetInfo]:
        """Return the sheets a user sees in Excel, in workbook order."""
        return [sheet for sheet in self.sheets if sheet.visible]

    def iter_rows(self, sheet: str) -> Iterator[Row]:
        """Yield (row number as Excel shows it, values) for every row, blank ones included."""
        return self._limited(self._sheet(sheet))

    def head(self, sheet: str, n: int = 30) -> list[Row]:
        """Return the first `n` rows without reading the rest."""
        rows = self._source.rows(self._sheet(sheet))
        try:
            return list(islice(rows, n))
        finally:
            rows.close()

    def merged_ranges(self, sheet: str) -> list[tuple[int, int, int, int]]:
        """Return (first_row, first_col, last_row, last_col) per merged range: rows from 1, columns from 0."""
        return self._source.merged_ranges(self._sheet(sheet))

    def close(self) -> None:
        self._source.close()

    def __enter__(self) -> Workbook:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _sheet(self, name: str) -> SheetInfo:
        for info in self.sheets:
            if info.name == name:
                return info
        raise KeyError(f"no sheet named {name!r} in {self.path.name}")

    def _limited(self, info: SheetInfo) -> Iterator[Row]:
        data_rows = 0
        for number, values in self._source.rows(info):
            if _has_data(values):
                data_rows += 1
                if data_rows > self._max_rows + HEADER_ALLOWANCE:
                    raise _too_many_rows(info.name, self._max_rows)
            yield number, values


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


# --- cell values --------------------------------------------------------------------------------


def _cell(value: object) -> CellValue:
    """Normalise one calamine value: dates to text, whole floats to int, empty to None."""
    if isinstance(value, str):
        return value.replace("\r\n", "\n") if value else None
    if isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() and abs(value) < 1e16 else value
    if isinstance(value, dt.datetime):
        return _format_datetime(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return _format_clock(_round_to_second(dt.datetime.combine(dt.date(2000, 1, 1), value)).time())
    if isinstance(value, dt.timedelta):
        return _format_duration(value)
    return None if value is None else str(value)


def _round_to_second(value: dt.datetime) -> dt.datetime:
    # Excel stores times as fractions of a day, so 10:30 often arrives as 10:29:59.999.
    if value.microsecond >= 500_000 and value < dt.datetime.max - dt.timedelta(seconds=1):
        value += dt.timedelta(seconds=1)
    return value.replace(microsecond=0)


def _format_datetime(value: dt.datetime) -> str:
    value = _round_to_second(value)
    if value.time() == dt.time(0):
        return value.date().isoformat()
    return f"{value.date().isoformat()} {_format_clock(value.time())}"


def _format_clock(value: dt.time) -> str:
    return value.strftime("%H:%M:%S" if value.second else "%H:%M")


def _format_duration(value: dt.timedelta) -> str:
    seconds = round(value.total_seconds())
    sign, seconds = ("-" if seconds < 0 else ""), abs(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{sign}{hours}:{minutes:02d}" + (f":{seconds:02d}" if seconds else "")


def _has_data(values: list[CellValue]) -> bool:
    return any(v is not None and not (isinstance(v, str) and not v.strip()) for v in values)


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


# --- zip-based formats --------------------------------------------------------------------------


def _inspect_zip(path: Path, name: str, size: int, *, cell_budget: int) -> str:
    """Return the workbook format inside a zip, after checking it cannot blow up on unpacking."""
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            limit = min(MAX_UNPACKED_BYTES, max(MAX_UNPACK_RATIO * size, _RATIO_FLOOR))
            if len(infos) > MAX_ZIP_ENTRIES:
                raise _zip_bomb(name, f"в нём {_count(len(infos))} вложенных файлов")
            _check_unpacked(name, size, sum(info.file_size for info in infos), limit)
            fmt = _zip_kind(archive, name)
            if any(info.flag_bits & 0x1 for info in infos):
                raise _encrypted(fmt)
            extents = _unpack_and_count(archive, infos, name, size, limit)
            _check_extents(archive, fmt, extents, name, cell_budget)
            return fmt
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        zlib.error,
        EOFError,
        NotImplementedError,
        ValueError,
    ) as exc:
        raise _corrupt(name) from exc


def _zip_kind(archive: zipfile.ZipFile, name: str) -> str:
    names = set(archive.namelist())
    if "xl/workbook.xml" in names:
        types = _read_member(archive, "[Content_Types].xml")
        return "xlsm" if b"macroEnabled.main" in types or "xl/vbaProject.bin" in names else "xlsx"
    if "xl/workbook.bin" in names:
        return "xlsb"
    mimetype = _read_member(archive, "mimetype").strip() if "mimetype" in names else b""
    if mimetype == b"application/vnd.oasis.opendocument.spreadsheet":
        if b"encryption-data" in _read_member(archive, "META-INF/manifest.xml"):
            raise _encrypted("ods")
        return "ods"
    if mimetype.startswith(b"application/vnd.oasis.opendocument"):
        raise _not_spreadsheet(name, "документ OpenDocument, но не таблица", _FIX_SEND_TABLE)
    if "word/document.xml" in names:
        raise _not_spreadsheet(name, "документ Word", _FIX_SEND_TABLE)
    if "ppt/presentation.xml" in names:
        raise _not_spreadsheet(name, "презентация PowerPoint", _FIX_SEND_TABLE)
    if "[Content_Types].xml" in names:
        raise _not_spreadsheet(name, "документ Office, но не книга Excel", _FIX_SEND_TABLE)
    raise _not_spreadsheet(name, "ZIP-архив", _FIX_UNPACK)


def _read_member(archive: zipfile.ZipFile, member: str, limit: int = _CHUNK) -> bytes:
    try:
        with archive.open(member) as file:
            return file.read(limit)
    except KeyError:
        return b""


def _unpack_and_count(
    archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo], name: str, size: int, limit: int
) -> dict[str, tuple[int, int, str]]:
    """Unpack every entry counting the real bytes (headers can lie); return each sheet's extent."""
    total = 0
    extents: dict[str, tuple[int, int, str]] = {}
    for info in infos:
        if info.is_dir():
            continue
        probe = copy.copy(info)
        # zipfile stops (and checks the CRC) at the declared size: let it read past the limit instead.
        probe.file_size = limit - total + 2 * _CHUNK
        with archive.open(probe) as member:
            first = True
            while chunk := member.read(_CHUNK):
                extent = _sheet_extent(info.filename, chunk) if first else None
                if extent:
                    extents[info.filename] = extent
                first = False
                total += len(chunk)
                if total > limit:
                    _check_unpacked(name, size, total, limit)
    return extents


def _check_unpacked(name: str, size: int, unpacked: int, limit: int) -> None:
    if unpacked <= limit:
        return
    ratio = unpacked // max(size, 1)
    raise _zip_bomb(name, f"распакованный, он занял бы больше {_mb(limit)} МБ — в {ratio} раз больше самого файла")


_XML_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="([A-Z]{1,3})(\d{1,7})(?::([A-Z]{1,3})(\d{1,7}))?"')


def _sheet_extent(member: str, head: bytes) -> tuple[int, int, str] | None:
    """Return (rows, columns, last cell) a sheet part declares, from its first unpacked bytes."""
    if not member.startswith("xl/worksheets/"):
        return None
    if member.endswith(".xml"):
        match = _XML_DIMENSION.search(head)
        if not match:
            return None
        first_col, first_row, last_col, last_row = match.groups()
        last_col, last_row = last_col or first_col, last_row or first_row
        rows = int(last_row) - int(first_row) + 1
        columns = _column_number(last_col.decode()) - _column_number(first_col.decode()) + 1
        return rows, columns, f"{last_col.decode()}{int(last_row)}"
    if member.endswith(".bin"):
        return _xlsb_extent(head)
    return None


def _xlsb_extent(head: bytes) -> tuple[int, int, str] | None:
    """Read BrtWsDim, the record an .xlsb sheet starts with that states its used range."""
    try:
        return _read_xlsb_dimension(head)
    except (IndexError, struct.error):
        return None


def _read_xlsb_dimension(head: bytes) -> tuple[int, int, str] | None:
    pos = 0
    while pos < len(head) - 2:
        kind = head[pos]
        pos += 1
        if kind & 0x80:
            kind = (kind & 0x7F) | ((head[pos] & 0x7F) << 7)
            pos += 1
        length = shift = 0
        for _ in range(4):
            byte = head[pos]
            pos += 1
            length |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                break
        if kind == 0x94 and length >= 16 and pos + 16 <= len(head):
            first_row, last_row, first_col, last_col = struct.unpack_from("<4I", head, pos)
            return (
                last_row - first_row + 1,
                last_col - first_col + 1,
                f"{_column_letters(last_col)}{last_row + 1}",
            )
        if kind == 0x91:  # BrtBeginSheetData: the cells start, no dimension came
            return None
        pos += length
    return None


def _check_extents(
    archive: zipfile.ZipFile, fmt: str, extents: dict[str, tuple[int, int, str]], name: str, budget: int
) -> None:
    for member, (rows, columns, last_cell) in extents.items():
        if rows * columns <= budget:
            continue
        sheet = _xlsx_sheet_names(archive).get(member) if fmt in {"xlsx", "xlsm"} else None
        where = f"На листе «{sheet}»" if sheet else "На одном из листов"
        raise WorkbookError(
            "too_big",
            f"{where} книги «{name}» заполненная область растянута до ячейки {last_cell} — это "
            f"{_count(rows * columns)} ячеек, бот не удержит их в памяти.",
            "Скорее всего, далеко справа или внизу есть случайное значение. Нажмите Ctrl+End на листе, "
            "чтобы найти последнюю ячейку, удалите лишние строки и столбцы, сохраните и отправьте снова.",
        )


_XML_TAG_ATTRS = re.compile(r'([\w:]+)="([^"]*)"')


def _xlsx_sheet_names(archive: zipfile.ZipFile) -> dict[str, str]:
    """Map worksheet parts (xl/worksheets/sheet1.xml) to sheet names, for messages only."""
    rels = _read_member(archive, "xl/_rels/workbook.xml.rels").decode("utf-8", "replace")
    targets: dict[str, str] = {}
    for tag in re.findall(r"<Relationship\b[^>]*>", rels):
        attrs = dict(_XML_TAG_ATTRS.findall(tag))
        target = attrs.get("Target", "")
        targets[attrs.get("Id", "")] = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    workbook = _read_member(archive, "xl/workbook.xml", 4 * _CHUNK).decode("utf-8", "replace")
    names: dict[str, str] = {}
    for tag in re.findall(r"<(?:\w+:)?sheet\b[^>]*>", workbook):
        attrs = dict(_XML_TAG_ATTRS.findall(tag))
        rel = next((value for key, value in attrs.items() if key.endswith(":id")), "")
        if rel in targets and "name" in attrs:
            names[targets[rel]] = html.unescape(attrs["name"])
    return names


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - ord("A") + 1
    return number


def _column_letters(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


# --- OLE2 compound files (.xls, encrypted OOXML) ------------------------------------------------


def _inspect_cfb(path: Path, name: str) -> str:
    """Tell an old .xls from a password-protected workbook or another Office document."""
    names = {entry.casefold() for entry in _cfb_names(path)}
    if not names:  # the directory did not parse: look for the stream names themselves
        with path.open("rb") as file:
            head = file.read(64 * 1024)
        names = {n.casefold() for n in _CFB_KNOWN if n.encode("utf-16-le") in head}
    if names & {"encryptedpackage", "encryptioninfo"}:
        raise _encrypted("xlsx")
    if names & {"workbook", "book"} or not names:
        return "xls"  # calamine decides; if it cannot read it, the file is corrupt
    if "worddocument" in names:
        raise _not_spreadsheet(name, "документ Word", _FIX_SEND_TABLE)
    if "powerpoint document" in names:
        raise _not_spreadsheet(name, "презентация PowerPoint", _FIX_SEND_TABLE)
    raise _not_spreadsheet(name, "файл Microsoft Office, но не книга Excel", _FIX_SEND_TABLE)


_CFB_KNOWN = ("EncryptedPackage", "EncryptionInfo", "Workbook", "Book", "WordDocument")
_CFB_END = 0xFFFFFFFA  # sector numbers from here on are markers, not sectors


def _cfb_names(path: Path) -> set[str]:
    """Return the stream and storage names of a compound file's directory; empty if unreadable."""
    try:
        return _read_cfb_directory(path)
    except (struct.error, IndexError):
        return set()


def _read_cfb_directory(path: Path) -> set[str]:
    with path.open("rb") as file:
        header = file.read(512)
        if len(header) < 512:
            return set()
        shift = struct.unpack_from("<H", header, 30)[0]
        if shift not in (9, 12):
            return set()
        sector_size = 1 << shift
        max_sectors = path.stat().st_size // sector_size + 1

        def sector(number: int) -> tuple[int, ...]:
            file.seek((number + 1) * sector_size)
            data = file.read(sector_size)
            return struct.unpack(f"<{len(data) // 4}I", data[: len(data) // 4 * 4])

        fat_count, dir_start = struct.unpack_from("<II", header, 44)
        difat_next, difat_count = struct.unpack_from("<II", header, 68)
        fat_sectors = list(struct.unpack_from("<109I", header, 76))
        for _ in range(min(difat_count, max_sectors)):
            if difat_next >= _CFB_END:
                break
            *more, difat_next = sector(difat_next) or (_CFB_END,)
            fat_sectors += more
        fat: list[int] = []
        for number in fat_sectors[: min(fat_count, max_sectors)]:
            if number < _CFB_END:
                fat += sector(number)
        names: set[str] = set()
        seen: set[int] = set()
        current = dir_start
        while current < _CFB_END and current not in seen and len(seen) < max_sectors:
            seen.add(current)
            file.seek((current + 1) * sector_size)
            block = file.read(sector_size)
            for offset in range(0, len(block) - 127, 128):
                length, kind = struct.unpack_from("<HB", block, offset + 64)
                if 2 <= length <= 64 and kind in (1, 2, 5):
                    names.add(block[offset : offset + length - 2].decode("utf-16-le", "replace"))
            current = fat[current] if current < len(fat) else _CFB_END
        return names


# --- text files ---------------------------------------------------------------------------------

_TEXT_CONTROL = frozenset(range(32)) - {9, 10, 12, 13, 26}
_FOREIGN_MAGIC = (
    (b"%PDF", "PDF-документ", _FIX_SEND_TABLE),
    (b"\xff\xd8\xff", "картинка JPEG", _FIX_SEND_TABLE),
    (b"\x89PNG\r\n\x1a\n", "картинка PNG", _FIX_SEND_TABLE),
    (b"GIF8", "картинка GIF", _FIX_SEND_TABLE),
    (b"Rar!\x1a\x07", "архив RAR", _FIX_UNPACK),
    (b"7z\xbc\xaf\x27\x1c", "архив 7-Zip", _FIX_UNPACK),
    (b"\x1f\x8b", "архив GZIP", _FIX_UNPACK),
    (b"{\\rtf", "документ RTF", _FIX_SEND_TABLE),
)


def _open_text_file(path: Path, name: str, head: bytes, suffix: str, max_rows: int) -> Workbook:
    """Open what is not a zip or compound file: CSV/TXT, or explain what else it is."""
    _reject_foreign(head, name)
    if not _looks_like_text(head):
        if suffix in SUPPORTED_EXTENSIONS:
            raise _corrupt(name)
        raise _unsupported(name)
    if suffix in {".xlsx", ".xlsm", ".xlsb", ".ods"}:
        raise _not_spreadsheet(
            name,
            "обычный текст (CSV), а не книга Excel",
            "Переименуйте файл в .csv или откройте его в Excel и сохраните как «Книга Excel (.xlsx)».",
        )
    # A CSV named .xls is a common export bug, so .xls text is read as CSV like .csv and .txt.
    require_columns = suffix not in {".csv", ".txt", ".xls"}
    source = _CsvSource(path, name, max_rows, require_columns=require_columns)
    return Workbook(path, "csv", source, max_rows=max_rows, encoding=source.encoding, delimiter=source.delimiter)


def _reject_foreign(head: bytes, name: str) -> None:
    for magic, what, fix in _FOREIGN_MAGIC:
        if head.startswith(magic):
            raise _not_spreadsheet(name, what, fix)
    if head[8:12] == b"WEBP" or head[4:12] in {b"ftypheic", b"ftypmif1"}:
        raise _not_spreadsheet(name, "картинка", _FIX_SEND_TABLE)
    text = _decode_head(head).lstrip().lower()
    # Only the start counts: catalogue descriptions in a CSV may well contain HTML markup.
    if text.startswith(("<!doctype html", "<html", "<table", "<head", "<meta")) or (
        text.startswith("<?xml") and "<html" in text[:1024]
    ):
        raise _not_spreadsheet(
            name,
            "веб-страница (HTML)",
            "Так выглядят выгрузки некоторых систем «в Excel». Откройте файл в Excel и сохраните как "
            "«Книга Excel (.xlsx)», затем отправьте его.",
        )
    if text.startswith("mime-version:"):
        raise _not_spreadsheet(name, "веб-архив (MHT)", "Откройте файл в Excel и сохраните как .xlsx.")
    if text.startswith(("<?xml", "<workbook")):
        if "urn:schemas-microsoft-com:office:spreadsheet" in text:
            raise WorkbookError(
                "unsupported",
                f"Файл «{name}» — таблица в старом формате «XML 2003», бот его не читает.",
                "Откройте файл в Excel и сохраните как «Книга Excel (.xlsx)».",
            )
        raise _not_spreadsheet(name, "XML-файл", _FIX_SEND_TABLE)


def _decode_head(head: bytes) -> str:
    for bom, encoding in ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if head.startswith(bom):
            return head[2:].decode(encoding, "ignore")
    return head.removeprefix(codecs.BOM_UTF8).decode("latin-1")


def _looks_like_text(head: bytes) -> bool:
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return True
    if b"\x00" in head:
        return False
    return sum(byte in _TEXT_CONTROL for byte in head) <= len(head) // 100


class _CsvSource:
    """One delimited text file as a single sheet; counted at open, streamed on every read."""

    def __init__(self, path: Path, name: str, max_rows: int, *, require_columns: bool) -> None:
        self._path = path
        self._name = name
        self.encoding = _detect_encoding(path)
        with _open_text(path, self.encoding) as file:
            sample = file.read(64 * 1024)
        self.delimiter, sample_columns = _detect_delimiter(sample)
        if require_columns and sample_columns < 2:
            raise _unsupported(name)
        rows = columns = data_rows = 0
        for number, record in self._records():
            rows = number
            columns = max(columns, len(record))
            if any(field.strip() for field in record):
                data_rows += 1
                if data_rows > max_rows + HEADER_ALLOWANCE:
                    raise _too_many_rows(Path(name).stem, max_rows)
        if not data_rows:
            raise WorkbookError("empty", f"В файле «{name}» нет данных.", "Проверьте, что отправили нужный файл.")
        self.sheets = [SheetInfo(Path(name).stem or "CSV", 0, True, rows, columns)]

    def rows(self, sheet: SheetInfo) -> Generator[Row, None, None]:
        for number, record in self._records():
            values: list[CellValue] = [field.replace("\r\n", "\n") or None for field in record]
            yield number, values + [None] * (sheet.columns - len(values))

    def merged_ranges(self, sheet: SheetInfo) -> list[tuple[int, int, int, int]]:  # noqa: ARG002 (CSV has none)
        return []

    def close(self) -> None:
        pass

    def _records(self) -> Generator[tuple[int, list[str]], None, None]:
        number = 0
        with _open_text(self._path, self.encoding) as file:
            try:
                for record in csv.reader(file, delimiter=self.delimiter):
                    number += 1
                    yield number, record
            except csv.Error as exc:
                raise WorkbookError(
                    "corrupt",
                    f"Файл «{self._name}» не разбирается как CSV около строки {number + 1}.",
                    "Скорее всего, там незакрытая кавычка. Исправьте строку или сохраните таблицу "
                    "из Excel заново и отправьте снова.",
                ) from exc


def _open_text(path: Path, encoding: str) -> io.TextIOWrapper:
    raw = path.open("rb")
    if encoding in {"utf-16-le", "utf-16-be"}:
        raw.seek(2)  # past the byte order mark, which these codecs would keep as a character
    return io.TextIOWrapper(raw, encoding=encoding, errors="replace", newline="")


# Letter frequencies of Russian text, per cent: a decoding that yields these letters is the right one.
_RUSSIAN_FREQUENCY = dict(
    zip(
        "оеаинтсрвлкмдпуяыьгзбчйхжшюцщэфъё",
        (10.97, 8.45, 8.01, 7.35, 6.70, 6.26, 5.47, 4.73, 4.54, 4.40, 3.49, 3.21, 2.98, 2.81, 2.62, 2.01,
         1.90, 1.74, 1.70, 1.65, 1.59, 1.44, 1.21, 0.97, 0.94, 0.73, 0.64, 0.48, 0.36, 0.32, 0.26, 0.04,
         0.04),
        strict=True,
    )
)  # fmt: skip
_LEGACY_ENCODINGS = ("cp1251", "koi8-r", "cp866")


def _detect_encoding(path: Path) -> str:
    """Return the encoding of a text file: BOM, then strict UTF-8, then the most Russian-looking."""
    with path.open("rb") as file:
        start = file.read(4)
        if start.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        if start.startswith(codecs.BOM_UTF16_LE):
            return "utf-16-le"
        if start.startswith(codecs.BOM_UTF16_BE):
            return "utf-16-be"
        file.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")("strict")
        try:
            while chunk := file.read(_CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
            return "utf-8"
        except UnicodeDecodeError:
            file.seek(0)
            sample = file.read(256 * 1024)
    return max(_LEGACY_ENCODINGS, key=lambda encoding: _russian_score(sample.decode(encoding, "replace")))


def _russian_score(text: str) -> float:
    score = 0.0
    for char, count in Counter(text).items():
        lower = char.lower()
        if lower in _RUSSIAN_FREQUENCY:
            score += _RUSSIAN_FREQUENCY[lower] * count
        elif "\u2500" <= char <= "\u25ff" or char in _GARBAGE or (ord(char) < 32 and char not in "\t\r\n"):
            score -= 20 * count  # box drawing and stray symbols: what a wrong code page produces
    # cp1251 read as koi8-r (and back) swaps the case: "Название" becomes "мЮГБЮМХЕ".
    score -= 10 * len(_CASE_SWAPPED.findall(text))
    return score


_CASE_SWAPPED = re.compile("[а-яё][А-ЯЁ]")
_GARBAGE = frozenset("\ufffd¡¢£¤¥¦¨©ª¬®¯±²³´µ¶¸¹º¼½¾¿ЄєЇїЎў∙√■")


def _detect_delimiter(sample: str) -> tuple[str, int]:
    """Return the delimiter that splits the first lines into the same number of columns, and that number."""
    if len(sample) >= 64 * 1024 and "\n" in sample:
        sample = sample[: sample.rindex("\n")]  # do not judge by a line cut in half
    table_keys: dict[str, tuple[bool, int, int, int]] = {}
    quiet_keys: dict[str, tuple[int, int]] = {}
    columns_by: dict[str, int] = {}
    for order, delimiter in enumerate((";", ",", "\t", "|")):
        try:
            records = list(islice(csv.reader(io.StringIO(sample), delimiter=delimiter), 100))
        except csv.Error:
            continue
        counts = [len(record) for record in records if any(field.strip() for field in record)]
        columns, hits = Counter(counts).most_common(1)[0] if counts else (0, 0)
        consistency = round(10 * hits / len(counts)) if counts else 0
        columns_by[delimiter] = columns
        table_keys[delimiter] = (columns >= 2, consistency, columns, -order)
        quiet_keys[delimiter] = (-sum(count > 1 for count in counts), -order)
    if not table_keys:
        return ",", 1
    best = max(table_keys, key=table_keys.__getitem__)
    if columns_by[best] >= 2:
        return best, columns_by[best]
    # One column: the delimiter that splits the fewest lines keeps the values whole.
    return max(quiet_keys, key=quiet_keys.__getitem__), 1


# --- messages -----------------------------------------------------------------------------------


def _count(number: int) -> str:
    """Format a number the Russian way: groups of three digits split by non-breaking spaces."""
    return f"{number:,}".replace(",", "\u00a0")


def _mb(size: int, *, up: bool = False) -> str:
    tenths = (math.ceil if up else math.floor)(size / (1 << 20) * 10)
    return f"{tenths // 10}" if tenths % 10 == 0 else f"{tenths // 10},{tenths % 10}"


def _too_big(name: str, size: int, limit: int) -> WorkbookError:
    return WorkbookError(
        "too_big",
        f"Файл «{name}» весит {_mb(size, up=True)} МБ, а бот принимает файлы до {_mb(limit)} МБ.",
        "Удалите лишние листы, картинки и пустые строки или разбейте таблицу на несколько файлов. "
        "Облачный Telegram Bot API отдаёт ботам файлы только до 20 МБ; чтобы принимать больше, администратор "
        "может запустить собственный сервер Bot API (telegram-bot-api) и увеличить MAX_FILE_MB.",
    )


def _zip_bomb(name: str, why: str) -> WorkbookError:
    return WorkbookError(
        "zip_bomb",
        f"Файл «{name}» похож на «zip-бомбу»: {why}. Бот не стал его распаковывать.",
        "Если это настоящая таблица, откройте её в Excel, удалите лишние листы и объекты, "
        "сохраните заново и отправьте снова.",
    )


def _too_many_rows(sheet: str, limit: int) -> WorkbookError:
    limit_text = _count(limit)
    return WorkbookError(
        "too_many_rows",
        f"На листе «{sheet}» больше {limit_text} строк с данными — это предел бота.",
        f"Разбейте таблицу на файлы до {limit_text} строк или попросите администратора увеличить настройку MAX_ROWS.",
    )


def _encrypted(fmt: str) -> WorkbookError:
    if fmt == "ods":
        fix = (
            "Снимите пароль в LibreOffice Calc: Файл → Сохранить как → снимите флажок «Сохранить с паролем», "
            "сохраните и отправьте снова."
        )
    else:
        fix = (
            "Снимите пароль в Excel: Файл → Сведения → Защитить книгу → Зашифровать с использованием "
            "пароля → очистите поле, сохраните и отправьте снова."
        )
    return WorkbookError("encrypted", "Файл защищён паролем.", fix)


def _not_spreadsheet(name: str, what: str, fix: str) -> WorkbookError:
    return WorkbookError("not_spreadsheet", f"Файл «{name}» — не таблица: внутри {what}.", fix)


def _unsupported(name: str) -> WorkbookError:
    return WorkbookError(
        "unsupported",
        f"Бот не знает формат файла «{name}».",
        f"Поддерживаются {', '.join(SUPPORTED_EXTENSIONS)}. Сохраните таблицу в одном из них — "
        "лучше всего как «Книга Excel (.xlsx)».",
    )


def _corrupt(name: str) -> WorkbookError:
    return WorkbookError(
        "corrupt",
        f"Файл «{name}» повреждён или обрезан — прочитать его не удалось.",
        "Откройте его в Excel: если откроется, сохраните заново («Сохранить как» → .xlsx) и отправьте "
        "снова; если нет — попросите исходный файл у того, кто его прислал.",
    )


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
