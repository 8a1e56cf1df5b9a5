"""Finding the header row: title rows above it, two-row and merged headers, caption rows under it.

The rows are scored by how header-like their cells are and how many of them are names the column
mapping knows; the best row, with a group row above or a caption row below, gives the `Layout`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from bot.core.text import normalize_header
from bot.places.mapping import CellValue, header_like, is_blank, known_header
from bot.sheets import column_letters


@dataclass(frozen=True)
class Layout:
    """Where the header is and where data starts."""

    header_row: int  # 1-based, the last header row
    first_header_row: int
    data_start: int
    headers: list[str]
    alternatives: list[list[str]]  # other header texts per column (captions, upper rows)

    def to_json(self) -> dict[str, Any]:
        """Plain data for storage."""
        return asdict(self)


def header_signature(headers: Sequence[str]) -> str:
    """A stable fingerprint of a header row, to remember confirmed mappings."""
    joined = "\x1f".join(normalize_header(h) for h in headers)
    return hashlib.sha1(joined.encode()).hexdigest()


# --- header row detection ------------------------------------------------------------------------


def _alias_hits(row: Sequence[CellValue]) -> int:
    return sum(1 for v in row if isinstance(v, str) and known_header(v))


def _row_score(row: Sequence[CellValue]) -> float:
    filled = [v for v in row if not is_blank(v)]
    if len(filled) < 2:
        return 0.0
    headerish = sum(1 for v in filled if header_like(v))
    texts = [str(v).strip().lower() for v in filled]
    unique = len(set(texts)) / len(texts)
    return (headerish + 2.0 * _alias_hits(row)) * unique * (headerish / len(filled))


def _fill_merged(
    rows: dict[int, list[CellValue]], merged: Sequence[tuple[int, int, int, int]], width: int
) -> dict[int, list[CellValue]]:
    """Copy each merged range's value into every cell it covers (header rows only)."""
    filled = {r: list(values) + [None] * (width - len(values)) for r, values in rows.items()}
    for first_row, first_col, last_row, last_col in merged:
        value = filled.get(first_row, [None] * width)[first_col] if first_col < width else None
        for r in range(first_row, last_row + 1):
            if r in filled:
                for c in range(first_col, min(last_col + 1, width)):
                    filled[r][c] = value
    return filled


def detect_layout(
    head: Sequence[tuple[int, Sequence[CellValue]]], merged: Sequence[tuple[int, int, int, int]] = ()
) -> Layout | None:
    """Find the header row among the first rows; handle title rows, two-row and merged headers."""
    if not head:
        return None
    width = max((len(values) for _, values in head), default=0)
    rows = _fill_merged({n: list(v) for n, v in head}, merged, width)
    scored = [(n, _row_score(rows[n])) for n, _ in head]
    best_row, best_score = max(scored, key=lambda item: (item[1], -item[0]))
    if best_score <= 0:
        return None
    numbers = [n for n, _ in head]
    position = numbers.index(best_row)
    top = rows[numbers[position - 1]] if position > 0 else None
    below = rows[numbers[position + 1]] if position + 1 < len(numbers) else None
    header = rows[best_row]
    first_header_row, data_start = best_row, best_row + 1
    headers = [str(v).strip() if not is_blank(v) else "" for v in header]
    alternatives: list[list[str]] = [[] for _ in range(width)]
    if below is not None and _is_caption_row(header, below):
        data_start = numbers[position + 2] if position + 2 < len(numbers) else best_row + 2
        for c, value in enumerate(below):
            if not is_blank(value):
                alternatives[c].append(str(value).strip())
    elif top is not None and _is_upper_header(top, header):
        first_header_row = numbers[position - 1]
        headers = _combine(top, header)
    elif below is not None and _is_upper_header(header, below) and _row_score(below) > 0:
        headers = _combine(header, below)
        best_row = numbers[position + 1]
        data_start = best_row + 1
    for c, text in enumerate(headers):
        if not text:
            headers[c] = f"Колонка {column_letters(c)}"
    return Layout(best_row, first_header_row, data_start, headers, alternatives)


def _is_caption_row(header: Sequence[CellValue], below: Sequence[CellValue]) -> bool:
    """data.mos.ru style: English names, then a row of Russian captions under them."""
    filled = [v for v in below if not is_blank(v)]
    uncovered = sum(1 for c, v in enumerate(header) if not is_blank(v) and (c >= len(below) or is_blank(below[c])))
    return (
        len(filled) >= 2
        and uncovered == 0
        and all(header_like(v) for v in filled)
        and _alias_hits(below) >= max(2, len(filled) // 2)
        and _alias_hits(header) >= 1
    )


def _is_upper_header(upper: Sequence[CellValue], lower: Sequence[CellValue]) -> bool:
    """An upper header row groups the lower one («Контакты» over «Телефон», «Email»)."""
    width = min(len(upper), len(lower))
    gaps_filled_from_above = sum(
        1 for c in range(width) if is_blank(lower[c]) and not is_blank(upper[c]) and header_like(upper[c])
    )
    repeated_groups = sum(
        1 for c in range(1, width) if not is_blank(upper[c]) and upper[c] == upper[c - 1] and not is_blank(lower[c])
    )
    filled = [v for v in upper if not is_blank(v)]
    distinct = {str(v).strip() for v in filled}
    if len(distinct) < 2 or not all(header_like(v) for v in filled):
        return False  # a title row over the whole table is not a group header
    if not all(header_like(v) for v in lower if not is_blank(v)):
        return False  # numbers or long texts below: that is data, not a second header row
    return (gaps_filled_from_above >= 1 or repeated_groups >= 1) and _alias_hits(lower) >= 1


def _combine(upper: Sequence[CellValue], lower: Sequence[CellValue]) -> list[str]:
    width = max(len(upper), len(lower))
    result = []
    group = ""
    for c in range(width):
        top = str(upper[c]).strip() if c < len(upper) and not is_blank(upper[c]) else ""
        has_lower = c < len(lower) and not is_blank(lower[c])
        if top:
            group = top
        elif has_lower and group and c > 0 and not (c - 1 < len(lower) and is_blank(lower[c - 1])):
            top = group  # a group header spans the blank cells to its right
        bottom = str(lower[c]).strip() if c < len(lower) and not is_blank(lower[c]) else ""
        if top and bottom and top != bottom:
            result.append(f"{top} / {bottom}")
        else:
            result.append(bottom or top)
    return result
