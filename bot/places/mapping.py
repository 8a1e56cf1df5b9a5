"""Column → field mapping, in tiers from cheap to expensive (the header row itself: `layout`).

exact/alias on the normalised header → memory of confirmed choices → the header read word by word
(`header_words`) → a near spelling of a whole alias → value patterns → GigaChat (done by the caller
through ``apply_llm_answer``) → unmapped. Then one id per table: a portal's global id first. A
column that is none of our fields is kept as an extra column, never dropped; every rule that
decided a column names itself in ``method``.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any, Literal

from bot.core.text import closest, lemmas_of, normalize_header
from bot.places.fields import ALIASES, FIELDS, MULTI_FIELDS
from bot.places.header_words import Reading, read_header, split_words, table_prefix

Method = Literal[
    "exact", "alias", "memory", "words", "abbreviation", "typo", "not_ours", "foreign_key", "second_id",
    "xy", "index", "geometry", "reviews", "card_link", "taken", "fuzzy", "values", "llm", "none",
]  # fmt: skip
CellValue = str | int | float | bool | None

CONFIDENT = frozenset({"exact", "alias", "memory"})


def lemma_phrase(text: str) -> str:
    """The likeliest lemma of every word of a normalised phrase, so plural and case forms meet."""
    return " ".join(lemmas_of(text))


_EXACT = {normalize_header(aliases[0]): f for f, aliases in ALIASES.items()} | {f.replace("_", " "): f for f in FIELDS}
_ALIAS = {normalize_header(a): f for f, aliases in ALIASES.items() for a in aliases}
_ALIAS_LEMMAS = {lemma_phrase(k): f for k, f in _ALIAS.items()}
_ALIAS_COMPACT = {k.replace(" ", ""): f for k, f in _ALIAS.items()}


@dataclass
class ColumnMapping:
    """One column of the sheet and the field it feeds (None: kept as an extra column)."""

    index: int
    header: str
    field: str | None
    confidence: float
    method: Method
    alternatives: list[str] = dc_field(default_factory=list)
    wanted: str | None = dc_field(default=None, repr=False)  # the field it lost to a more confident column
    kind: str | None = dc_field(default=None, repr=False)  # kept as extra: what its header says it is

    def to_json(self) -> dict[str, Any]:
        """The stable JSON form of the `mapping` command."""
        return {
            "index": self.index,
            "header": self.header,
            "field": self.field,
            "confidence": round(self.confidence, 2),
            "method": self.method,
            "kind": self.kind,
        }


def is_blank(value: CellValue) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def header_like(value: CellValue) -> bool:
    if not isinstance(value, str):
        return False
    text = value.strip()
    return 0 < len(text) <= 60 and not re.fullmatch(r"[\d\s.,:;+()\-/]+", text)


def known_header(text: str) -> bool:
    """True when a header text is one of our exact names or aliases."""
    return _lookup(normalize_header(text))[0] is not None


# --- column mapping ---------------------------------------------------------------------------------


def _lookup(norm: str) -> tuple[str | None, Method]:
    if not norm:
        return None, "none"
    if norm in _EXACT:
        return _EXACT[norm], "exact"
    if norm in _ALIAS:
        return _ALIAS[norm], "alias"
    lemmatised = lemma_phrase(norm)
    if lemmatised in _ALIAS_LEMMAS:
        return _ALIAS_LEMMAS[lemmatised], "alias"
    compact = norm.replace(" ", "")
    if compact in _ALIAS_COMPACT:  # PublicPhone, restNAME, WebSite
        return _ALIAS_COMPACT[compact], "alias"
    return None, "none"


def _texts(header: str, alternatives: Sequence[str]) -> list[str]:
    """Texts to match a column by: the header, its last part («Контакты / Телефон»), its first, captions."""
    texts = [header]
    if " / " in header:
        texts.append(header.rsplit(" / ", 1)[1])
        texts.append(header.split(" / ", 1)[0])
    texts.extend(alternatives)
    return [t for t in texts if t]


def _candidates(header: str, alternatives: Sequence[str]) -> list[str]:
    return [normalize_header(t) for t in _texts(header, alternatives)]


_FUZZY_ALIASES = [alias for alias in _ALIAS_LEMMAS if len(alias) >= 3]


def _fuzzy(norm: str) -> tuple[str | None, float]:
    lemmatised = lemma_phrase(norm)
    found = closest(lemmatised, _FUZZY_ALIASES, 0.82)
    if found:
        return _ALIAS_LEMMAS[found[0]], found[1] * 0.9
    words = set(lemmatised.split())
    contained = [(f, len(a)) for a, f in _ALIAS_LEMMAS.items() if len(a) >= 4 and set(a.split()) <= words]
    if contained:
        field_name = max(contained, key=lambda item: item[1])[0]
        return field_name, 0.7
    return None, 0.0


WORDS_CONFIDENCE = {"words": 0.9, "abbreviation": 0.8, "typo": 0.75, "xy": 0.85, "reviews": 0.85}


def map_by_headers(
    headers: Sequence[str],
    alternatives: Sequence[Sequence[str]] = (),
    memory: dict[str, str | None] | None = None,
) -> list[ColumnMapping]:
    """Tiers 1–4: exact/alias, remembered header choices, the header's words, a near spelling."""
    memory = memory or {}
    prefix = table_prefix(headers)
    reviews = _is_reviews_table(headers)
    columns = []
    for index, header in enumerate(headers):
        alts = list(alternatives[index]) if index < len(alternatives) else []
        columns.append(_map_header(ColumnMapping(index, header, None, 0.0, "none", alts), memory, prefix, reviews))
    _choose_id(columns, prefix, reviews=reviews)
    _second_choices(columns, prefix)
    _resolve_duplicates(columns)
    return columns


def _second_choices(columns: list[ColumnMapping], prefix: str | None) -> None:
    """Where a table has no type column, its cuisine is the type; a locality next to a city is a district."""
    taken = {c.field for c in columns if c.field}
    for column in columns:
        if column.field is not None or column.method != "not_ours":
            continue
        reading = read_header(column.header, prefix)
        if reading is not None and "cuisine" in reading.concepts and "category" not in taken:
            column.field, column.method, column.confidence = "category", "words", 0.7
            taken.add("category")
    cities = [c for c in columns if c.field == "city"]
    if len(cities) > 1 and "district" not in taken:
        for column in cities:
            if "locality" in split_words(column.header):
                column.field = "district"
                break


def _map_header(
    column: ColumnMapping, memory: dict[str, str | None], prefix: str | None, reviews: bool
) -> ColumnMapping:
    header, alts = column.header, column.alternatives
    for text in [] if header.lstrip().startswith("@") else _candidates(header, alts):  # ``@type`` is OSM's own
        found, method = _lookup(text)
        if found:
            column.field, column.method = found, method
            column.confidence = 1.0 if method == "exact" else 0.95
            break
    if column.method == "none" and normalize_header(header) in memory:
        column.field, column.method, column.confidence = memory[normalize_header(header)], "memory", 1.0
    head_unknown = False
    if column.method == "none" and not _unnamed(header):
        reading = _read_words(header, alts, prefix, reviews=reviews)
        head_unknown = reading is not None and reading.method == "none"
        if reading is not None and not head_unknown:
            column.field, column.method = reading.field, reading.method  # type: ignore[assignment]
            column.kind = reading.kind
            column.confidence = WORDS_CONFIDENCE.get(reading.method, 0.9) if reading.field else 0.9
    if column.method == "none" and not _unnamed(header) and not head_unknown:
        for text in _candidates(header, alts):
            found, score = _fuzzy(text)
            if found:
                column.field, column.method, column.confidence = found, "fuzzy", score
                break
    if reviews and column.field == "description" and normalize_header(header) in _REVIEW_TEXTS:
        column.field, column.method = "notes", "reviews"  # a review dataset's text is a review, kept as notes
    return column


_REVIEW_TEXTS = frozenset({"текст", "text", "текст отзыва", "review text", "review", "отзыв", "комментарий"})
_UNNAMED_RE = re.compile(r"^(Колонка [A-Z]+|Unnamed: \d+|Column\d+|index|level_0)$")


def _unnamed(header: str) -> bool:
    return bool(_UNNAMED_RE.match(header.strip()))


def _read_words(header: str, alternatives: Sequence[str], prefix: str | None, *, reviews: bool) -> Reading | None:
    readings = (read_header(text, prefix, reviews=reviews) for text in _texts(header, alternatives))
    return next((reading for reading in readings if reading is not None), None)


def _is_reviews_table(headers: Sequence[str]) -> bool:
    """A review dataset: a review text (or a review id) next to an author or a rating."""
    readings = [read_header(h) for h in headers if not _unnamed(h)]
    concepts = [set(r.concepts) - {"qualifier"} if r else set() for r in readings]
    has_text = any(c in ({"text"}, {"review"}, {"review", "text"}) for c in concepts)
    return has_text and any(c in ({"author"}, {"rating"}) for c in concepts)


def _choose_id(columns: list[ColumnMapping], prefix: str | None, *, reviews: bool) -> None:
    """One id per table: a portal's global id, then a place's own id, then a plain id or row number."""
    ids = [c for c in columns if c.field == "id"]
    if len(ids) < 2:
        return

    def rank(column: ColumnMapping) -> int:
        reading = read_header(column.header, prefix, reviews=reviews)
        return reading.id_rank if reading is not None and reading.field == "id" else 1

    keep = max(ids, key=lambda c: (rank(c), -c.index))
    for column in ids:
        if column is not keep:
            column.field, column.method, column.confidence = None, "second_id", 0.9


def _resolve_duplicates(columns: list[ColumnMapping]) -> None:
    """Keep one column per single-valued field: the most confident, then the leftmost."""
    by_field: dict[str, list[ColumnMapping]] = {}
    for column in columns:
        if column.field and column.field not in MULTI_FIELDS:
            by_field.setdefault(column.field, []).append(column)
    for same in by_field.values():
        keep = max(same, key=lambda c: (c.confidence, -c.index))
        for column in same:
            if column is not keep:
                column.wanted = column.field
                column.field, column.method, column.confidence = None, "taken", 0.0


# --- value patterns ---------------------------------------------------------------------------------

PHONE_RE = re.compile(r"^(\+?7|8)?[\s\-(]*\d{3}[\s\-)]*\d{3}[\s\-]*\d{2}[\s\-]*\d{2}(\s*(доб|ext)\.?\s*\d+)?$")
EMAIL_RE = re.compile(r"^[\w.+-]+@[\w-]+(\.[\w-]+)+$")
URL_RE = re.compile(r"^(https?://|www\.)\S+$|^[\w-]+(\.[\w-]+)*\.(ru|com|рф|org|net|su|info|moscow|spb)(/\S*)?$")
SOCIAL_RE = re.compile(r"(vk\.com|t\.me|instagram\.com|ok\.ru|facebook\.com|youtube\.com|@\w{4,}$)")
COORDS_RE = re.compile(r"^\s*\[?\(?\s*(-?\d{1,3}[.,]\d{3,})\s*[,; ]\s*(-?\d{1,3}[.,]\d{3,})\s*\)?\]?\s*$")
HOURS_RE = re.compile(
    r"(\d{1,2}[:.]\d{2}\s*[-–—]\s*\d{1,2}[:.]\d{2}|круглосуточно|24/7|\b(пн|вт|ср|чт|пт|сб|вс|mo|tu|we|th|fr|sa|su)\b"
    r"|выходн)",
    re.IGNORECASE,
)
PRICE_RE = re.compile(r"(₽|\d\s*руб|\d\s*р\.|\d+\s*[-–]\s*\d+\s*(₽|р|руб)|\$|€)", re.IGNORECASE)


def _share(values: Sequence[str], test: Any) -> float:
    return sum(1 for v in values if test(v)) / len(values) if values else 0.0


def _as_float(value: str) -> float | None:
    try:
        return float(value.replace(",", "."))
    except ValueError:
        return None


def _guess_by_values(values: Sequence[str]) -> tuple[str | None, float]:
    checks: list[tuple[str, Any]] = [
        ("email", lambda v: EMAIL_RE.match(v)),
        ("social", lambda v: SOCIAL_RE.search(v)),
        ("website", lambda v: URL_RE.match(v.lower())),
        ("coordinates", lambda v: COORDS_RE.match(v)),
        ("phone", lambda v: PHONE_RE.match(v.split(",")[0].strip())),
        ("working_hours", lambda v: HOURS_RE.search(v)),
        ("price", lambda v: PRICE_RE.search(v)),
    ]
    for field_name, test in checks:
        share = _share(values, test)
        if share >= 0.6:
            return field_name, round(0.5 + 0.3 * share, 2)
    numbers = [n for n in (_as_float(v) for v in values) if n is not None]
    if len(numbers) == len(values) and numbers:
        decimals = _share(values, lambda v: re.search(r"[.,]\d{3,}", v))
        if decimals >= 0.8 and all(-90 <= n <= 90 for n in numbers):
            return "latitude", 0.6
        if decimals >= 0.8 and all(-180 <= n <= 180 for n in numbers):
            return "longitude", 0.6
        if all(1 <= n <= 5 for n in numbers) and _share(values, lambda v: re.search(r"[.,]\d", v)) >= 0.3:
            return "rating", 0.55
    average = sum(len(v) for v in values) / len(values) if values else 0
    if average >= 80:
        return "description", 0.55
    return None, 0.0


GEOMETRY_RE = re.compile(
    r"^\s*(SRID=\d+;\s*)?(MULTI)?POINT\s*Z?\s*\(|\"type\"\s*:\s*\"(Multi)?Point\"|\"coordinates\"\s*:\s*\[",
    re.IGNORECASE,
)
CARD_LINK_RE = re.compile(
    r"(yandex\.\w+/maps|maps\.yandex|2gis\.\w+/|google\.\w+/maps|maps\.google|goo\.gl/maps|maps\.app\.goo\.gl"
    r"|tripadvisor\.|zomato\.com|foursquare\.com|yelp\.com)",
    re.IGNORECASE,
)
ADDRESS_RE = re.compile(
    r"^(?=.{5,120}$).*\b(ул|улица|пр|проспект|пр-т|пер|переулок|ш|шоссе|наб|набережная|б-р|бульвар|пл|площадь|д|дом)\b\.?"
    r"\s*[\w«\"-]*.*\d",
    re.IGNORECASE,
)
_FLAG_VALUES = re.compile(
    r"^\s*(yes|no|да|нет|true|false|0|1|feature|node|way|relation|point|branch|business|toponym|platno|платно"
    r"|бесплатно|free)\s*$",
    re.IGNORECASE,
)


def _coordinate_like(value: str) -> bool:
    return bool(COORDS_RE.match(value) or GEOMETRY_RE.search(value))


DATE_RE = re.compile(r"^\d{1,4}[./-]\d{1,2}[./-]\d{1,4}([ T]\d{1,2}:\d{2}(:\d{2})?)?|^\d{4}-\d{2}-\d{2}")


def _values(column: ColumnMapping, samples: Sequence[Sequence[CellValue]]) -> list[str]:
    values = [
        str(row[column.index]).strip() for row in samples if column.index < len(row) and row[column.index] is not None
    ]
    return [v for v in values if v]


def _check_by_values(columns: list[ColumnMapping], samples: Sequence[Sequence[CellValue]]) -> None:
    """Values overrule a header where they cannot be what it says: X/Y in metres, map-card links…"""
    for column in columns:
        before = column.field
        _check_column_values(column, samples)
        if before is not None and column.field != before and before not in {c.field for c in columns}:
            heir = next((c for c in columns if c.method == "taken" and c.wanted == before), None)
            if heir is not None:  # the field is free again: the column that lost it takes it back
                heir.field, heir.method, heir.confidence = before, "words", 0.8


def _check_column_values(column: ColumnMapping, samples: Sequence[Sequence[CellValue]]) -> None:
    values = _values(column, samples)
    if len(values) < 2 or column.method == "memory":
        return
    words = split_words(column.header)
    if column.field in ("latitude", "longitude") and words and words[-1] in ("x", "y"):
        limit = 90 if column.field == "latitude" else 180
        numbers = [_as_float(v) for v in values]
        if any(n is None or abs(n) > limit for n in numbers):
            column.field, column.method, column.confidence = None, "xy", 0.8  # projected metres
    elif column.field == "website" and _share(values, CARD_LINK_RE.search) >= 0.6:
        column.field, column.method, column.confidence = None, "card_link", 0.85
    elif column.field in ("price", "rating", "category") and _share(values, _FLAG_VALUES.match) >= 0.8:
        column.field, column.method, column.confidence = None, "not_ours", 0.8  # yes/no, Feature, node
    elif column.field == "description" and _share(values, ADDRESS_RE.search) >= 0.6:
        column.field, column.method, column.confidence = "address", "values", 0.8
    elif column.field is None and column.method == "not_ours" and _share(values, _coordinate_like) >= 0.8:
        column.field, column.method, column.confidence = "coordinates", "geometry", 0.8  # «На карте»


def _is_counter(values: Sequence[str]) -> bool:
    numbers = [_as_float(v) for v in values]
    if len(numbers) < 3 or any(n is None or n != int(n) for n in numbers):
        return False
    ints = [int(n) for n in numbers if n is not None]
    return ints[0] in (0, 1) and all(b - a == 1 for a, b in itertools.pairwise(ints))


def _by_shape(column: ColumnMapping, values: Sequence[str], taken: set[str]) -> bool:
    """An unnamed 0…n counter is an id, WKT/GeoJSON points are coordinates, dates are nothing of ours."""
    if _unnamed(column.header) and "id" not in taken and _is_counter(values):
        column.field, column.method, column.confidence = "id", "index", 0.8
        taken.add("id")
        return True
    if _share(values, GEOMETRY_RE.search) >= 0.6:
        if "coordinates" not in taken:
            column.field, column.method, column.confidence = "coordinates", "geometry", 0.85
            taken.add("coordinates")
        return True
    return _share(values, DATE_RE.match) >= 0.6


def map_by_values(columns: list[ColumnMapping], samples: Sequence[Sequence[CellValue]]) -> None:
    """Tier 5: recognise unmatched columns by what is in them (phones, e-mails, coordinates…)."""
    _check_by_values(columns, samples)
    taken = {c.field for c in columns if c.field}
    for column in columns:
        if column.field is not None or column.method != "none":
            continue
        values = _values(column, samples)
        if len(values) < 2:
            continue
        if _by_shape(column, values, taken):
            continue
        found, confidence = _guess_by_values(values)
        if found == "latitude" and "latitude" in taken:
            found = "longitude"
        if found and (found in MULTI_FIELDS or found not in taken):
            column.field, column.method, column.confidence = found, "values", confidence
            taken.add(found)
    if "name" not in taken:
        _guess_name(columns, samples)


def _guess_name(columns: list[ColumnMapping], samples: Sequence[Sequence[CellValue]]) -> None:
    """No name column by header: take the leftmost free column of short, distinct texts."""
    for column in columns:
        if column.field is not None or column.method != "none":
            continue
        values = [str(r[column.index]).strip() for r in samples if column.index < len(r) and r[column.index]]
        texts = [v for v in values if header_like(v) and not v.replace(" ", "").isdigit() and not DATE_RE.match(v)]
        if len(texts) >= 2 and len(texts) >= 0.8 * len(values) and len(set(texts)) >= 0.8 * len(texts):
            column.field, column.method, column.confidence = "name", "values", 0.5
            return


# --- GigaChat tier -------------------------------------------------------------------------------------


def needs_llm(columns: Sequence[ColumnMapping]) -> bool:
    """True when some column is still unmapped, or no column carries the required name."""
    return any(c.method == "none" for c in columns) or not any(c.field == "name" for c in columns)


def sample_values(samples: Sequence[Sequence[CellValue]], index: int, limit: int = 3) -> list[str]:
    """A few distinct non-empty values of one column, shortened for a prompt or a message."""
    seen: list[str] = []
    for row in samples:
        if index < len(row) and not is_blank(row[index]):
            text = str(row[index]).strip().replace("\n", " ")[:60]
            if text not in seen:
                seen.append(text)
        if len(seen) >= limit:
            break
    return seen


def apply_llm_answer(columns: list[ColumnMapping], answer: dict[int, tuple[str | None, float]]) -> None:
    """Take GigaChat's choice for columns no cheaper tier decided; never override them."""
    taken = {c.field for c in columns if c.field}
    for column in columns:
        if column.method != "none" or column.index not in answer:
            continue
        found, confidence = answer[column.index]
        if found in FIELDS and (found in MULTI_FIELDS or found not in taken):
            column.field, column.method, column.confidence = found, "llm", max(0.0, min(confidence, 0.9))
            taken.add(found)
