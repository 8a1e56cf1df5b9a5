"""Safety before any parser touches a file: its real kind by magic bytes, zip bombs, huge sheet
areas (calamine holds a whole sheet in memory), encrypted and OLE2 files.
"""

from __future__ import annotations

import copy
import html
import re
import struct
import zipfile
import zlib
from pathlib import Path

import olefile

from bot.sheets.model import (
    _CHUNK,
    _FIX_SEND_TABLE,
    _FIX_UNPACK,
    _RATIO_FLOOR,
    MAX_UNPACK_RATIO,
    MAX_UNPACKED_BYTES,
    MAX_ZIP_ENTRIES,
    WorkbookError,
    _corrupt,
    _count,
    _encrypted,
    _mb,
    _not_spreadsheet,
    _zip_bomb,
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
                f"{column_letters(last_col)}{last_row + 1}",
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


def column_letters(index: int) -> str:
    """Excel's letters for a 0-based column index: 0 → A, 26 → AA."""
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


def _cfb_names(path: Path) -> set[str]:
    """Return the stream and storage names of a compound file's directory; empty if unreadable."""
    try:
        with olefile.OleFileIO(str(path)) as ole:
            return {part for entry in ole.listdir(streams=True, storages=True) for part in entry}
    except (OSError, ValueError, IndexError, struct.error, UnicodeDecodeError, RecursionError):
        return set()
