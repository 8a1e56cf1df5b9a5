"""Duplicates inside one file: exact copies of a row, the same name and address, the same place nearby."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.places.normalize import Place, place_keys, same_place_without_address
from bot.sheets import CellValue


@dataclass
class SeenRows:
    """What earlier rows of the same file looked like: only what duplicate checks need, compactly.

    Keys are kept as hashes and places as small tuples, so a 100 000-row file costs a few MB here.
    """

    by_key: dict[int, int] = field(default_factory=dict)
    by_name: dict[int, list[tuple[int, str | None, float | None, float | None]]] = field(default_factory=dict)
    by_copy: dict[int, int] = field(default_factory=dict)  # the whole row's cells → its first row

    def find_copy(self, copy_key: int) -> int | None:
        """The earlier row this row is an exact copy of, whatever columns the file has."""
        return self.by_copy.get(copy_key)

    def find(self, place: Place) -> int | None:
        name, key = place_keys(place)
        if key and hash(key) in self.by_key:
            return self.by_key[hash(key)]
        for row, phone, lat, lon in self.by_name.get(hash(name), ()):
            if same_place_without_address(place, place.name, phone, lat, lon):
                return row
        return None

    def add(self, row: int, place: Place, copy_key: int | None) -> None:
        if copy_key is not None:
            self.by_copy.setdefault(copy_key, row)
        name, key = place_keys(place)
        if key:
            self.by_key.setdefault(hash(key), row)
        if place.phone or place.latitude is not None:
            self.by_name.setdefault(hash(name), []).append((row, place.phone, place.latitude, place.longitude))


def row_copy_key(values: Sequence[CellValue]) -> int:
    """A fingerprint of a row's cells as written (blank cells at the end do not count)."""
    cells = [str(value).strip() if value is not None else "" for value in values]
    while cells and not cells[-1]:
        cells.pop()
    digest = hashlib.blake2b("\x1f".join(cells).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")
