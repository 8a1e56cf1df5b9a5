"""Offline column mapping on real header sets: at least 0.95 of columns right, every header row found.

The corpus (tests/data/header_corpus.json) holds tables built from the public schemas of real
sources — data.mos.ru datasets, OSM extracts, 2GIS/Yandex/Google Maps exports and scrapers, Zomato,
Foursquare, Yelp, TripAdvisor, review datasets, GIS attribute tables, managers' own sheets — each
with its source named and the true field of every column. Each table is written to a real .xlsx
and read as an import reads it. `python -m bench.header_corpus --wrong` shows each miss.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from bench.header_corpus import TARGET, score_table, tables

TABLES = tables()


def test_the_corpus_is_big_and_varied_and_names_its_sources() -> None:
    assert len(TABLES) >= 40
    kinds = Counter(table["kind"] for table in TABLES)
    assert {"open_data", "osm", "maps", "scraper", "reviews", "gis", "manual"} <= set(kinds)
    assert all(table["source"].strip() for table in TABLES)
    for table in TABLES:
        assert len(table["fields"]) == len(table["rows"][table["header_row"] - 1]), table["id"]


def test_at_least_95_percent_of_columns_map_right_and_every_header_row_is_found(tmp_path: Path) -> None:
    scores = [score_table(table, tmp_path) for table in TABLES]
    missed_headers = [s.id for s in scores if not s.header_found]
    right = sum(s.right for s in scores)
    total = sum(s.total for s in scores)
    wrong = [(s.id, *miss) for s in scores for miss in s.wrong]
    assert missed_headers == []
    assert right / total >= TARGET, f"{right}/{total} = {right / total:.3f}; first misses: {wrong[:15]}"


@pytest.mark.parametrize(
    "table_id",
    ["mos_cafes_en_ru", "osm_overpass_turbo_geojson_to_csv_moscow", "manual_fk_ids_museums_tula",
     "gis_qgis_attribute_table_fid_xy", "yandex_geo_reviews_2023_pandas", "manual_compound_headers_check_sheet"],
)  # fmt: skip
def test_tables_of_each_kind_of_rule_read_nearly_whole(tmp_path: Path, table_id: str) -> None:
    table = next(t for t in TABLES if t["id"] == table_id)
    score = score_table(table, tmp_path)
    assert score.header_found
    assert score.right >= score.total - 1, score.wrong
