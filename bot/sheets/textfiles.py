"""CSV and text files: the encoding and the delimiter detected, rows read lazily."""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections import Counter
from collections.abc import Generator, Iterator, Sequence
from itertools import islice
from pathlib import Path

from bot.sheets.model import (
    _CHUNK,
    _FIX_SEND_TABLE,
    _FIX_UNPACK,
    HEADER_ALLOWANCE,
    SUPPORTED_EXTENSIONS,
    CellValue,
    Row,
    SheetInfo,
    Workbook,
    WorkbookError,
    _corrupt,
    _not_spreadsheet,
    _too_many_rows,
    _unsupported,
)

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

    def raw_rows(self, sheet: SheetInfo) -> Iterator[tuple[int, Sequence[object]]]:  # noqa: ARG002 (one sheet)
        return self._records()

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
