"""Turning a row's mapped cells into clean place fields, and the keys that find duplicates."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.core.text import normalize_header
from bot.places.mapping import ColumnMapping

TEXT_FIELDS = (
    "name", "category", "subcategory", "description", "address", "city", "region", "district",
    "phone", "email", "website", "working_hours", "price", "social", "notes", "id",
)  # fmt: skip
NUMBER_FIELDS = ("latitude", "longitude", "rating")
PLACE_FIELDS = (*TEXT_FIELDS, *NUMBER_FIELDS)
DUPLICATE_DISTANCE_M = 50.0

_COORD_PAIR = re.compile(r"(-?\d{1,3}(?:[.,]\d+)?)\s*[,; ]\s*(-?\d{1,3}(?:[.,]\d+)?)")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_STREET_WORDS = re.compile(
    r"\b(улица|ул|проспект|пр-т|просп|пр|переулок|пер|бульвар|б-р|бульв|шоссе|ш|площадь|пл|набережная|наб|"
    r"проезд|пр-д|дом|д|корпус|корп|к|строение|стр|город|г|россия|рф)\b\.?"
)


@dataclass
class Place:
    """A place as the catalogue stores it."""

    name: str | None = None
    category: str | None = None
    subcategory: str | None = None
    description: str | None = None
    address: str | None = None
    city: str | None = None
    region: str | None = None
    district: str | None = None
    phone: str | None = None
    email: str | None = None
    website: str | None = None
    working_hours: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    rating: float | None = None
    price: str | None = None
    social: str | None = None
    notes: str | None = None
    id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    keys: tuple[str, str | None] | None = field(default=None, repr=False, compare=False)  # name key, dedupe key

    def values(self) -> dict[str, Any]:
        """The canonical fields (no extra)."""
        return {name: getattr(self, name) for name in PLACE_FIELDS}


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, bool):
        return None if value is None else ("да" if value else "нет")
    text = str(value).replace("\r\n", "\n").strip()
    text = re.sub(r"[ \t\u00a0]+", " ", text)
    return text or None


def normalize_phone(raw: str) -> str:
    """+7 (495) 123-45-67 for Russian numbers; anything else is kept as written."""
    parts = [p.strip() for p in re.split(r"[;,\n]|\s{2,}", raw) if p.strip()]
    result = []
    for part in parts:
        digits = re.sub(r"\D", "", part.split("доб")[0])
        if len(digits) == 11 and digits[0] in "78":
            digits = digits[1:]
        if len(digits) == 10 and digits[0] in "3489":
            extension = re.search(r"доб\.?\s*(\d+)", part)
            formatted = f"+7 ({digits[:3]}) {digits[3:6]}-{digits[6:8]}-{digits[8:]}"
            result.append(formatted + (f" доб. {extension.group(1)}" if extension else ""))
        else:
            result.append(part)
    return ", ".join(dict.fromkeys(result))


def normalize_url(raw: str) -> str:
    """Add https:// where a bare domain was given; lowercase the host."""
    text = raw.strip().rstrip("/")
    if " " in text or "." not in text:
        return raw.strip()
    if not re.match(r"^[a-z]+://", text, re.IGNORECASE):
        text = "https://" + text
    match = re.match(r"^([a-z]+://)([^/]+)(.*)$", text, re.IGNORECASE)
    if match:
        text = match.group(1).lower() + match.group(2).lower() + match.group(3)
    return text


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) else None
    text = str(value).strip().replace(",", ".").replace(" ", "")
    try:
        number = float(text)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def fix_coordinates(lat: float | None, lon: float | None) -> tuple[float | None, float | None]:
    """Accept coordinates in either order; drop impossible ones."""
    if lat is None or lon is None:
        return None, None
    if abs(lat) > 90 >= abs(lon) or (19 <= lat < 41 and 41 <= lon <= 82):
        lat, lon = lon, lat
    if abs(lat) > 90 or abs(lon) > 180 or (lat == 0 and lon == 0):
        return None, None
    return round(lat, 7), round(lon, 7)


def parse_coordinates(raw: str) -> tuple[float | None, float | None]:
    """«55.75, 37.61», «[37.61, 55.75]», «55,75 37,61» → (lat, lon)."""
    text = raw.strip()
    if text.count(",") >= 3 or ("." not in text and text.count(",") == 2):  # «55,75, 37,61»
        halves = re.split(r",\s+|;\s*", text)
        if len(halves) == 2:
            return fix_coordinates(_number(halves[0]), _number(halves[1]))
    match = _COORD_PAIR.search(text)
    if not match:
        return None, None
    return fix_coordinates(_number(match.group(1)), _number(match.group(2)))


def build_place(row: Sequence[Any], columns: Sequence[ColumnMapping]) -> tuple[Place, list[tuple[str, str, str]]]:
    """Map one row into a Place; return it with problems found (column header, value, reason)."""
    place = Place()
    problems: list[tuple[str, str, str]] = []
    joined: dict[str, list[str]] = {}
    for column in columns:
        value = row[column.index] if column.index < len(row) else None
        if column.field is None:
            text = _text(value)
            if text is not None:
                place.extra[column.header] = value if isinstance(value, int | float) else text
            continue
        if column.field in NUMBER_FIELDS or column.field == "coordinates":
            _set_number(place, column, value, problems)
            continue
        text = _text(value)
        if text is not None:
            joined.setdefault(column.field, []).append(text)
    for name, parts in joined.items():
        separator = " " if name == "address" and len(parts) > 1 and len(parts[-1]) <= 6 else ", "
        setattr(place, name, separator.join(dict.fromkeys(parts)))
    _clean(place)
    return place, problems


def _set_number(place: Place, column: ColumnMapping, value: Any, problems: list[tuple[str, str, str]]) -> None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return
    if column.field == "coordinates":
        lat, lon = parse_coordinates(str(value))
        if lat is None:
            problems.append((column.header, str(value), "не похоже на координаты"))
        place.latitude, place.longitude = lat, lon
        return
    number = _number(value)
    if number is None:
        problems.append((column.header, str(value), "не число"))
        return
    if column.field == "rating" and not 0 <= number <= 10:
        problems.append((column.header, str(value), "рейтинг вне диапазона"))
        return
    setattr(place, str(column.field), number)


def _clean(place: Place) -> None:
    if place.phone:
        place.phone = normalize_phone(place.phone)
    if place.website:
        place.website = normalize_url(place.website)
    if place.email:
        found = _EMAIL.findall(place.email)
        place.email = ", ".join(e.lower() for e in found) if found else place.email
    if place.latitude is not None or place.longitude is not None:
        place.latitude, place.longitude = fix_coordinates(place.latitude, place.longitude)


# --- duplicates -------------------------------------------------------------------------------------


def name_key(name: str | None) -> str:
    """Name without case, quotes, punctuation and ё."""
    return normalize_header(name or "")


def place_keys(place: Place) -> tuple[str, str | None]:
    """(name key, dedupe key) of a place, computed once (the place's fields are final by then)."""
    if place.keys is None:
        address = address_key(place.address, place.city)
        name = name_key(place.name)
        place.keys = (name, f"{name}|{address}" if address else None)
    return place.keys


def address_key(address: str | None, city: str | None = None) -> str:
    """Address without street-type words, punctuation and the city."""
    text = normalize_header(address or "")
    text = _STREET_WORDS.sub(" ", text)
    if city:
        text = text.replace(normalize_header(city), " ")
    return " ".join(sorted(text.split()))


def dedupe_key(place: Place) -> str | None:
    """name + address; None when the row has no address (then the name alone decides nothing)."""
    return place_keys(place)[1]


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres."""
    r = 6_371_000.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


def same_place_without_address(
    a: Place, name: str | None, phone: str | None, lat: float | None, lon: float | None
) -> bool:
    """Same name and (coordinates within ~50 m or the same phone) as another place's values."""
    if place_keys(a)[0] != name_key(name):
        return False
    known = a.latitude is not None and a.longitude is not None and lat is not None and lon is not None
    if known and distance_m(a.latitude, a.longitude, float(lat), float(lon)) <= DUPLICATE_DISTANCE_M:  # type: ignore[arg-type]
        return True
    return bool(a.phone and phone and set(_digits_list(a.phone)) & set(_digits_list(str(phone))))


def _digits_list(phones: str) -> list[str]:
    return [re.sub(r"\D", "", p)[-10:] for p in phones.split(",") if len(re.sub(r"\D", "", p)) >= 7]
