"""Header detection and column mapping on real-world header variety, without GigaChat."""

from __future__ import annotations

import pytest

from bot.places.layout import detect_layout, header_signature
from bot.places.mapping import (
    ColumnMapping,
    apply_llm_answer,
    map_by_headers,
    map_by_values,
    needs_llm,
)
from bot.sheets import CellValue


def fields(columns: list[ColumnMapping]) -> list[str | None]:
    return [c.field for c in columns]


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (  # data.mos.ru export
            [
                "Name",
                "AdmArea",
                "District",
                "Address",
                "PublicPhone",
                "WorkingHours",
                "WebSite",
                "geoData",
                "global_id",
            ],
            [
                "name",
                "region",
                "district",
                "address",
                "phone",
                "working_hours",
                "website",
                "coordinates",
                "id",
            ],
        ),
        (  # OpenStreetMap tags
            [
                "name",
                "amenity",
                "addr:street",
                "addr:housenumber",
                "opening_hours",
                "phone",
                "website",
                "lat",
                "lon",
            ],
            [
                "name",
                "category",
                "address",
                "address",
                "working_hours",
                "phone",
                "website",
                "latitude",
                "longitude",
            ],
        ),
        (  # 2GIS-like export
            [
                "Название",
                "Рубрики",
                "Адрес",
                "Город",
                "Телефоны",
                "Email",
                "Сайт",
                "Вконтакте",
                "Широта",
                "Долгота",
            ],
            [
                "name",
                "category",
                "address",
                "city",
                "phone",
                "email",
                "website",
                "social",
                "latitude",
                "longitude",
            ],
        ),
        (  # a hand-made Russian table
            [
                "№ п/п",
                "Наименование объекта",
                "Тип заведения",
                "Адрес объекта",
                "Тел.",
                "E-mail",
                "Режим работы",
                "Средний чек",
                "Рейтинг",
                "Описание",
                "Примечание",
            ],
            [
                "id",
                "name",
                "category",
                "address",
                "phone",
                "email",
                "working_hours",
                "price",
                "rating",
                "description",
                "notes",
            ],
        ),
        (  # typos and case
            ["НАЗВАНИЕ", "адресс", "Телефон:", "часы  работы", "сайт/ссылка", "Координаты (широта, долгота)"],
            ["name", "address", "phone", "working_hours", "website", "coordinates"],
        ),
    ],
)
def test_real_world_headers_map_without_gigachat(headers: list[str], expected: list[str]) -> None:
    assert fields(map_by_headers(headers)) == expected


def test_single_valued_fields_go_to_one_column_only() -> None:
    columns = map_by_headers(["Название", "Наименование", "Телефон", "Тел."])
    assert fields(columns) == ["name", None, "phone", "phone"]
    assert columns[1].method == "taken"  # lost to the more confident column; never asked again


def test_memory_of_a_header_maps_it() -> None:
    columns = map_by_headers(["Название", "Фишка заведения"], memory={"фишка заведения": "description"})
    assert columns[1].field == "description"
    assert columns[1].method == "memory"


def test_value_patterns_recognise_unnamed_columns() -> None:
    headers = ["Название", "Колонка B", "Колонка C", "Колонка D", "Колонка E", "Колонка F", "Колонка G"]
    samples = [
        [
            "Кафе Ромашка",
            "+7 (495) 123-45-67",
            "info@romashka.ru",
            "https://romashka.ru",
            "55.7558, 37.6173",
            "пн-пт 10:00-22:00",
            "vk.com/romashka",
        ],
        [
            "Музей истории",
            "8 812 765 43 21",
            "mail@museum.spb.ru",
            "www.museum.spb.ru",
            "59.9343, 30.3351",
            "10:00–18:00",
            "t.me/museum",
        ],
        [
            "Парк Победы",
            "+79161234567",
            "park@mail.ru",
            "park.ru",
            "(55.73, 37.50)",
            "круглосуточно",
            "vk.com/park",
        ],
    ]
    columns = map_by_headers(headers)
    map_by_values(columns, samples)
    assert fields(columns) == ["name", "phone", "email", "website", "coordinates", "working_hours", "social"]
    assert all(c.method == "values" for c in columns[1:])


def test_separate_latitude_and_longitude_by_values() -> None:
    columns = map_by_headers(["Название", "Колонка B", "Колонка C"])
    samples = [
        ["A", "55.755814", "37.617635"],
        ["B", "59.938951", "30.315635"],
        ["C", "56.838011", "60.597465"],
    ]
    map_by_values(columns, samples)
    assert fields(columns) == ["name", "latitude", "longitude"]


def test_name_column_guessed_when_no_header_says_so() -> None:
    columns = map_by_headers(["Объект учёта", "Адрес"])
    map_by_values(columns, [["Кафе Ромашка", "Ленина 1"], ["Музей", "Мира 2"], ["Бар Хмель", "Тверская 3"]])
    assert columns[0].field == "name"
    assert not needs_llm(columns)


def test_llm_answer_fills_only_undecided_columns() -> None:
    columns = map_by_headers(["Название", "Фишка", "Адрес"])
    assert needs_llm(columns)
    apply_llm_answer(columns, {0: ("address", 0.9), 1: ("description", 0.8), 2: ("bogus", 0.9)})
    assert fields(columns) == ["name", "description", "address"]
    assert columns[1].method == "llm"


def test_title_and_blank_rows_above_the_header() -> None:
    head: list[tuple[int, list[CellValue]]] = [
        (1, ["Реестр мест Москвы на 2026 год", None, None]),
        (2, [None, None, None]),
        (3, ["Название", "Адрес", "Телефон"]),
        (4, ["Кафе Ромашка", "ул. Ленина, 1", "+7 495 123-45-67"]),
    ]
    layout = detect_layout(head)
    assert layout is not None
    assert (layout.header_row, layout.data_start) == (3, 4)


def test_two_row_header_groups() -> None:
    head: list[tuple[int, list[CellValue]]] = [
        (1, ["Название", "Контакты", None, "Адрес"]),
        (2, [None, "Телефон", "Email", None]),
        (3, ["Кафе", "+7 495 1234567", "a@b.ru", "Ленина 1"]),
    ]
    layout = detect_layout(head)
    assert layout is not None
    assert layout.headers == ["Название", "Контакты / Телефон", "Контакты / Email", "Адрес"]
    assert layout.data_start == 3
    assert fields(map_by_headers(layout.headers)) == ["name", "phone", "email", "address"]


def test_merged_group_header_cells() -> None:
    head: list[tuple[int, list[CellValue]]] = [
        (1, ["Объект", None, "Контакты", None]),
        (2, ["Название", "Тип", "Телефон", "Сайт"]),
        (3, ["Кафе", "кафе", "+7 495 1234567", "a.ru"]),
    ]
    layout = detect_layout(head, merged=[(1, 0, 1, 1), (1, 2, 1, 3)])
    assert layout is not None
    assert layout.headers[2] == "Контакты / Телефон"
    assert fields(map_by_headers(layout.headers)) == ["name", "category", "phone", "website"]


def test_merged_title_is_not_a_group_header() -> None:
    head: list[tuple[int, list[CellValue]]] = [
        (1, ["Список мест", None, None]),
        (2, ["Название", "Тип", "Телефон"]),
        (3, ["Кафе", "кафе", "1"]),
    ]
    layout = detect_layout(head, merged=[(1, 0, 1, 2)])
    assert layout is not None
    assert layout.headers == ["Название", "Тип", "Телефон"]


def test_mos_ru_captions_under_english_names() -> None:
    head: list[tuple[int, list[CellValue]]] = [
        (1, ["Name", "AdmArea", "Address", "PublicPhone"]),
        (2, ["Наименование", "Административный округ", "Адрес", "Телефон"]),
        (3, ["Кафе", "ЦАО", "Тверская 1", "+7 495 1234567"]),
    ]
    layout = detect_layout(head)
    assert layout is not None
    assert (layout.header_row, layout.data_start) == (1, 3)


def test_header_not_on_row_one_and_empty_header_cells() -> None:
    head: list[tuple[int, list[CellValue]]] = [(5, ["", "Название", None, "Адрес"]), (6, [1, "Кафе", "x", "Мира 1"])]
    layout = detect_layout(head)
    assert layout is not None
    assert layout.header_row == 5
    assert layout.headers[0] == "Колонка A" and layout.headers[2] == "Колонка C"


def test_no_header_at_all() -> None:
    assert detect_layout([(1, [1, 2, 3]), (2, [4, 5, 6])]) is None
    assert detect_layout([]) is None


def test_signature_ignores_case_and_punctuation() -> None:
    assert header_signature(["Название", "Адрес:"]) == header_signature(["название", "адрес"])
    assert header_signature(["Название", "Адрес"]) != header_signature(["Адрес", "Название"])


# --- the header read word by word ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "field", "method"),
    [
        ("contact:mobile", "phone", "words"),  # OSM colon key, the head word last
        ("addr:postcode", None, "not_ours"),
        ("name:en", None, "not_ours"),  # a translation; the name is elsewhere
        ("name:rus", "name", "words"),
        ("categoryName", "category", "words"),  # camelCase: the name of the category
        ("totalScore", "rating", "words"),
        ("reviewsCount", None, "not_ours"),
        ("Дата обновления адреса", None, "not_ours"),  # the head word is a date
        ("Добавочный номер телефона", None, "not_ours"),
        ("Телефон подтверждён (да/нет)", None, "not_ours"),
        ("Часы работы летом", "working_hours", "words"),  # a qualifier does not decide
        ("Широта WGS84", "latitude", "words"),
        ("Номер телефона для записи", "phone", "words"),
        ("Тел. дежурного", "phone", "words"),
        ("Адр.", "address", "abbreviation"),
        ("Адресс", "address", "typo"),
        ("nazvanie", "name", "words"),  # transliterated
        ("category_id", None, "foreign_key"),
        ("owner_id", None, "foreign_key"),
        ("Коорд_X", "longitude", "xy"),
        ("number_of_reviews", None, "not_ours"),  # in English the head stands before "of"
        ("SocialPrivileges", None, "none"),  # the head word is unknown: left to GigaChat
    ],
)
def test_header_words_name_the_rule_that_decided(header: str, field: str | None, method: str) -> None:
    [column] = map_by_headers([header])
    assert (column.field, column.method) == (field, method)


def test_a_table_prefix_does_not_decide() -> None:
    columns = map_by_headers(["obj_id", "obj_name", "obj_address", "obj_phone", "obj_type"])
    assert fields(columns) == ["id", "name", "address", "phone", "category"]


def test_one_id_per_table_the_portals_global_id_first() -> None:
    columns = map_by_headers(["ID", "Name", "global_id", "category_id"])
    assert fields(columns) == [None, "name", "id", None]
    assert [c.method for c in columns] == ["second_id", "exact", "alias", "foreign_key"]


def test_a_table_of_reviews_keeps_the_review_text_as_notes_and_its_own_id() -> None:
    columns = map_by_headers(["review_id", "business_id", "stars", "text", "name"])
    assert fields(columns) == ["id", None, "rating", "notes", "name"]


def test_gis_x_y_are_longitude_and_latitude_unless_they_are_metres() -> None:
    columns = map_by_headers(["FID", "NAME", "X", "Y"])
    map_by_values(columns, [[0, "Музей", 37.61, 55.75], [1, "Парк", 37.58, 55.73]])
    assert fields(columns) == ["id", "name", "longitude", "latitude"]
    projected = map_by_headers(["NAME", "X", "Y"])
    map_by_values(projected, [["Музей", 2187345.1, 7491230.5], ["Парк", 2187101.7, 7490011.2]])
    assert fields(projected) == ["name", None, None]


def test_unnamed_counter_wkt_and_geojson_by_values_and_dates_never_names() -> None:
    columns = map_by_headers(["Колонка A", "geom_wkt_text", "Дата", "Колонка D", "Колонка E"])
    samples: list[list[CellValue]] = [
        [0, "POINT (37.61 55.75)", "2024-01-05", "2024-03-01", "Кафе «Ромашка»"],
        [1, "POINT (37.58 55.73)", "2024-02-11", "2024-03-02", "Музей Москвы"],
        [2, "POINT (30.31 59.94)", "2024-02-12", "2024-03-03", "Парк Горького"],
    ]
    map_by_values(columns, samples)
    assert fields(columns) == ["id", "coordinates", None, None, "name"]
    assert [c.method for c in columns] == ["index", "words", "not_ours", "none", "values"]
    geo = map_by_headers(["Название", "Колонка B"])
    map_by_values(
        geo,
        [
            ["Музей", '{"type": "Point", "coordinates": [37.6, 55.7]}'],
            ["Парк", '{"type": "Point", "coordinates": [37.5, 55.7]}'],
        ],
    )
    assert fields(geo) == ["name", "coordinates"]


def test_links_to_map_cards_are_not_the_website() -> None:
    columns = map_by_headers(["Название", "url"])
    map_by_values(
        columns, [["Кафе", "https://yandex.ru/maps/org/kafe/123/"], ["Бар", "https://2gis.ru/moscow/firm/456"]]
    )
    assert fields(columns) == ["name", None]
    assert columns[1].method == "card_link"
