"""The catalogue for people: search, export, the template workbook, statistics."""

from __future__ import annotations

import asyncio
import json
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot import texts
from bot.places.taxonomy import Taxonomy
from bot.sheets import CellValue, write_table
from bot.storage.db import Database
from bot.storage.rows import PlaceRow

EXPORT_FIELDS = (
    "id", "name", "category", "subcategory", "description", "address", "city", "region", "district", "phone",
    "email", "website", "working_hours", "latitude", "longitude", "rating", "price", "social", "notes",
)  # fmt: skip
TEMPLATE_ROWS: list[list[CellValue]] = [
    ["Кофейня «Зерно»", "Кофейня", "", "Москва, ул. Пятницкая, 12", "+7 (495) 123-45-67", "zerno.ru",
     "пн–вс 08:00–22:00", "", "350 ₽"],
    ["Музей истории города", "Музей", "Экспозиция о развитии города с XII века.", "Москва, Тверская ул., 5", "",
     "", "вт–вс 10:00–18:00", "", "500 ₽"],
]  # fmt: skip
TEMPLATE_FIELDS = ("name", "category", "description", "address", "phone", "website", "working_hours", "email", "price")


@dataclass
class SearchPage:
    """One page of search results."""

    total: int
    offset: int
    places: list[PlaceRow]


class Catalogue:
    """Read-side of the catalogue."""

    def __init__(self, db: Database, taxonomy: Taxonomy, workdir: Path) -> None:
        self.db, self.taxonomy, self.workdir = db, taxonomy, workdir

    def label(self, place: PlaceRow) -> str:
        """«Еда / Кафе» for a stored place."""
        return self.taxonomy.label(place.category or "other", place.subcategory)

    async def search(self, query: str, offset: int = 0, size: int = 5) -> SearchPage:
        """Places matching a query by name, address or category (Russian label or key)."""
        needle = query.strip()
        keys = [c.key for c in self.taxonomy.top() if needle.lower() in c.label.lower()]
        total, places = await self.db.places.search_places(keys[0] if keys else needle, limit=size, offset=offset)
        if not total and keys:
            total, places = await self.db.places.search_places(needle, limit=size, offset=offset)
        return SearchPage(total, offset, places)

    def resolve_category(self, text: str | None) -> str | None:
        """A category typed by a person (label or key) → key; None for «all»."""
        if not text:
            return None
        lowered = text.strip().lower()
        for category in self.taxonomy.top():
            if lowered in (category.key, category.label.lower()):
                return category.key
        match = self.taxonomy.match_value(text)
        return match.category if match else lowered

    async def export(self, category: str | None) -> tuple[Path, int]:
        """Write the catalogue (or one category) to a workbook; return its path and row count."""
        places = await self.db.places.iter_places(category)
        headers = [texts.FIELD_LABELS.get(f, "Номер") if f != "id" else "Номер" for f in EXPORT_FIELDS]
        extra_headers = sorted({k for p in places for k in json.loads(p.extra or "{}")})
        rows = []
        for place in places:
            values: list[Any] = [
                place.external_id or place.id if f == "id" else getattr(place, f) for f in EXPORT_FIELDS
            ]
            values[2] = self.taxonomy.label(place.category or "other")
            values[3] = self.label(place).split(" / ")[-1] if place.subcategory else ""
            extra = json.loads(place.extra or "{}")
            rows.append(values + [extra.get(h) for h in extra_headers])
        out = self._out("catalogue.xlsx")
        await asyncio.to_thread(write_table, out, sheet="Каталог", headers=headers + extra_headers, rows=rows)
        return out, len(rows)

    async def template(self) -> Path:
        """An example workbook with our columns and two sample rows."""
        out = self._out("template.xlsx")
        headers = [texts.FIELD_LABELS[f] for f in TEMPLATE_FIELDS]
        await asyncio.to_thread(write_table, out, sheet="Места", headers=headers, rows=TEMPLATE_ROWS)
        return out

    async def stats(self) -> dict[str, Any]:
        """Places per category, jobs, GigaChat use per person this month."""
        counts = await self.db.places.category_counts()
        month = datetime.now(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        usage = await self.db.llm.usage_by_user(month.isoformat(timespec="seconds"))
        jobs = await self.db.jobs.recent_jobs(None, limit=100_000)
        per_place, per_review = await self.db.llm.tokens_per_item(month.isoformat(timespec="seconds"))
        return {
            "tokens_per_place": per_place,
            "tokens_per_review": per_review,
            "places": sum(c for _, c in counts),
            "categories": [(self.taxonomy.label(k or "other"), c) for k, c in counts],
            "jobs": len(jobs),
            "usage": usage,
        }

    def _out(self, name: str) -> Path:
        self.workdir.mkdir(parents=True, exist_ok=True)
        folder = Path(tempfile.mkdtemp(dir=self.workdir))
        return folder / name
