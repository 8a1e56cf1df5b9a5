"""Reading a header word by word, for the headers no whole-header alias knows.

A header is split into words (camelCase, snake_case, OSM colons, digits), each word is read as a
concept through a table of Russian lemmas and English and transliterated words (then by prefix for
abbreviations, then by spelling for typos), and the head word decides: the first concept of a
Russian header («Дата обновления адреса» is a date), the last of a Latin one (``contact_phone`` is a
phone). Qualifiers («летом», ``WGS84``, a table prefix) never decide. Some heads need their
complement: «Номер телефона» is a phone, ``category_id`` a link to another table, ``name_en`` a
translated name, ``rating_text`` not a rating.

`read_header` returns what one header says; the id rules over a whole row live in `mapping`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from bot.core.text import closest, lemmas, normalize

# Kinds of concepts that are not one of our fields: the column is kept as an extra column.
NOT_OURS = frozenset({
    "date", "count", "flag", "extension", "code", "postcode", "currency", "photo", "author", "status",
    "company", "card", "cuisine", "source", "fax", "menu", "language", "size", "user", "country",
    "review", "translated", "weekday",
})  # fmt: skip
# Words that need a complement to say what they are.
GENERIC = frozenset({"number", "text", "link", "x", "y"})
# Words that only qualify another: never a head, and ignored unless a rule asks for them.
ENTITY = frozenset({"place", "global", "osm", "parent"})
QUALIFIER = "qualifier"
UNKNOWN = "?"
_UNKNOWN_ADJECTIVE = "?adj"
ANYWHERE = ("date", "count", "flag")  # wherever they stand, the column is not ours

# fmt: off
_WORDS: dict[str, tuple[str, ...]] = {
    "name": (
        "название", "наименование", "имя", "name", "title", "nazvanie", "naimenovanie", "nazv", "naim",
        "caption", "label", "restname", "commonname", "fullname", "shortname", "наим",
    ),
    "category": (
        "категория", "тип", "вид", "рубрика", "рубрикатор", "профиль", "category", "categories", "type", "kind",
        "rubric", "rubrics", "amenity", "tourism", "leisure", "shop", "historic", "establishment", "class",
        "classification", "kategoriya", "kategoria", "tip", "vid", "typeobject", "objecttype", "specialization",
        "специализация", "сфера", "направление", "genre", "жанр", "formattype",
    ),
    "subcategory": ("подкатегория", "подтип", "подрубрика", "подвид", "subcategory", "subtype", "subcat", "subclass"),
    "description": (
        "описание", "description", "desc", "about", "opisanie", "характеристика", "overview", "summary",
        "аннотация", "annotation",
    ),
    "address": (
        "адрес", "улица", "дом", "строение", "корпус", "address", "addr", "street", "housenumber", "house",
        "building", "adres", "adress", "ulitsa", "road", "местоположение", "местонахождение", "ул",
        "проспект", "переулок", "addressline", "streetaddress",
    ),
    "city": ("город", "city", "town", "village", "gorod", "населенный", "поселение", "municipality", "locality"),
    "region": (
        "регион", "область", "край", "субъект", "region", "state", "province", "oblast", "admarea",
        "республика",
    ),
    "district": (
        "район", "микрорайон", "district", "neighborhood", "neighbourhood", "borough", "rayon", "raion",
        "admdistrict", "округ", "suburb", "quarter",
    ),
    "phone": (
        "телефон", "тел", "phone", "telephone", "tel", "mobile", "мобильный", "telefon", "phones", "телефоны",
        "phoneunformatted",
    ),
    "email": ("email", "почта", "mail", "емейл", "имейл", "pochta", "эл", "емэйл"),
    "website": ("сайт", "website", "web", "site", "url", "homepage", "www", "sait", "sayt", "вебсайт", "webpage"),
    "working_hours": (
        "hours", "timings", "schedule", "расписание", "график", "режим", "openinghours", "workinghours",
        "workhours", "rezhim", "grafik", "chasy", "opening",
    ),
    "latitude": ("широта", "latitude", "lat", "shirota"),
    "longitude": ("долгота", "longitude", "lon", "lng", "long", "dolgota"),
    "coordinates": (
        "координаты", "coordinates", "coords", "coord", "geo", "geodata", "point", "geometry", "geom", "wkt",
        "geojson", "shape", "koordinaty", "геоданные", "геокоординаты", "gps", "геометрия", "latlon", "latlng",
    ),
    "rating": ("рейтинг", "оценка", "rating", "stars", "score", "звезда", "звездность", "rate", "reiting",
               "reyting", "totalscore"),
    "price": (
        "цена", "стоимость", "чек", "check", "bill", "price", "cost", "fee", "tsena", "cena", "прайс", "pricelevel",
    ),
    "social": (
        "соцсеть", "vk", "вконтакте", "vkontakte", "instagram", "инстаграм", "telegram", "телеграм", "tg",
        "facebook", "фейсбук", "whatsapp", "ватсап", "ok", "одноклассники", "twitter", "youtube", "ютуб",
        "social", "socials", "соц", "viber", "tiktok",
    ),
    "notes": (
        "примечание", "комментарий", "заметка", "note", "notes", "comment", "comments", "remark", "remarks",
        "highlights", "primechanie", "kommentariy", "clarification", "уточнение", "дополнительно", "особенность",
        "features",
    ),
    "id": ("id", "code", "код", "идентификатор", "uid", "ид", "identifier", "kod", "key", "fid", "objectid", "ogc_fid"),
    # not ours
    "date": (
        "дата", "время", "год", "date", "time", "datetime", "timestamp", "updated", "created", "modified",
        "changed", "year", "обновление", "изменение", "создание",
    ),
    "count": (
        "количество", "число", "count", "cnt", "votes", "total", "сколько", "reviewscount", "quantity", "qty",
        "мест", "seats", "seatscount", "capacity", "вместимость",
    ),
    "flag": (
        "есть", "наличие", "признак", "подтвердить", "подтвержденный", "проверенный", "is", "has", "флаг",
        "flag", "wheelchair", "доступность", "открыто", "verified", "confirmed", "active", "enabled",
        "claimed", "permanently", "closed", "isnetobject",
    ),
    "extension": ("добавочный", "extension", "ext", "доб"),
    "code": ("инн", "огрн", "кпп", "окпо", "октмо", "оквэд", "okpo", "inn", "ogrn", "kpp", "oktmo", "okato",
             "окато"),
    "postcode": ("индекс", "postcode", "zipcode", "zip", "postal", "почтовый"),
    "currency": ("валюта", "currency"),
    "photo": ("фото", "фотография", "изображение", "photo", "photos", "image", "images", "img", "picture",
              "logo", "логотип", "thumbnail"),
    "author": ("автор", "author", "reviewer", "username", "пользователь", "user", "клиент"),
    "status": ("статус", "status", "состояние",),
    "company": (
        "компания", "оператор", "владелец", "собственник", "юрлицо", "учредитель", "company", "operator",
        "owner", "brand", "бренд", "сеть", "chain", "network", "operatingcompany", "legalname", "legal",
        "балансодержатель",
    ),
    "card": ("карточка", "card", "карта", "map", "maps", "permalink", "2gis", "yandex", "google", "tripadvisor",
             "яндекс", "источник", "source"),
    "cuisine": ("кухня", "cuisine", "cuisines"),
    "fax": ("факс", "fax"),
    "menu": ("меню", "menu"),
    "language": ("язык", "language", "lang"),
    "size": ("площадь", "square", "размер", "size", "этаж", "floor", "этажность"),
    "country": ("страна", "country", "countrycode"),
    "review": ("отзыв", "review", "reviews", "feedback", "отзывы"),
    "weekday": ("day", "days", "weekday", "день", "дни"),
    # generic heads
    "number": ("номер", "number", "no", "num", "nr", "n", "nomer", "пп"),
    "text": ("текст", "text", "содержание", "content", "body"),
    "link": ("ссылка", "link", "href", "links"),
    "x": ("x", "xcoord", "pointx", "coordx"),
    "y": ("y", "ycoord", "pointy", "coordy"),
    # entities and qualifiers
    "place": (
        "объект", "место", "заведение", "организация", "place", "venue", "poi",
        "object", "obj", "business", "restaurant", "res", "hotel", "organization",
        "organisation", "org", "store", "учреждение", "location", "facility", "attraction", "museum",
    ),
    "global": ("global", "глобальный", "guid", "uuid", "globalid", "gid"),
    "osm": ("osm", "osmid"),
    "parent": ("parent", "родительский"),
    "translated": ("en", "eng", "english", "английский", "translit", "транслит", "int", "intl",
                   "international", "латиница", "latin", "de", "fr", "zh",),
    QUALIFIER: (
        "contact", "контактный", "контакт", "main", "основной", "full", "полный", "short", "краткий",
        "официальный", "official", "public", "публичный", "summer", "летом", "летний", "зимний", "winter",
        "зимой", "wgs", "wgs84", "84", "ru", "rus", "russian", "русский", "фактический", "юридический",
        "actual", "current", "текущий", "primary", "secondary", "дополнительный", "alt", "local", "tbl", "fld",
        "f", "the", "of", "for", "in", "on", "at", "by", "для", "на", "в", "по", "к", "и", "с",
        "электронный", "e", "info", "информация", "details", "data", "общий", "городской", "детальный",
        "center", "центр", "formatted", "unformatted", "raw", "value", "значение", "ссылочный", "two",
        "average", "avg", "средний", "rub", "rur", "руб", "middle", "monday", "tuesday", "wednesday", "thursday",
        "friday",
        "saturday", "sunday", "понедельник", "вторник", "среда", "четверг", "пятница", "суббота",
        "воскресенье", "пн", "вт", "ср", "чт", "пт", "сб", "вс", "weekdays", "weekend", "будни",
    ),
}
# Phrases read before single words (lemmas in order).
_PHRASES: dict[tuple[str, ...], str] = {
    ("часы", "работа"): "working_hours", ("час", "работа"): "working_hours",
    ("время", "работа"): "working_hours", ("режим", "работа"): "working_hours",
    ("график", "работа"): "working_hours", ("opening", "hours"): "working_hours",
    ("working", "hours"): "working_hours", ("work", "hours"): "working_hours",
    ("open", "hours"): "working_hours", ("business", "hours"): "working_hours",
    ("электронный", "почта"): "email", ("e", "mail"): "email", ("эл", "почта"): "email",
    ("адрес", "электронный", "почта"): "email", ("адрес", "почта"): "email",
    ("адрес", "сайт"): "website", ("веб", "сайт"): "website", ("web", "site"): "website",
    ("home", "page"): "website",
    ("населенный", "пункт"): "city", ("нас", "пункт"): "city",
    ("средний", "чек"): "price", ("price", "range"): "price", ("average", "cost"): "price",
    ("price", "level"): "price", ("ценовой", "категория"): "price", ("ценовый", "категория"): "price",
    ("административный", "округ"): "region", ("adm", "area"): "region",
    ("почтовый", "индекс"): "postcode", ("postal", "code"): "postcode", ("zip", "code"): "postcode",
    ("кол", "во"): "count", ("number", "of"): "count",
    ("соц", "сеть"): "social", ("социальный", "сеть"): "social", ("social", "media"): "social",
    ("house", "number"): "address", ("номер", "дом"): "address", ("street", "address"): "address",
    ("да", "нет"): "flag", ("yes", "no"): "flag",
    ("rating", "text"): "status", ("review", "count"): "count", ("reviews", "count"): "count",
    ("п", "п"): "number",
    ("geo", "data"): "coordinates", ("lat", "lon"): "coordinates", ("lat", "lng"): "coordinates",
    ("широта", "долгота"): "coordinates",
    ("is", "open"): "flag", ("has", "website"): "flag", ("total", "score"): "rating",
    ("whats", "app"): "social", ("working", "time"): "working_hours", ("work", "time"): "working_hours",
    ("avg", "check"): "price", ("average", "check"): "price", ("avg", "bill"): "price",
}
# fmt: on

_SPLIT_RE = re.compile(r"(?<=[a-zа-яё])(?=[A-ZА-ЯЁ])|(?<=[A-ZА-ЯЁ])(?=[A-ZА-ЯЁ][a-zа-яё])")
_DIGITS_RE = re.compile(r"(?<=[^\W\d_])(?=\d)|(?<=\d)(?=[^\W\d_])")
_CYRILLIC_RE = re.compile(r"[а-яё]", re.IGNORECASE)
MIN_PREFIX = 3
MIN_TYPO = 5
TYPO_CUTOFF = 0.9


@dataclass(frozen=True)
class Reading:
    """What one header says: a field (None: not ours), how it was found, and the id kind if an id."""

    field: str | None
    method: str
    concepts: tuple[str, ...] = ()
    id_rank: int = 0  # for an id: 4 a review's own id, 3 a portal's global id, 2 a place's own id, 1 plain
    kind: str | None = None  # for a column not ours: what the header says it is ("date", "count"…)


def _key(word: str) -> str:
    return lemmas(word)[0] if _CYRILLIC_RE.search(word) else word


@lru_cache(maxsize=1)
def _vocabulary() -> dict[str, str]:
    table: dict[str, str] = {}
    for concept, words in _WORDS.items():
        for word in words:
            for part in (word, _key(normalize(word).replace(" ", "")) if word.isalpha() else word):
                table.setdefault(part, concept)
    return table


@lru_cache(maxsize=1)
def _phrases() -> dict[tuple[str, ...], str]:
    return {tuple(_key(word) for word in phrase): concept for phrase, concept in _PHRASES.items()}


def split_words(header: str) -> list[str]:
    """The words of a header: camelCase, snake_case, OSM colons, digits and punctuation split."""
    text = header.replace("№", " n ").replace("@", " osm ")
    text = _SPLIT_RE.sub(" ", text)
    text = _DIGITS_RE.sub(" ", text)
    return normalize(text).split()


@lru_cache(maxsize=8192)
def _concept(word: str) -> tuple[str | None, str]:
    """The concept of one word and how it was read: a known word, an abbreviation or a typo."""
    vocabulary = _vocabulary()
    for candidate in (word, *lemmas(word)):
        if candidate in vocabulary:
            return vocabulary[candidate], "words"
    if word.isdigit():
        return QUALIFIER, "words"
    if len(word) >= MIN_PREFIX:
        owners = {concept for known, concept in vocabulary.items() if known.startswith(word) and len(known) > len(word)}
        owners.discard(QUALIFIER)
        if len(owners) == 1:
            return owners.pop(), "abbreviation"
    if len(word) >= MIN_TYPO:
        found = closest(word, list(vocabulary), TYPO_CUTOFF)
        if found and vocabulary[found[0]] != QUALIFIER:
            return vocabulary[found[0]], "typo"
    return None, "none"


def concepts(words: Sequence[str], prefix: str | None = None) -> tuple[list[str], str]:
    """The concepts of a header's words in order (phrases first), and the weakest reading used."""
    if prefix is not None and len(words) > 1 and words[0] == prefix:
        words = words[1:]
    phrases = _phrases()
    keys = [(word, lemmas(word)) for word in words]
    found: list[str] = []
    method = "words"
    position = 0
    while position < len(keys):
        for length in (3, 2):
            chunk = keys[position : position + length]
            if len(chunk) == length:
                for combo in _combos([candidates for _, candidates in chunk], [word for word, _ in chunk]):
                    if combo in phrases:
                        found.append(phrases[combo])
                        position += length
                        break
                else:
                    continue
                break
        else:
            concept, how = _concept(keys[position][0])
            if concept is None:
                found.append(_UNKNOWN_ADJECTIVE if _adjective(keys[position][1][0]) else UNKNOWN)
            else:
                found.append(concept)
                if how != "words":
                    method = how
            position += 1
    return found, method


def _adjective(lemma: str) -> bool:
    return bool(_CYRILLIC_RE.search(lemma)) and lemma.endswith(("ый", "ий", "ой"))


def _combos(candidates: list[tuple[str, ...]], raw: list[str]) -> list[tuple[str, ...]]:
    forms: list[tuple[str, ...]] = [()]
    for word, options in zip(raw, candidates, strict=True):
        forms = [(*form, choice) for form in forms for choice in dict.fromkeys((word, *options))][:16]
    return forms


@lru_cache(maxsize=4096)
def read_header(header: str, prefix: str | None = None, *, reviews: bool = False) -> Reading | None:
    """What a header says word by word; None when no word of it is known (one row reads each header often)."""
    words = split_words(header)
    if not words:
        return None
    found, method = concepts(words, prefix)
    for kind in ANYWHERE:
        if kind in found:
            return Reading(None, "not_ours", tuple(found), kind=kind)
    latin = not _CYRILLIC_RE.search(header)
    if latin and "of" in words[1:]:
        found = _before_of(words, found, prefix)
    heads = [c for c in found if c not in ENTITY and c not in (QUALIFIER, "translated", _UNKNOWN_ADJECTIVE)]
    if not heads:
        if "place" in found:
            return Reading("name", method, tuple(found))
        return None
    head = heads[-1] if latin else heads[0]
    if head == UNKNOWN:
        return Reading(None, "none", tuple(found))  # the word that says what it is, is not one we know
    found = [c for c in found if c not in (UNKNOWN, _UNKNOWN_ADJECTIVE)]
    rest = [c for c in found if c != QUALIFIER]
    rest.remove(head)
    field, why = _decide(head, rest, reviews=reviews)
    if field is None:
        said = head if head in NOT_OURS else next((c for c in rest if c in NOT_OURS), None)
        return Reading(None, why or "not_ours", tuple(found), kind=said)
    if field == "id":
        return Reading("id", why or method, tuple(found), _id_rank(header, rest))
    return Reading(field, why or method, tuple(found))


def _before_of(words: list[str], found: list[str], prefix: str | None) -> list[str]:
    """``number_of_reviews``, ``ClarificationOfWorkingHours``: in English the head stands before "of"."""
    before, _ = concepts(words[: words.index("of")], prefix)
    if any(c not in (QUALIFIER, UNKNOWN, _UNKNOWN_ADJECTIVE) for c in before):
        return before + [c for c in found[len(before) :] if c in ENTITY]
    return found


_COMPLEMENT_FIELDS = ("category", "subcategory", "city", "region", "district", "address")


Decision = tuple[str | None, str | None]  # the field (None: not ours) and the rule, when not "words"


def _number(rest: list[str], _reviews: bool) -> Decision:
    rest = [c for c in rest if c != "number"]
    if "phone" in rest:
        return "phone", None
    if "address" in rest:
        return "address", None
    if not rest or "place" in rest:
        return "id", None  # «№», «Номер объекта»
    return None, "not_ours"


def _text(rest: list[str], reviews: bool) -> Decision:
    if "review" in rest or (reviews and not rest):
        return "notes", "reviews"
    if any(c in ("rating", "price", "id") for c in rest):
        return None, "not_ours"  # ``rating_text``: the rating in words
    written = next((c for c in rest if c in FIELD_WORDS), None)
    return (written, None) if written else ("description", None)  # ``Hours.text``, ``displayName.text``


def _link(rest: list[str], _reviews: bool) -> Decision:
    for target in ("social", "website", "email"):
        if target in rest:
            return target, None
    return (None, "not_ours") if any(c in NOT_OURS for c in rest) else ("website", None)


def _id(rest: list[str], _reviews: bool) -> Decision:
    own = "place" in rest or "global" in rest or "osm" in rest
    foreign = [c for c in rest if (c in FIELD_WORDS or c in NOT_OURS or c == "parent") and c != "review"]
    if foreign and not own:
        return None, "foreign_key"  # ``category_id``, ``user_id``
    return "id", None


def _coordinates(rest: list[str], _reviews: bool) -> Decision:
    if "x" in rest or "y" in rest:
        return ("longitude" if "x" in rest else "latitude"), "xy"  # «Коорд_X»
    return "coordinates", None


def _description(rest: list[str], _reviews: bool) -> Decision:
    if "translated" in rest:
        return None, "not_ours"
    described = next((c for c in rest if c in ("working_hours", "address", "category")), None)
    return (described, None) if described else ("description", None)  # ``weekdayDescriptions`` of hours


def _name(rest: list[str], _reviews: bool) -> Decision:
    if "translated" in rest:
        return None, "not_ours"  # ``name:en``: a translation, the name is elsewhere
    complement = next((c for c in rest if c in _COMPLEMENT_FIELDS), None)
    if complement:
        return complement, None  # ``category_name``, «Название района»
    if any(c in ("company", "author", "user", "review") for c in rest):
        return None, "not_ours"
    return "name", None


def _category(rest: list[str], _reviews: bool) -> Decision:
    if "cuisine" in rest or "osm" in rest or "coordinates" in rest:
        return None, "not_ours"  # «Тип кухни», ``osm_type``, ``geometry.type``
    return "category", None


def _address(rest: list[str], _reviews: bool) -> Decision:
    for target in ("email", "website"):
        if target in rest:
            return target, None  # ``email_address``, ``web_address``
    return (None, "not_ours") if "translated" in rest else ("address", None)


_HEADS = {
    "number": _number, "text": _text, "link": _link, "id": _id, "name": _name, "category": _category,
    "address": _address, "coordinates": _coordinates, "description": _description,
}  # fmt: skip


def _decide(head: str, rest: list[str], *, reviews: bool) -> Decision:
    """The field a head word makes with its complements; (None, rule) for a column not ours."""
    if reviews and head == "review":
        return "notes", "reviews"
    if head in NOT_OURS:
        return None, "not_ours"
    if head in ("x", "y"):
        return ("longitude" if head == "x" else "latitude"), "xy"
    if head in _HEADS:
        return _HEADS[head](rest, reviews)
    if head in ("rating", "price") and "text" in rest:
        return None, "not_ours"
    return head, None


FIELD_WORDS = frozenset({
    "name", "category", "subcategory", "description", "address", "city", "region", "district", "phone",
    "email", "website", "working_hours", "latitude", "longitude", "coordinates", "rating", "price",
    "social", "notes", "id",
})  # fmt: skip


def _id_rank(header: str, rest: Sequence[str]) -> int:
    if "review" in rest:
        return 4  # in a table of reviews, the review's own id; the place's is a link
    if "global" in rest or "osm" in rest or header.strip().startswith("@"):
        return 3
    if "place" in rest:
        return 2
    return 1


def table_prefix(headers: Sequence[str]) -> str | None:
    """A word before most headers of a row (``obj_name``, ``obj_address``…): a table prefix."""
    firsts = [words[0] for words in (split_words(h) for h in headers) if len(words) > 1]
    if len(firsts) < 3:
        return None
    top = max(set(firsts), key=firsts.count)
    vocabulary = _vocabulary()
    if firsts.count(top) * 2 < len(headers) or vocabulary.get(top) in FIELD_WORDS:
        return None
    return top
