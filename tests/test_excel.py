"""Reading spreadsheets: every format yields true Excel row numbers, every bad file a clear reason.

Workbooks are built here: xlsx/xlsm with openpyxl, xls with xlwt, xlsb, ods and OLE2 files by hand
(each is a zip or a compound file of a few parts), CSV in the encodings Russian users really send.
"""

from __future__ import annotations

import datetime as dt
import re
import struct
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path

import openpyxl
import pytest

from bot.core.errors import UserFacingError
from bot.sheets import (
    HEADER_ALLOWANCE,
    SUPPORTED_EXTENSIONS,
    SheetInfo,
    Workbook,
    WorkbookError,
    open_workbook,
)

# --- builders -----------------------------------------------------------------------------------


def rewrite_zip(source: Path, target: Path, patch: Callable[[str, bytes], bytes | None]) -> Path:
    """Copy a zip, passing every member through `patch` (None drops the member)."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for name in old.namelist():
            data = patch(name, old.read(name))
            if data is not None:
                new.writestr(name, data)
    return target


def build_places_xlsx(path: Path) -> Path:
    """A realistic manager's workbook: title row, two-level merged header, blank row, hidden sheet."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Места"
    sheet["A1"] = "Каталог мест на март"
    sheet.merge_cells("A1:I1")
    sheet["C2"] = "Контакты"
    sheet.merge_cells("C2:D2")
    sheet.append(["Название", "Адрес", "Телефон", "Сайт", "Открыто с", "Обновлено", "Время", "Рейтинг", "Итог"])
    sheet.append(
        [
            "Кафе «Ромашка»",
            "ул. Ленина, 5\r\nвход со двора",
            79161234567,
            None,
            dt.date(2024, 3, 1),
            dt.datetime(2024, 3, 1, 10, 30),
            dt.time(10, 30),
            4.5,
            "=H4*2",
        ]
    )
    sheet.append([])
    sheet.append(["Музей", "пр. Мира, 1", 74951234567.0, "muzei.ru", None, dt.datetime(2024, 3, 2, 9, 5, 7)])
    sheet.append(["Парк", None, None, None, None, None, None, None, None, True])
    hidden = book.create_sheet("Справочник")
    hidden.sheet_state = "hidden"
    hidden.append(["ключ", "значение"])
    book.save(path)
    # openpyxl writes formulas without a cached value; put in the one Excel would have saved.
    return rewrite_zip(
        path,
        path.with_name("cached.xlsx"),
        lambda name, data: (
            re.sub(rb"<f>H4\*2</f><v\s*/>", b"<f>H4*2</f><v>9</v>", data)
            if name == "xl/worksheets/sheet1.xml"
            else data
        ),
    )


def build_simple_xlsx(path: Path, rows: Sequence[Sequence[object]], *, start: str = "A1") -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    first = sheet[start]
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            sheet.cell(row=first.row + r, column=first.column + c, value=value)
    book.save(path)
    return path


def xlsb_record(kind: int, data: bytes = b"") -> bytes:
    head = bytes([kind]) if kind < 0x80 else bytes([(kind & 0x7F) | 0x80, kind >> 7])
    size, length = len(data), bytearray()
    while True:
        length.append((size & 0x7F) | (0x80 if size > 0x7F else 0))
        size >>= 7
        if not size:
            return head + bytes(length) + data


def xlsb_string(text: str) -> bytes:
    return struct.pack("<I", len(text)) + text.encode("utf-16-le")


def xlsb_sheet(rows: dict[int, list[object]]) -> bytes:
    last_row, last_col = max(rows), max(len(values) for values in rows.values()) - 1
    out = xlsb_record(0x81) + xlsb_record(0x94, struct.pack("<4I", 0, last_row, 0, last_col))
    out += xlsb_record(0x91)
    for row, values in rows.items():
        out += xlsb_record(0x00, struct.pack("<I", row) + bytes(13))
        for col, value in enumerate(values):
            head = struct.pack("<II", col, 0)
            if isinstance(value, bool):
                out += xlsb_record(0x04, head + bytes([value]))
            elif isinstance(value, int | float):
                out += xlsb_record(0x05, head + struct.pack("<d", value))
            elif isinstance(value, str):
                out += xlsb_record(0x06, head + xlsb_string(value))
    return out + xlsb_record(0x92) + xlsb_record(0x82)


def build_xlsb(path: Path, sheets: list[tuple[str, bool, dict[int, list[object]]]]) -> Path:
    """An .xlsb of BIFF12 records: BrtBundleSh per sheet, cells as BrtCellReal/St/Bool."""
    book = xlsb_record(0x83) + xlsb_record(0x8F)
    rels = ""
    for number, (name, hidden, _) in enumerate(sheets, start=1):
        book += xlsb_record(
            0x9C, struct.pack("<II", int(hidden), number) + xlsb_string(f"rId{number}") + xlsb_string(name)
        )
        rels += f'<Relationship Id="rId{number}" Type="{OFFICE_REL}/worksheet" Target="worksheets/sheet{number}.bin"/>'
    book += xlsb_record(0x90) + xlsb_record(0x84)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml",
            f'<Types xmlns="{PACKAGE}/content-types"><Default Extension="bin" '
            'ContentType="application/vnd.ms-excel.sheet.binary.macroEnabled.main"/></Types>',
        )
        archive.writestr(
            "_rels/.rels",
            f'<Relationships xmlns="{PACKAGE}/relationships"><Relationship Id="rId1" '
            f'Type="{OFFICE_REL}/officeDocument" Target="xl/workbook.bin"/></Relationships>',
        )
        archive.writestr("xl/workbook.bin", book)
        archive.writestr(
            "xl/_rels/workbook.bin.rels", f'<Relationships xmlns="{PACKAGE}/relationships">{rels}</Relationships>'
        )
        for number, (_, _, rows) in enumerate(sheets, start=1):
            archive.writestr(f"xl/worksheets/sheet{number}.bin", xlsb_sheet(rows))
    return path


PACKAGE = "http://schemas.openxmlformats.org/package/2006"
OFFICE_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
ODF = {
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "style": "urn:oasis:names:tc:opendocument:xmlns:style:1.0",
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
    "manifest": "urn:oasis:names:tc:opendocument:xmlns:manifest:1.0",
}
ODS_MIMETYPE = "application/vnd.oasis.opendocument.spreadsheet"


def build_ods(path: Path, tables: str, *, manifest_extra: str = "") -> Path:
    """An .ods as LibreOffice lays it out: stored mimetype first, then content and manifest."""
    namespaces = " ".join(f'xmlns:{prefix}="{uri}"' for prefix, uri in ODF.items())
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {namespaces} office:version="1.2">'
        '<office:automatic-styles><style:style style:name="shown" style:family="table">'
        '<style:table-properties table:display="true"/></style:style><style:style style:name="hidden" '
        'style:family="table"><style:table-properties table:display="false"/></style:style>'
        f"</office:automatic-styles><office:body><office:spreadsheet>{tables}</office:spreadsheet></office:body>"
        "</office:document-content>"
    )
    manifest = (
        f'<?xml version="1.0" encoding="UTF-8"?><manifest:manifest {namespaces}><manifest:file-entry '
        f'manifest:full-path="/" manifest:media-type="{ODS_MIMETYPE}"/><manifest:file-entry '
        f'manifest:full-path="content.xml" manifest:media-type="text/xml">{manifest_extra}</manifest:file-entry>'
        "</manifest:manifest>"
    )
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", ODS_MIMETYPE)
        archive.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
        archive.writestr("META-INF/manifest.xml", manifest, zipfile.ZIP_DEFLATED)
    return path


def ods_row(*cells: str, repeat: int = 1) -> str:
    return f'<table:table-row table:number-rows-repeated="{repeat}">{"".join(cells)}</table:table-row>'


def ods_text(text: str, span: int = 1) -> str:
    spanned = f' table:number-columns-spanned="{span}"' if span > 1 else ""
    covered = "<table:covered-table-cell/>" * (span - 1)
    return f'<table:table-cell office:value-type="string"{spanned}><text:p>{text}</text:p></table:table-cell>{covered}'


CFB_FREE, CFB_END = 0xFFFFFFFF, 0xFFFFFFFE


def build_cfb(path: Path, streams: list[str]) -> Path:
    """A minimal valid OLE2 compound file (one FAT sector, one directory sector) with empty streams."""
    assert len(streams) <= 3, "one 512-byte directory sector holds four entries"
    header = bytearray(512)
    header[:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<5H", header, 24, 0x3E, 3, 0xFFFE, 9, 6)  # version 3, 512-byte sectors
    struct.pack_into("<9I", header, 40, 0, 1, 1, 0, 4096, CFB_END, 0, CFB_END, 0)  # 1 FAT sector, dir at 1
    struct.pack_into("<109I", header, 76, 0, *[CFB_FREE] * 108)
    fat = struct.pack("<128I", 0xFFFFFFFD, CFB_END, *[CFB_FREE] * 126)
    directory = b""
    for index, (name, kind) in enumerate([("Root Entry", 5), *((stream, 2) for stream in streams)]):
        raw = (name + "\0").encode("utf-16-le")
        child = 1 if kind == 5 and streams else CFB_FREE
        right = index + 1 if kind == 2 and index < len(streams) else CFB_FREE
        directory += raw.ljust(64, b"\0") + struct.pack("<HBBIII", len(raw), kind, 1, CFB_FREE, right, child)
        directory += bytes(36) + struct.pack("<IQ", CFB_END, 0)
    path.write_bytes(bytes(header) + fat + directory.ljust(512, b"\0"))
    return path


def rows_of(book: Workbook, sheet: str | None = None) -> list[tuple[int, list[object]]]:
    return [(number, list(values)) for number, values in book.iter_rows(sheet or book.sheets[0].name)]


def read_error(path: Path, **kwargs: object) -> WorkbookError:
    with pytest.raises(WorkbookError) as caught, open_workbook(path, **kwargs) as book:  # type: ignore[arg-type]
        for sheet in book.sheets:
            for _ in book.iter_rows(sheet.name):
                pass
    return caught.value


# --- every format -------------------------------------------------------------------------------


def test_xlsx_from_a_manager_keeps_excel_row_numbers_and_normalises_values(tmp_path: Path) -> None:
    path = build_places_xlsx(tmp_path / "places.xlsx")

    with open_workbook(path, original_name="Места март.xlsx") as book:
        assert book.format == "xlsx"
        assert book.encoding is None and book.delimiter is None
        assert book.sheets == [
            SheetInfo("Места", 0, True, 7, 10),
            SheetInfo("Справочник", 1, False, 1, 2),
        ]
        assert [sheet.name for sheet in book.visible_sheets()] == ["Места"]
        rows = dict(rows_of(book))
        assert book.merged_ranges("Места") == [(1, 0, 1, 8), (2, 2, 2, 3)]
        assert rows_of(book, "Справочник") == [(1, ["ключ", "значение"])]

    assert list(rows) == [1, 2, 3, 4, 5, 6, 7]
    assert rows[1][0] == "Каталог мест на март"
    assert rows[2][2] == "Контакты"
    assert rows[3][:3] == ["Название", "Адрес", "Телефон"]
    assert rows[4] == [
        "Кафе «Ромашка»",
        "ул. Ленина, 5\nвход со двора",
        79161234567,
        None,
        "2024-03-01",
        "2024-03-01 10:30",
        "10:30",
        4.5,
        9,
        None,
    ]
    assert rows[5] == [None] * 10
    assert rows[6][2] == 74951234567 and isinstance(rows[6][2], int)
    assert rows[6][5] == "2024-03-02 09:05:07"
    assert rows[7][9] is True


def test_head_reads_only_the_first_rows_and_padding_keeps_column_positions(tmp_path: Path) -> None:
    path = build_simple_xlsx(tmp_path / "offset.xlsx", [["Название", "Адрес"], ["Кафе", "Ленина, 5"]], start="C3")

    with open_workbook(path) as book:
        assert book.sheets[0].rows == 4 and book.sheets[0].columns == 4
        assert book.head(book.sheets[0].name, 3) == [
            (1, [None, None, None, None]),
            (2, [None, None, None, None]),
            (3, [None, None, "Название", "Адрес"]),
        ]


def test_xlsm_is_read_like_xlsx(tmp_path: Path) -> None:
    source = build_simple_xlsx(tmp_path / "plain.xlsx", [["Название"], ["Кафе"]])
    path = rewrite_zip(
        source,
        tmp_path / "macros.xlsm",
        lambda name, data: (
            data.replace(b"spreadsheetml.sheet.main+xml", b"application/vnd.ms-excel.sheet.macroEnabled.main+xml")
            if name == "[Content_Types].xml"
            else data
        ),
    )

    with open_workbook(path) as book:
        assert book.format == "xlsm"
        assert rows_of(book) == [(1, ["Название"]), (2, ["Кафе"])]


def test_xlsb_reads_cells_and_hidden_sheets(tmp_path: Path) -> None:
    path = build_xlsb(
        tmp_path / "binary.xlsb",
        [
            (
                "Места",
                False,
                {2: ["Название", "Телефон", "Парковка"], 3: ["Кафе", 79161234567, True], 5: ["Музей", 1.5]},
            ),
            ("Скрытый", True, {0: ["x"]}),
        ],
    )

    with open_workbook(path) as book:
        assert book.format == "xlsb"
        assert [(sheet.name, sheet.visible) for sheet in book.sheets] == [("Места", True), ("Скрытый", False)]
        assert rows_of(book) == [
            (1, [None, None, None]),
            (2, [None, None, None]),
            (3, ["Название", "Телефон", "Парковка"]),
            (4, ["Кафе", 79161234567, True]),
            (5, [None, None, None]),
            (6, ["Музей", 1.5, None]),
        ]
        assert book.merged_ranges("Места") == []  # calamine exposes merges for xlsx and xls only


def test_old_xls_written_by_xlwt(tmp_path: Path) -> None:
    xlwt = pytest.importorskip("xlwt")
    book = xlwt.Workbook()
    sheet = book.add_sheet("Места")
    sheet.write_merge(0, 0, 0, 2, "Каталог")
    sheet.write(2, 0, "Название")
    sheet.write(2, 1, "Открыто с")
    sheet.write(2, 2, "Телефон")
    sheet.write(3, 0, "Кафе")
    sheet.write(3, 1, dt.date(2024, 3, 1), xlwt.easyxf(num_format_str="DD.MM.YYYY"))
    sheet.write(3, 2, 79161234567)
    hidden = book.add_sheet("Скрытый")
    hidden.write(0, 0, "x")
    hidden.visibility = 1
    book.save(str(tmp_path / "old.xls"))

    with open_workbook(tmp_path / "old.xls") as workbook:
        assert workbook.format == "xls"
        assert [sheet.visible for sheet in workbook.sheets] == [True, False]
        assert rows_of(workbook) == [
            (1, ["Каталог", None, None]),
            (2, [None, None, None]),
            (3, ["Название", "Открыто с", "Телефон"]),
            (4, ["Кафе", "2024-03-01", 79161234567]),
        ]
        assert workbook.merged_ranges("Места") == [(1, 0, 1, 2)]


def test_ods_with_merged_title_repeated_blank_rows_and_hidden_table(tmp_path: Path) -> None:
    tables = (
        '<table:table table:name="Места" table:style-name="shown">'
        + ods_row(ods_text("Каталог", span=2))
        + ods_row('<table:table-cell table:number-columns-repeated="2"/>', repeat=2)
        + ods_row(ods_text("Название"), ods_text("Открыто"))
        + ods_row(
            ods_text("Кафе"),
            '<table:table-cell office:value-type="date" office:date-value="2024-03-01T10:30:00"/>',
            '<table:table-cell office:value-type="float" office:value="79161234567"/>',
        )
        + ods_row('<table:table-cell table:number-columns-repeated="1024"/>', repeat=1048570)
        + '</table:table><table:table table:name="Скрытый" table:style-name="hidden">'
        + ods_row(ods_text("x"))
        + "</table:table>"
    )
    path = build_ods(tmp_path / "libre.ods", tables)

    with open_workbook(path) as book:
        assert book.format == "ods"
        assert book.sheets == [SheetInfo("Места", 0, True, 5, 3), SheetInfo("Скрытый", 1, False, 1, 1)]
        assert rows_of(book) == [
            (1, ["Каталог", None, None]),
            (2, [None, None, None]),
            (3, [None, None, None]),
            (4, ["Название", "Открыто", None]),
            (5, ["Кафе", "2024-03-01 10:30", 79161234567]),
        ]
        assert book.merged_ranges("Места") == []


@pytest.mark.parametrize("sent_as", ["places.xls", "places.csv", "upload.bin"])
def test_a_workbook_is_read_by_its_content_whatever_its_name(tmp_path: Path, sent_as: str) -> None:
    source = build_simple_xlsx(tmp_path / "real.xlsx", [["Название"], ["Кафе"]])
    path = tmp_path / sent_as
    path.write_bytes(source.read_bytes())

    with open_workbook(path, original_name=sent_as) as book:
        assert book.format == "xlsx"
        assert rows_of(book) == [(1, ["Название"]), (2, ["Кафе"])]


# --- CSV and text -------------------------------------------------------------------------------

RUSSIAN_CSV = (
    'Название;Адрес;Телефон\r\nКафе "Ромашка";"ул. Ленина, 5";79161234567\r\n\r\nМузей истории города;пр. Мира, 1;\r\n'
)
RUSSIAN_ROWS = [
    (1, ["Название", "Адрес", "Телефон"]),
    (2, ['Кафе "Ромашка"', "ул. Ленина, 5", "79161234567"]),  # numbers stay text in CSV
    (3, [None, None, None]),
    (4, ["Музей истории города", "пр. Мира, 1", None]),
]


@pytest.mark.parametrize(
    ("encoding", "raw"),
    [
        ("utf-8-sig", RUSSIAN_CSV.encode("utf-8-sig")),
        ("utf-8", RUSSIAN_CSV.encode("utf-8")),
        ("cp1251", RUSSIAN_CSV.encode("cp1251")),
        ("koi8-r", RUSSIAN_CSV.encode("koi8-r")),
        ("cp866", RUSSIAN_CSV.encode("cp866")),
        ("utf-16-le", b"\xff\xfe" + RUSSIAN_CSV.encode("utf-16-le")),
        ("utf-16-be", b"\xfe\xff" + RUSSIAN_CSV.encode("utf-16-be")),
    ],
)
def test_csv_encodings_are_detected(tmp_path: Path, encoding: str, raw: bytes) -> None:
    path = tmp_path / "places.csv"
    path.write_bytes(raw)

    with open_workbook(path) as book:
        assert (book.format, book.encoding, book.delimiter) == ("csv", encoding, ";")
        assert book.sheets == [SheetInfo("places", 0, True, 4, 3)]
        assert rows_of(book) == RUSSIAN_ROWS


def test_all_caps_cp1251_is_not_mistaken_for_koi8(tmp_path: Path) -> None:
    path = tmp_path / "caps.csv"
    path.write_bytes("НАЗВАНИЕ;АДРЕС\nМУЗЕЙ;ПР. МИРА 1\n".encode("cp1251"))

    with open_workbook(path) as book:
        assert book.encoding == "cp1251"
        assert rows_of(book)[0] == (1, ["НАЗВАНИЕ", "АДРЕС"])


def test_excel_unicode_text_is_tab_separated_utf16(tmp_path: Path) -> None:
    path = tmp_path / "export.txt"
    path.write_bytes(b"\xff\xfe" + "Название\tАдрес, корпус\nКафе\tЛенина, 5, к. 2\n".encode("utf-16-le"))

    with open_workbook(path) as book:
        assert (book.encoding, book.delimiter) == ("utf-16-le", "\t")
        assert rows_of(book) == [(1, ["Название", "Адрес, корпус"]), (2, ["Кафе", "Ленина, 5, к. 2"])]


@pytest.mark.parametrize("delimiter", [",", "|", "\t"])
def test_delimiter_is_the_one_that_splits_lines_consistently(tmp_path: Path, delimiter: str) -> None:
    path = tmp_path / "places.csv"
    lines = [["Каталог мест"], ["Название", "Адрес", "Рейтинг"], ["Кафе", "Ленина 5; вход со двора", "4.5"]]
    path.write_text("\n".join(delimiter.join(line) for line in lines) + "\n", encoding="utf-8")

    with open_workbook(path) as book:
        assert book.delimiter == delimiter
        assert rows_of(book)[2] == (3, ["Кафе", "Ленина 5; вход со двора", "4.5"])


def test_quoted_fields_with_newlines_and_delimiters_keep_record_numbers(tmp_path: Path) -> None:
    path = tmp_path / "quoted.csv"
    path.write_bytes(
        'Название;Описание\r\n"Кафе; бар";"Две строки:\r\nвторая ""в кавычках"""\r\nПарк;Тихий\r\n'.encode("cp1251")
    )

    with open_workbook(path) as book:
        assert book.sheets[0].rows == 3
        assert rows_of(book) == [
            (1, ["Название", "Описание"]),
            (2, ["Кафе; бар", 'Две строки:\nвторая "в кавычках"']),
            (3, ["Парк", "Тихий"]),
        ]


def test_single_column_list_is_not_split_on_commas_inside_values(tmp_path: Path) -> None:
    path = tmp_path / "names.csv"
    path.write_text("Название\nРомашка\nКафе, бар\nМузей\n", encoding="utf-8")

    with open_workbook(path) as book:
        assert [values for _, values in rows_of(book)] == [["Название"], ["Ромашка"], ["Кафе, бар"], ["Музей"]]


def test_csv_sent_as_xls_is_read_as_csv(tmp_path: Path) -> None:
    path = tmp_path / "upload.xls"
    path.write_bytes(RUSSIAN_CSV.encode("cp1251"))

    with open_workbook(path, original_name="выгрузка.xls") as book:
        assert (book.format, book.encoding) == ("csv", "cp1251")
        assert rows_of(book) == RUSSIAN_ROWS


# --- files we refuse, each with its own reason --------------------------------------------------


def test_too_big_names_the_size_the_limit_and_the_way_around(tmp_path: Path) -> None:
    path = tmp_path / "huge.xlsx"
    path.write_bytes(b"x" * (3 * 1024 * 1024 + 1))

    error = read_error(path, max_bytes=2 * 1024 * 1024)

    assert error.code == "too_big"
    assert "3,1 МБ" in error.message and "до 2 МБ" in error.message
    assert error.fix is not None and "Bot API" in error.fix and "MAX_FILE_MB" in error.fix


@pytest.fixture(scope="module")
def bomb_xlsx(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real xlsx plus 50 MB of zeros that deflate to about 50 KB."""
    folder = tmp_path_factory.mktemp("bomb")
    source = build_simple_xlsx(folder / "source.xlsx", [["Название"], ["Кафе"]])
    path = rewrite_zip(source, folder / "bomb.xlsx", lambda name, data: data)
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/media/zeros.bin", bytes(50 * 1024 * 1024))
    return path


def test_zip_bomb_is_refused_before_calamine_unpacks_it(bomb_xlsx: Path) -> None:
    error = read_error(bomb_xlsx)

    assert error.code == "zip_bomb"
    assert "zip-бомб" in error.message and "раз больше" in error.message


def test_zip_bomb_with_lying_sizes_is_caught_while_unpacking(bomb_xlsx: Path, tmp_path: Path) -> None:
    data = bytearray(bomb_xlsx.read_bytes())
    member = b"xl/media/zeros.bin"
    for signature, size_at, name_at in ((b"PK\x03\x04", 22, 30), (b"PK\x01\x02", 24, 46)):
        for found in re.finditer(re.escape(signature), data):
            start = found.start()
            if data[start + name_at : start + name_at + len(member)] == member:
                struct.pack_into("<I", data, start + size_at, 1000)  # claim 1000 bytes unpacked
    path = tmp_path / "liar.xlsx"
    path.write_bytes(bytes(data))
    with zipfile.ZipFile(path) as archive:
        assert archive.getinfo(member.decode()).file_size == 1000

    assert read_error(path).code == "zip_bomb"


def test_zip_with_too_many_entries_is_a_bomb(tmp_path: Path) -> None:
    path = tmp_path / "many.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        for number in range(10_001):
            archive.writestr(f"xl/part{number}.xml", b"")

    error = read_error(path)

    assert error.code == "zip_bomb"
    assert "10\u00a0001" in error.message


def test_a_stray_cell_far_away_is_refused_instead_of_crashing_calamine(tmp_path: Path) -> None:
    path = build_simple_xlsx(tmp_path / "stray.xlsx", [["Название"], ["Кафе"]])
    book = openpyxl.load_workbook(path)
    sheet = book.active
    assert sheet is not None
    sheet["XFD1048576"] = " "
    book.save(path)

    error = read_error(path)

    assert error.code == "too_big"
    assert "«Sheet»" in error.message and "XFD1048576" in error.message
    assert error.fix is not None and "Ctrl+End" in error.fix


def test_too_many_rows_stops_the_stream_and_names_the_setting(tmp_path: Path) -> None:
    path = build_simple_xlsx(tmp_path / "long.xlsx", [["Название"], *[[f"Место {n}"] for n in range(60)]])

    with open_workbook(path, max_rows=5) as book:
        seen = []
        with pytest.raises(WorkbookError) as caught:
            for number, _ in book.iter_rows(book.sheets[0].name):
                seen.append(number)

    # the title and header rows above the data get an allowance of HEADER_ALLOWANCE rows
    assert seen == list(range(1, 5 + HEADER_ALLOWANCE + 1))
    assert caught.value.code == "too_many_rows"
    assert "больше 5 строк" in caught.value.message
    assert caught.value.fix is not None and "MAX_ROWS" in caught.value.fix


def test_too_many_csv_rows_are_refused_at_open(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    path.write_text("Название\n" + "".join(f"Место {n}\n" for n in range(200)), encoding="utf-8")  # 200 > 100 + 30

    error = read_error(path, max_rows=100)

    assert error.code == "too_many_rows"
    assert "больше 100 строк" in error.message


def test_password_protected_workbook_says_how_to_remove_the_password(tmp_path: Path) -> None:
    path = build_cfb(tmp_path / "secret.xlsx", ["EncryptionInfo", "EncryptedPackage"])

    error = read_error(path)

    assert error.code == "encrypted"
    assert isinstance(error, UserFacingError)
    assert error.message == "Файл защищён паролем."
    assert error.fix is not None and "Зашифровать с использованием пароля" in error.fix


def test_workbook_encrypted_by_a_real_encryptor(tmp_path: Path) -> None:
    msoffcrypto = pytest.importorskip("msoffcrypto.format.ooxml")
    source = build_simple_xlsx(tmp_path / "plain.xlsx", [["Название"], ["Кафе"]])
    path = tmp_path / "secret.xls"  # the name does not matter: the content is a compound file
    with source.open("rb") as plain, path.open("wb") as secret:
        msoffcrypto.OOXMLFile(plain).encrypt("пароль", secret)

    assert read_error(path).code == "encrypted"


def test_password_protected_ods(tmp_path: Path) -> None:
    path = build_ods(
        tmp_path / "secret.ods",
        '<table:table table:name="A">' + ods_row(ods_text("x")) + "</table:table>",
        manifest_extra='<manifest:encryption-data manifest:checksum-type="SHA1/1K" manifest:checksum="x"/>',
    )

    error = read_error(path)

    assert error.code == "encrypted"
    assert error.fix is not None and "LibreOffice" in error.fix


@pytest.mark.parametrize(
    ("content", "what"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "PDF"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "JPEG"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "PNG"),
        (b"\xef\xbb\xbf  <!DOCTYPE html><html><body><table><tr><td>1</td></tr></table>", "HTML"),
        ("Название;Адрес\nКафе;Ленина, 5\n".encode("cp1251"), "CSV"),
        (b"Rar!\x1a\x07\x01\x00", "RAR"),
    ],
)
def test_other_files_named_xlsx_say_what_they_are(tmp_path: Path, content: bytes, what: str) -> None:
    path = tmp_path / "upload"
    path.write_bytes(content)

    error = read_error(path, original_name="Места.xlsx")

    assert error.code == "not_spreadsheet"
    assert "«Места.xlsx»" in error.message and "не таблица" in error.message and what in error.message


@pytest.mark.parametrize(
    ("members", "what"),
    [
        ({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"}, "Word"),
        ({"notes.txt": b"hello"}, "ZIP-архив"),
    ],
)
def test_zips_that_are_not_workbooks(tmp_path: Path, members: dict[str, bytes], what: str) -> None:
    path = tmp_path / "upload.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)

    error = read_error(path)

    assert error.code == "not_spreadsheet" and what in error.message


def test_word_document_in_a_compound_file(tmp_path: Path) -> None:
    error = read_error(build_cfb(tmp_path / "letter.xls", ["WordDocument"]))

    assert error.code == "not_spreadsheet" and "Word" in error.message


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.xlsx"
    path.write_bytes(b"")

    error = read_error(path)

    assert error.code == "empty" and "0 байт" in error.message


def test_workbook_with_only_empty_sheets(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.create_sheet("Второй")
    book.save(tmp_path / "blank.xlsx")

    error = read_error(tmp_path / "blank.xlsx")

    assert error.code == "empty" and "нет данных" in error.message


def test_data_only_on_a_hidden_sheet_is_pointed_out(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    hidden = book.create_sheet("Данные")
    hidden["A1"] = "Кафе"
    hidden.sheet_state = "hidden"
    book.save(tmp_path / "hidden.xlsx")

    error = read_error(tmp_path / "hidden.xlsx")

    assert error.code == "empty" and "«Данные»" in error.message
    assert error.fix is not None and "Показать" in error.fix


def test_csv_with_nothing_but_blank_lines_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "blank.csv"
    path.write_text(";;\n\n ; \n", encoding="utf-8")

    assert read_error(path).code == "empty"


def test_truncated_xlsx_is_corrupt(tmp_path: Path) -> None:
    source = build_places_xlsx(tmp_path / "places.xlsx").read_bytes()
    path = tmp_path / "cut.xlsx"
    path.write_bytes(source[: len(source) // 2])

    error = read_error(path)

    assert error.code == "corrupt"
    assert "повреждён" in error.message and error.fix is not None and "Сохранить как" in error.fix


def test_calamine_failure_is_wrapped_with_its_cause(tmp_path: Path) -> None:
    source = build_places_xlsx(tmp_path / "places.xlsx")
    path = rewrite_zip(
        source,
        tmp_path / "broken.xlsx",
        lambda name, data: data[: len(data) // 2] if name == "xl/worksheets/sheet1.xml" else data,
    )

    error = read_error(path)

    assert error.code == "corrupt"
    assert type(error.__cause__).__module__.startswith("python_calamine")


def test_truncated_xls_is_corrupt(tmp_path: Path) -> None:
    xlwt = pytest.importorskip("xlwt")
    book = xlwt.Workbook()
    sheet = book.add_sheet("Места")
    for row in range(300):
        sheet.write(row, 0, f"Место {row}")
    book.save(str(tmp_path / "full.xls"))
    data = (tmp_path / "full.xls").read_bytes()
    (tmp_path / "cut.xls").write_bytes(data[: len(data) // 2])

    assert read_error(tmp_path / "cut.xls").code == "corrupt"


def test_unclosed_quote_in_csv_is_reported_with_the_line(tmp_path: Path) -> None:
    path = tmp_path / "quote.csv"
    path.write_text('Название;Описание\nКафе;"без конца\n' + "а" * 200_000 + "\n", encoding="utf-8")

    error = read_error(path)

    assert error.code == "corrupt" and "кавычка" in (error.fix or "")


def test_unknown_binary_file_lists_the_supported_formats(tmp_path: Path) -> None:
    path = tmp_path / "data.dat"
    path.write_bytes(b"\x00\x01\x02\x03binary\x00" * 10)

    error = read_error(path)

    assert error.code == "unsupported"
    assert error.fix is not None and all(extension in error.fix for extension in SUPPORTED_EXTENSIONS)


def test_unknown_extension_with_plain_text_that_is_not_a_table(tmp_path: Path) -> None:
    path = tmp_path / "notes.md"
    path.write_text("Просто заметка без столбцов\nещё строка\n", encoding="utf-8")

    assert read_error(path).code == "unsupported"


def test_unknown_extension_with_a_real_table_is_read(tmp_path: Path) -> None:
    path = tmp_path / "export.dat"
    path.write_text("Название;Адрес\nКафе;Ленина 5\n", encoding="utf-8")

    with open_workbook(path) as book:
        assert book.format == "csv" and book.delimiter == ";"


def test_spreadsheet_xml_2003_is_explained(tmp_path: Path) -> None:
    path = tmp_path / "old.xls"
    path.write_text(
        '<?xml version="1.0"?><Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"></Workbook>',
        encoding="utf-8",
    )

    error = read_error(path)

    assert error.code == "unsupported" and "XML 2003" in error.message


def test_unknown_sheet_name_is_a_programming_error(tmp_path: Path) -> None:
    path = build_simple_xlsx(tmp_path / "one.xlsx", [["x"]])

    with open_workbook(path) as book, pytest.raises(KeyError):
        book.iter_rows("Нет такого")


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_counting_rows_without_converting_cells_agrees_with_reading_them(tmp_path: Path, kind: str) -> None:
    rows: list[list[object]] = [
        ["Реестр мест"], [], ["Название", "Адрес", "Рейтинг"],
        ["Кафе", "ул. Ленина, 1", 4.5], ["   ", "", None], [None, None, 0], ["", "", False],
        ["Музей", None, None], [" ", "\t", ""], ["Парк", "", 3],
    ]  # fmt: skip
    if kind == "xlsx":
        path = build_simple_xlsx(tmp_path / "book.xlsx", rows)
    else:
        path = tmp_path / "book.csv"
        lines = [";".join("" if v is None else str(v) for v in row) for row in rows]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with open_workbook(path) as book:
        sheet = book.sheets[0].name
        expected = [values for number, values in book.iter_rows(sheet) if number >= 4 and any(
            v is not None and not (isinstance(v, str) and not v.strip()) for v in values)]  # fmt: skip
        count, samples = book.count_and_sample(sheet, 4, 2)
    assert count == len(expected)
    assert samples == expected[:2]


def test_counting_rows_keeps_the_row_limit(tmp_path: Path) -> None:
    path = build_simple_xlsx(tmp_path / "long.xlsx", [["Название"], *[[f"Место {n}"] for n in range(60)]])
    with open_workbook(path, max_rows=5) as book, pytest.raises(WorkbookError) as caught:
        book.count_and_sample(book.sheets[0].name, 2, 10)
    assert caught.value.code == "too_many_rows"
