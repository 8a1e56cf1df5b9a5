"""Benchmark: offline column mapping on the corpus of real header sets (tests/data/header_corpus.json).

Each table of the corpus is built from the public schema of a real source (data.mos.ru, OSM
extracts, 2GIS/Yandex/Google Maps exports and scrapers, Zomato, Foursquare, Yelp, TripAdvisor,
review datasets, GIS attribute tables, managers' own sheets) with the true field of every column.
The table is written to a real .xlsx and read the way an import reads it: header row detection,
then every offline tier of the mapping (no GigaChat).

    python -m bench.header_corpus            # the score per table and in total
    python -m bench.header_corpus --wrong    # also every column that went wrong

Target (from the issue): at least 0.95 of all columns right, every header row found.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from bot.places.mapping import map_by_headers, map_by_values
from bot.places.plan import read_plan_inputs

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "data" / "header_corpus.json"
TARGET = 0.95


@dataclass
class TableScore:
    """How one table of the corpus was read."""

    id: str
    source: str
    header_row_expected: int
    header_row_found: int | None
    right: int = 0
    total: int = 0
    wrong: list[tuple[str, str | None, str | None, str]] = field(default_factory=list)  # header, truth, got, how

    @property
    def header_found(self) -> bool:
        """True when the bot took the same row for the header as the truth."""
        return self.header_row_found == self.header_row_expected


def tables(path: Path = CORPUS) -> list[dict[str, Any]]:
    """The corpus tables."""
    return list(json.loads(path.read_text(encoding="utf-8"))["tables"])


def _write(table: dict[str, Any], folder: Path) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in table["rows"]:
        sheet.append(list(row))
    path = folder / f"{table['id']}.xlsx"
    book.save(path)
    return path


def score_table(table: dict[str, Any], folder: Path) -> TableScore:
    """Read one table as an import would and compare every column with the truth."""
    path = _write(table, folder)
    score = TableScore(table["id"], table["source"], table["header_row"], None)
    try:
        _, scan, _, samples = read_plan_inputs(
            path, original_name=path.name, sheet=None, max_bytes=50 * 1024 * 1024, max_rows=100_000
        )
    except Exception as exc:  # a table the bot cannot read scores nothing; it is reported
        score.total = len(table["fields"])
        score.wrong.append(("(файл)", None, None, type(exc).__name__))
        return score
    layout = scan.layout
    score.header_row_found = layout.header_row
    columns = map_by_headers(layout.headers, layout.alternatives)
    map_by_values(columns, samples)
    got = {c.index: c for c in columns}
    for index, truth in enumerate(table["fields"]):
        score.total += 1
        column = got.get(index)
        found = column.field if column else None
        if found == truth and score.header_found:
            score.right += 1
        else:
            header = str(table["rows"][table["header_row"] - 1][index])
            score.wrong.append((header, truth, found, column.method if column else "-"))
    return score


def score_corpus(path: Path = CORPUS) -> Iterator[TableScore]:
    """Score every table of the corpus."""
    with tempfile.TemporaryDirectory() as folder:
        for table in tables(path):
            yield score_table(table, Path(folder))


def main() -> None:
    """Print the score per table and the total."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wrong", action="store_true", help="print every column that went wrong")
    args = parser.parse_args()
    right = total = found = 0
    scores = list(score_corpus())
    for score in scores:
        right, total, found = right + score.right, total + score.total, found + score.header_found
        mark = "" if score.header_found else f"  header row {score.header_row_found} ≠ {score.header_row_expected}"
        print(f"{score.right / score.total:6.1%}  {score.right:>3}/{score.total:<3} {score.id}{mark}")
        if args.wrong:
            for header, truth, got, how in score.wrong:
                print(f"          {header!r}: {truth} ≠ {got} ({how})")
    share = right / total if total else 0.0
    verdict = "PASS" if share >= TARGET and found == len(scores) else "FAIL"
    print(
        f"\ncolumns right: {right}/{total} = {share:.3f} (target ≥ {TARGET}); header rows found: {found}/{len(scores)}"
    )
    print(f"{verdict}")


if __name__ == "__main__":
    main()
