"""Generated workbooks of places for the benchmarks: realistic Russian text, deterministic, cached.

Two kinds:

* ``reading`` — a full catalogue export: every column filled, most rows with a category and a
  description (what a manager usually sends);
* ``import`` — a file that really needs GigaChat: most names say nothing about the kind of place
  («Объект 17 "Ромашка"»), the category column is absent and most descriptions are empty.

Files are written once with openpyxl's write-only mode into ``<tmp>/places-bench/`` and reused.
"""

from __future__ import annotations

import os
import random
import tempfile
from pathlib import Path
from typing import Literal

from openpyxl import Workbook

Kind = Literal["reading", "import"]

VERSION = 1  # bump when the generated content changes, so stale cached files are not reused
TITLE = "Реестр мест для каталога — выгрузка от 01.03.2025"

READING_HEADERS = (
    "Название", "Категория", "Адрес", "Город", "Телефон", "Часы работы", "Сайт",
    "Широта", "Долгота", "Рейтинг", "Средний чек", "Описание",
)  # fmt: skip
IMPORT_HEADERS = (
    "Название", "Адрес", "Город", "Телефон", "Часы работы", "Сайт",
    "Широта", "Долгота", "Рейтинг", "Средний чек", "Примечание", "Описание",
)  # fmt: skip

CITIES = (
    ("Москва", 55.75, 37.62, "495"),
    ("Санкт-Петербург", 59.94, 30.31, "812"),
    ("Казань", 55.79, 49.12, "843"),
    ("Нижний Новгород", 56.33, 44.0, "831"),
    ("Екатеринбург", 56.84, 60.61, "343"),
    ("Новосибирск", 55.03, 82.92, "383"),
    ("Калининград", 54.71, 20.51, "4012"),
    ("Ярославль", 57.63, 39.87, "4852"),
)
STREETS = (
    "ул. Ленина", "ул. Садовая", "пр-т Мира", "ул. Пушкина", "Невский пр-т", "ул. Гагарина",
    "наб. Реки Фонтанки", "ул. Большая Покровская", "ул. Баумана", "Тверская ул.", "ул. Кирова",
    "пер. Огородный", "ш. Энтузиастов", "б-р Рокоссовского", "ул. Малая Бронная", "пл. Революции",
)  # fmt: skip
BRANDS = (
    "Ромашка", "Луч", "Вектор", "Северное сияние", "Белые ночи", "Огонёк", "Сказка", "Жемчужина",
    "Альфа", "Сфера", "Гармония", "Прованс", "Каравелла", "Полёт", "Тёплый дом", "Берёзка",
)  # fmt: skip
# (name pattern, category value, description) — recognisable by the bot's keyword rules.
KNOWN = (
    ("Кафе «{b}»", "Кафе", "Небольшое кафе с домашней кухней и летней верандой."),
    ("Ресторан «{b}»", "Ресторан", "Ресторан европейской кухни с живой музыкой по пятницам."),
    ("Музей истории города «{b}»", "Музей", "Экспозиция о прошлом города: документы, фотографии, предметы быта."),
    ("Парк «{b}»", "Парк", "Зелёная зона с прудом, прокатом велосипедов и детской площадкой."),
    ("Гостиница «{b}»", "Гостиница", "Уютные номера в историческом центре, завтрак включён."),
    ("Театр кукол «{b}»", "Театр", "Спектакли для детей и взрослых, экскурсии за кулисы."),
    ("Квест-комната «{b}»", "Квест", "Командные квесты на 60 минут для компаний от двух человек."),
)
# Names that say nothing about the kind of place: the category has to come from GigaChat.
OPAQUE = (
    'Объект {n} "{b}"',
    "ООО «{b}-{n}»",
    "ИП Сидоров А. В. ({n})",
    "Компания «{b}» №{n}",
    "Точка на {s}, {n}",
    "{b} {n}",
)
HOURS = (
    "Пн–Пт 10:00–22:00, Сб–Вс 11:00–23:00",
    "ежедневно 09:00–21:00",
    "круглосуточно",
    "Вт–Вс 10:00–18:00, пн — выходной",
    "Пн–Вс 12:00–00:00",
)
PRICES = ("от 500 ₽", "800–1200 ₽", "1500–2500 ₽", "бесплатно", "от 300 руб.", "2000 ₽")


def cache_dir() -> Path:
    """Where generated files live between runs (a fixed folder in the system temp directory)."""
    path = Path(tempfile.gettempdir()) / "places-bench"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _phone(rng: random.Random, code: str) -> str:
    digits = f"{rng.randrange(10**7):07d}"
    if len(code) == 4:
        return f"+7 ({code}) {digits[1:3]}-{digits[3:5]}-{digits[5:7]}"
    return f"+7 ({code}) {digits[:3]}-{digits[3:5]}-{digits[5:7]}"


def _row(rng: random.Random, n: int, kind: Kind, known_share: float, described_share: float) -> list[object]:
    city, lat, lon, code = CITIES[n % len(CITIES)]
    street = STREETS[rng.randrange(len(STREETS))]
    brand = BRANDS[rng.randrange(len(BRANDS))]
    if rng.random() < known_share:
        pattern, category, description = KNOWN[rng.randrange(len(KNOWN))]
        name = pattern.format(b=brand) + f" №{n}"
    else:
        pattern = OPAQUE[rng.randrange(len(OPAQUE))]
        name, category, description = pattern.format(n=n, b=brand, s=street), "", "Работаем для вас с 2015 года."
    address = f"{street}, д. {n % 250 + 1}, стр. {n}"
    hours = HOURS[rng.randrange(len(HOURS))]
    site = f"https://place-{n}.ru" if rng.random() < 0.7 else None
    latitude = round(lat + rng.uniform(-0.15, 0.15), 6)
    longitude = round(lon + rng.uniform(-0.25, 0.25), 6)
    rating = round(rng.uniform(3.0, 5.0), 1)
    price = PRICES[rng.randrange(len(PRICES))]
    text = description if rng.random() < described_share else None
    phone = _phone(rng, code)
    if kind == "reading":
        return [name, category or None, address, city, phone, hours, site, latitude, longitude, rating, price, text]
    note = "вход со двора" if rng.random() < 0.1 else None
    return [name, address, city, phone, hours, site, latitude, longitude, rating, price, note, text]


def write_places(
    path: Path, rows: int, kind: Kind, *, known_share: float, described_share: float, seed: int = 17
) -> None:
    """Write a title row, a blank row, the header and `rows` places with openpyxl's write-only mode."""
    rng = random.Random(seed)
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Места")
    sheet.append([TITLE])
    sheet.append([])
    sheet.append(list(READING_HEADERS if kind == "reading" else IMPORT_HEADERS))
    for n in range(1, rows + 1):
        sheet.append(_row(rng, n, kind, known_share, described_share))
    partial = path.with_name(f"{path.name}.{os.getpid()}.part")
    book.save(partial)
    partial.replace(path)


def places_file(rows: int, kind: Kind, *, known_share: float, described_share: float) -> tuple[Path, bool]:
    """Return (path, generated now) of a cached workbook with these parameters."""
    tag = f"{kind}-{rows}-k{round(known_share * 100)}-d{round(described_share * 100)}-v{VERSION}"
    path = cache_dir() / f"places-{tag}.xlsx"
    if path.is_file():
        return path, False
    write_places(path, rows, kind, known_share=known_share, described_share=described_share)
    return path, True


def peak_rss_mb() -> float:
    """Peak resident set size of this process in MB (VmHWM on Linux, ru_maxrss elsewhere)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource
    import sys

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def current_rss_mb() -> float:
    """Resident set size right now in MB (Linux only; 0 elsewhere)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0
