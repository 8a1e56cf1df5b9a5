"""What the team confirmed: mappings by header signature, headers, file values."""

from __future__ import annotations

from bot.storage.base import Repository, writes
from bot.storage.rows import now_iso
from bot.storage.schema import TEAM


class MemoryRepository(Repository):
    """What the team confirmed: mappings by header signature, headers, file values."""

    @writes
    async def remember_mapping(self, signature: str, owner: int, mapping: str) -> None:
        """Store a confirmed mapping for a header signature (per person, and for the team)."""
        stamp = now_iso()
        await self._conn.executemany(
            """
            INSERT INTO mapping_memory (signature, owner, mapping, updated_at) VALUES (?, ?, ?, ?)
            ON CONFLICT (signature, owner) DO UPDATE
            SET mapping = excluded.mapping, updated_at = excluded.updated_at
            """,
            [(signature, owner, mapping, stamp), (signature, TEAM, mapping, stamp)],
        )
        await self._conn.commit()

    async def recall_mapping(self, signature: str, owner: int) -> str | None:
        """Return the remembered mapping: the person's own first, then the team's."""
        async with self._conn.execute(
            """
            SELECT mapping FROM mapping_memory WHERE signature = ? AND owner IN (?, ?)
            ORDER BY owner = ? DESC LIMIT 1
            """,
            (signature, owner, TEAM, owner),
        ) as cursor:
            row = await cursor.fetchone()
        return str(row[0]) if row else None

    @writes
    async def remember_headers(self, choices: dict[str, str | None]) -> None:
        """Remember which field each confirmed header feeds (None: not imported)."""
        stamp = now_iso()
        await self._conn.executemany(
            """
            INSERT INTO header_memory (header, field, updated_at) VALUES (?, ?, ?)
            ON CONFLICT (header) DO UPDATE SET field = excluded.field, updated_at = excluded.updated_at
            """,
            [(header, field, stamp) for header, field in choices.items()],
        )
        await self._conn.commit()

    async def recall_headers(self, headers: list[str]) -> dict[str, str | None]:
        """Return remembered fields for the given normalised headers."""
        if not headers:
            return {}
        marks = ", ".join("?" for _ in headers)
        async with self._conn.execute(
            f"SELECT header, field FROM header_memory WHERE header IN ({marks})", headers
        ) as cursor:
            rows = await cursor.fetchall()
        return {str(r[0]): (str(r[1]) if r[1] is not None else None) for r in rows}

    @writes
    async def remember_values(self, kind: str, results: dict[str, str]) -> None:
        """Remember how values of a kind were resolved (e.g. a file's category → our keys)."""
        stamp = now_iso()
        await self._conn.executemany(
            """
            INSERT INTO value_memory (kind, value, result, updated_at) VALUES (?, ?, ?, ?)
            ON CONFLICT (kind, value) DO UPDATE SET result = excluded.result, updated_at = excluded.updated_at
            """,
            [(kind, value, result, stamp) for value, result in results.items()],
        )
        await self._conn.commit()

    async def recall_values(self, kind: str, values: list[str]) -> dict[str, str]:
        """Return remembered results for values of a kind."""
        if not values:
            return {}
        found: dict[str, str] = {}
        for start in range(0, len(values), 500):
            chunk = values[start : start + 500]
            marks = ", ".join("?" for _ in chunk)
            async with self._conn.execute(
                f"SELECT value, result FROM value_memory WHERE kind = ? AND value IN ({marks})",
                (kind, *chunk),
            ) as cursor:
                found.update({str(r[0]): str(r[1]) for r in await cursor.fetchall()})
        return found
