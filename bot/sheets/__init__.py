"""Spreadsheets in and out: every supported format read as one stream of numbered rows, and written back.

Reading: python-calamine reads .xlsx/.xlsm/.xlsb/.xls/.ods, the csv module reads .csv/.txt after the
encoding and the delimiter are detected (`textfiles`). Before any parser touches a file, `guard`
checks its size, its real kind (by magic bytes, whatever its name says) and, for zip-based formats,
its unpacked size and the area of every sheet. Writing (`write`): openpyxl in write-only mode. The
only package that imports openpyxl or python-calamine. Everything here is blocking; callers run it
in a thread.
"""

from bot.sheets.guard import column_letters
from bot.sheets.model import HEADER_ALLOWANCE, SUPPORTED_EXTENSIONS, CellValue, SheetInfo, Workbook, WorkbookError
from bot.sheets.read import open_workbook
from bot.sheets.write import SummaryData, write_enriched, write_sheets, write_table

__all__ = [
    "HEADER_ALLOWANCE",
    "SUPPORTED_EXTENSIONS",
    "CellValue",
    "SheetInfo",
    "SummaryData",
    "Workbook",
    "WorkbookError",
    "column_letters",
    "open_workbook",
    "write_enriched",
    "write_sheets",
    "write_table",
]
