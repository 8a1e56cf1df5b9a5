"""Rows and sheets as the reader gives them, cell values, and the Russian errors of bad files."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from types import TracebackType
from typing import Literal, Protocol, TypeVar

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

    def raw_rows(self, sheet: SheetInfo) -> Iterator[tuple[int, Sequence[object]]]: ...

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

    def count_and_sample(self, sheet: str, start: int, keep: int) -> tuple[int, list[list[CellValue]]]:
        """The data rows from row `start` on: how many, and the first `keep` of them.

        Cheaper than `iter_rows`: counting looks at the raw cells without converting them. The row
        limit holds as in `iter_rows`.
        """
        info = self._sheet(sheet)
        counted = seen = 0
        for number, raw in self._source.raw_rows(info):
            if not _raw_has_data(raw):
                continue
            seen += 1
            if seen > self._max_rows + HEADER_ALLOWANCE:
                raise _too_many_rows(info.name, self._max_rows)
            counted += number >= start
        samples: list[list[CellValue]] = []
        rows = self._source.rows(info)
        try:
            for number, values in rows:
                if len(samples) >= keep:
                    break
                if number >= start and _has_data(values):
                    samples.append(values)
        finally:
            rows.close()
        return counted, samples

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


def _raw_has_data(values: Sequence[object]) -> bool:
    """`_has_data` on cells as the parser gave them: empty strings, blanks and None are not data."""
    return any(v is not None and not (type(v) is str and (not v or v.isspace())) for v in values)


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
