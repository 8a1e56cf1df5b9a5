"""The catalogue of places, and an import step written atomically."""

from __future__ import annotations

from typing import Any

from bot.storage.base import Repository, writes
from bot.storage.rows import PlaceRow, fold, now_iso
from bot.storage.schema import PLACE_ROW_COLUMNS


class PlaceRepository(Repository):
    """The catalogue of places, and an import step written atomically."""

    async def find_places(self, *, dedupe_keys: list[str], name_keys: list[str]) -> list[PlaceRow]:
        """Return catalogue places sharing a dedupe key or a name key with the given ones."""
        found: dict[int, PlaceRow] = {}
        for column, keys in (("dedupe_key", dedupe_keys), ("name_key", name_keys)):
            for start in range(0, len(keys), 500):
                chunk = keys[start : start + 500]
                if not chunk:
                    continue
                marks = ", ".join("?" for _ in chunk)
                sql = f"SELECT {PLACE_ROW_COLUMNS} FROM places WHERE {column} IN ({marks})"
                async with self._conn.execute(sql, chunk) as cursor:
                    for row in await cursor.fetchall():
                        found[int(row["id"])] = PlaceRow(*row)
        return list(found.values())

    @writes
    async def save_batch(
        self,
        job_id: int,
        *,
        inserts: list[tuple[int, dict[str, Any]]],
        updates: list[tuple[int, int, dict[str, Any]]],
        rows: list[tuple[int, str, str | None, int | None, str]],
        processed: int,
        counters: str,
    ) -> dict[int, int]:
        """Write one batch atomically: new places, updated places, per-row results, job progress.

        `inserts` are (row, values); `updates` are (row, place_id, changed values); `rows` are
        (row, status, reason, place_id, result JSON) where place_id -1 means "the place inserted for
        this row". Returns row → place id for the inserted places.
        """
        stamp = now_iso()
        await self._conn.execute("BEGIN")
        try:
            inserted = await self._insert_places(inserts, stamp)
            for _row, place_id, values in updates:
                if values:
                    assignments = ", ".join(f"{name} = ?" for name in values)
                    await self._conn.execute(
                        f"UPDATE places SET {assignments}, updated_at = ? WHERE id = ?",
                        (*values.values(), stamp, place_id),
                    )
            await self._conn.executemany(
                """
                INSERT OR REPLACE INTO job_rows (job_id, row, status, reason, place_id, result)
                VALUES (?, ?, ?, ?, ?, ?)
                """,
                [
                    (job_id, row, status, reason, inserted.get(row) if place_id == -1 else place_id, result)
                    for row, status, reason, place_id, result in rows
                ],
            )
            await self._conn.execute(
                "UPDATE jobs SET processed = ?, counters = ?, updated_at = ? WHERE id = ?",
                (processed, counters, stamp, job_id),
            )
            await self._conn.commit()
        except BaseException:
            await self._conn.rollback()
            raise
        return inserted

    async def _insert_places(self, inserts: list[tuple[int, dict[str, Any]]], stamp: str) -> dict[int, int]:
        """Insert new places inside the caller's transaction; return row → the id each one got."""
        if not inserts:
            return {}
        names = list(inserts[0][1])
        sql = (
            f"INSERT INTO places ({', '.join(names)}, created_at, updated_at) "
            f"VALUES ({', '.join('?' for _ in names)}, ?, ?)"
        )
        async with self._conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'places'") as cursor:
            found = await cursor.fetchone()
        first_id = (int(found[0]) if found else 0) + 1
        # One writer inside one transaction: AUTOINCREMENT hands out consecutive ids.
        await self._conn.executemany(sql, [(*(values[name] for name in names), stamp, stamp) for _, values in inserts])
        return {row: first_id + n for n, (row, _) in enumerate(inserts)}

    async def search_places(self, query: str, *, limit: int, offset: int) -> tuple[int, list[PlaceRow]]:
        """Places whose name, address or category contains the query; (total, page)."""
        like = f"%{fold(query.strip())}%"
        where = "WHERE fold(name) LIKE ? OR fold(coalesce(address, '')) LIKE ? OR category LIKE ? OR subcategory LIKE ?"
        params = (like, like, like, like)
        async with self._conn.execute(f"SELECT count(*) FROM places {where}", params) as cursor:
            row = await cursor.fetchone()
            total = int(row[0]) if row else 0
        async with self._conn.execute(
            f"SELECT {PLACE_ROW_COLUMNS} FROM places {where} ORDER BY name COLLATE NOCASE LIMIT ? OFFSET ?",
            (*params, limit, offset),
        ) as cursor:
            return total, [PlaceRow(*r) for r in await cursor.fetchall()]

    async def iter_places(self, category: str | None = None) -> list[PlaceRow]:
        """Every place (optionally of one category), for export."""
        where, params = ("WHERE category = ?", (category,)) if category else ("", ())
        async with self._conn.execute(f"SELECT {PLACE_ROW_COLUMNS} FROM places {where} ORDER BY id", params) as cursor:
            return [PlaceRow(*r) for r in await cursor.fetchall()]

    async def category_counts(self) -> list[tuple[str | None, int]]:
        """Places per category."""
        async with self._conn.execute(
            "SELECT category, count(*) FROM places GROUP BY category ORDER BY count(*) DESC"
        ) as cursor:
            return [(r[0], int(r[1])) for r in await cursor.fetchall()]

    async def get_place(self, place_id: int) -> PlaceRow | None:
        """One catalogue place."""
        async with self._conn.execute(f"SELECT {PLACE_ROW_COLUMNS} FROM places WHERE id = ?", (place_id,)) as cursor:
            row = await cursor.fetchone()
        return PlaceRow(*row) if row else None
