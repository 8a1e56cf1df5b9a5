"""The taxonomy: the packaged default, custom files (good and bad), and a file's own category values."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.errors import UserFacingError
from bot.core.text import lemmas_of, phrase_forms
from bot.places.taxonomy import DEFAULT_PATH, Taxonomy

TOPS = {
    "food": {"restaurant", "cafe", "coffee", "fast_food", "bakery_dessert"},
    "nightlife": {"bar", "pub_brewery", "club", "karaoke"},
    "culture": {"museum", "gallery", "theatre", "concert_hall", "cinema", "library"},
    "sights": {"monument", "architecture", "religious", "viewpoint", "public_art"},
    "nature": {"park", "garden", "waterfront", "beach", "nature_reserve"},
    "entertainment": {"amusement_park", "zoo_aquarium", "quest", "bowling_billiards", "games_vr"},
    "kids": {"playground", "kids_center", "kids_classes"},
    "active": {"fitness", "pool", "stadium_arena", "winter_sports", "extreme"},
    "wellness": {"spa_bath", "beauty", "massage"},
    "shopping": {"mall", "market", "souvenirs", "books", "fashion"},
    "stay": {"hotel", "hostel", "apartments", "guest_house", "camping"},
    "venues": {"exhibition_center", "art_space", "event_venue"},
    "tours": {"excursions", "boat_trips", "tourist_info"},
    "transport": {"station", "airport", "parking", "rental"},
    "services": {"pharmacy", "medical", "atm_bank", "post"},
    "other": set(),
}
CYRILLIC = re.compile(r"[А-Яа-яЁё]")


DEFAULT = Taxonomy.load()


@pytest.fixture
def taxonomy() -> Taxonomy:
    return DEFAULT


def write(tmp_path: Path, document: Any) -> Path:
    path = tmp_path / "taxonomy.json"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path


def small(**changes: Any) -> dict[str, Any]:
    """Return a minimal valid custom taxonomy, with top-level fields replaced."""
    document: dict[str, Any] = {
        "version": "team-2",
        "categories": [
            {
                "key": "food",
                "label": "Питание",
                "synonyms": ["общепит"],
                "subcategories": [{"key": "cafe", "label": "Кафе", "synonyms": ["кофейня"]}],
            },
            {"key": "other", "label": "Прочее"},
        ],
    }
    document.update(changes)
    return document


# --- the packaged default --------------------------------------------------------------------


def test_default_has_the_fifteen_tops_and_other_with_their_subcategories(taxonomy: Taxonomy) -> None:
    tops = [top.key for top in taxonomy.top()]
    assert tops == list(TOPS)
    for key, subs in TOPS.items():
        found = taxonomy.subcategories(key)
        assert {sub.key for sub in found} == subs
        assert all(sub.parent == key and sub.full_key == f"{key}/{sub.key}" for sub in found)
    assert sum(len(subs) for subs in TOPS.values()) == 65
    assert taxonomy.version == "1"


def test_default_keys_are_unique_and_every_label_is_russian(taxonomy: Taxonomy) -> None:
    nodes = [node for top in taxonomy.top() for node in (top, *taxonomy.subcategories(top.key))]
    full_keys = [node.full_key for node in nodes]
    assert len(full_keys) == len(set(full_keys))
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", node.key) for node in nodes)
    assert [node.label for node in nodes if not CYRILLIC.search(node.label)] == []


def test_default_file_synonyms_are_lowercase_and_never_point_to_two_categories() -> None:
    document = json.loads(DEFAULT_PATH.read_text(encoding="utf-8"))
    owner: dict[tuple[str, ...], str] = {}
    clashes: list[tuple[str, str, str]] = []
    for top in document["categories"]:
        subs = [(sub, f"{top['key']}/{sub['key']}") for sub in top.get("subcategories", [])]
        for node, full_key in [(top, top["key"]), *subs]:
            assert node["synonyms"] == [synonym.lower() for synonym in node["synonyms"]], full_key
            assert all("=" in tag for tag in node["osm"]), full_key
            for text in (node["label"], *node["synonyms"]):
                owners = {owner.setdefault(form, full_key) for form in phrase_forms(text)}
                clashes.extend((text, other, full_key) for other in owners - {full_key})
    assert clashes == []


def test_real_file_spellings_are_synonyms(taxonomy: Taxonomy) -> None:
    spellings = {
        "кафе-кондитерская": "food/bakery_dessert", "кофейня": "food/coffee", "coffee shop": "food/coffee",
        "ресторан быстрого питания": "food/fast_food", "фастфуд": "food/fast_food",
        "шаурма": "food/fast_food",
        "пиццерия": "food/fast_food", "столовая": "food/cafe", "гастробар": "nightlife/bar",
        "антикафе": "entertainment/games_vr", "хостел": "stay/hostel", "мини-отель": "stay/hotel",
        "апарт-отель": "stay/apartments", "гостевой дом": "stay/guest_house", "глэмпинг": "stay/camping",
        "музей-заповедник": "culture/museum", "краеведческий музей": "culture/museum",
        "выставочный зал": "culture/gallery", "дом культуры": "venues/event_venue",
        "ДК": "venues/event_venue",
        "филармония": "culture/concert_hall", "ТЦ": "shopping/mall", "ТРЦ": "shopping/mall",
        "рынок": "shopping/market", "сувениры": "shopping/souvenirs", "аптека": "services/pharmacy",
        "банкомат": "services/atm_bank", "вокзал": "transport/station", "аэропорт": "transport/airport",
        "прокат велосипедов": "transport/rental", "квест-комната": "entertainment/quest",
        "боулинг": "entertainment/bowling_billiards", "скалодром": "active/extreme",
        "каток": "active/winter_sports", "горнолыжный комплекс": "active/winter_sports",
        "СПА": "wellness/spa_bath", "баня": "wellness/spa_bath", "сауна": "wellness/spa_bath",
        "парк культуры и отдыха": "nature/park", "сквер": "nature/park", "набережная": "nature/waterfront",
        "пляж": "nature/beach", "заповедник": "nature/nature_reserve", "нацпарк": "nature/nature_reserve",
        "смотровая площадка": "sights/viewpoint", "храм": "sights/religious", "собор": "sights/religious",
        "мечеть": "sights/religious", "монастырь": "sights/religious", "памятник": "sights/monument",
        "усадьба": "sights/architecture", "стрит-арт": "sights/public_art",
    }  # fmt: skip
    wrong = {}
    for value, expected in spellings.items():
        match = taxonomy.match_value(value)
        if match is None or match.full_key != expected or match.confidence < 0.95:
            wrong[value] = match
    assert wrong == {}


# --- match_value -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "category", "subcategory"),
    [
        ("Кафе-кондитерская", "food", "bakery_dessert"),
        ("tourism=museum", "culture", "museum"),
        ("Ресторан", "food", "restaurant"),
        ("Кофейня", "food", "coffee"),
        ("Музей", "culture", "museum"),
        ("Гостиница 3*", "stay", "hotel"),
        ("ТРЦ", "shopping", "mall"),
        ("Парки", "nature", "park"),
        ("museum", "culture", "museum"),
        ("amenity=fast_food", "food", "fast_food"),
        ("Еда", "food", None),
        ("food/cafe", "food", "cafe"),
        ("Еда / Кафе", "food", "cafe"),
        ("Питание / Кафе", "food", "cafe"),
        ("Торговые центры", "shopping", "mall"),
        ("краеведческого музея", "culture", "museum"),
        ("«Музеи»", "culture", "museum"),
        ("Острова", "nature", None),
        ("Art galleries", "culture", "gallery"),
        ("Другое", "other", None),
    ],
)
def test_a_files_own_value_maps_onto_our_keys(
    taxonomy: Taxonomy, value: str, category: str, subcategory: str | None
) -> None:
    match = taxonomy.match_value(value)
    assert match is not None
    assert (match.category, match.subcategory) == (category, subcategory)
    assert match.confidence >= 0.9


def test_each_tier_says_how_it_matched(taxonomy: Taxonomy) -> None:
    methods = {
        value: (match.method, match.confidence)
        for value in ("Музей", "Кофейня", "Музеи", "tourism=museum", "Уютное кафе у моря", "Рестаран")
        if (match := taxonomy.match_value(value))
    }
    assert methods["Музей"] == ("exact", 1.0)
    assert methods["Кофейня"] == ("exact", 1.0)  # the label itself
    assert methods["Музеи"] == ("synonym", 0.95)
    assert methods["tourism=museum"] == ("osm", 0.95)
    assert methods["Уютное кафе у моря"] == ("keyword", 0.8)
    assert methods["Рестаран"][0] == "fuzzy" and 0.6 <= methods["Рестаран"][1] <= 0.7


def test_several_values_take_the_first_recognised_with_less_confidence(taxonomy: Taxonomy) -> None:
    bar = taxonomy.match_value("бар,паб")
    assert bar is not None and bar.full_key == "nightlife/bar"
    assert bar.confidence < 1.0
    stay = taxonomy.match_value("Хостелы, гостиницы")
    assert stay is not None and stay.full_key == "stay/hostel"
    assert stay.confidence < 0.95
    mixed = taxonomy.match_value("Музей; кафе")
    assert mixed is not None and mixed.full_key == "culture/museum"
    assert mixed.confidence < stay.confidence  # another category entirely is a bigger doubt


def test_typos_match_fuzzily_with_lower_confidence(taxonomy: Taxonomy) -> None:
    typos = {"Рестаран": "food/restaurant", "Гостинницы": "stay/hotel", "Кинотетр": "culture/cinema"}
    for value, expected in typos.items():
        match = taxonomy.match_value(value)
        assert match is not None and match.full_key == expected, value
        assert match.method == "fuzzy" and match.confidence < 0.8


JUNK = ["123", "—", "", "   ", "-", "???", "amenity=bench", "Ромашка", "ул. Ленина, 5"]


@pytest.mark.parametrize("junk", JUNK)
def test_junk_values_match_nothing(taxonomy: Taxonomy, junk: str) -> None:
    assert taxonomy.match_value(junk) is None


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_any_value_returns_a_valid_match_or_none(value: str) -> None:
    match = DEFAULT.match_value(value)
    if match is not None:
        assert DEFAULT.is_valid(match.category, match.subcategory)
        assert 0 < match.confidence <= 1


def test_lemmas_bring_plural_case_and_adjective_forms_together() -> None:
    assert lemmas_of("Музеи") == lemmas_of("музей") == lemmas_of("музеев") == ("музей",)
    assert lemmas_of("Краеведческого") == lemmas_of("краеведческий") == lemmas_of("краеведческая")
    assert lemmas_of("Ёлки") == lemmas_of("елки")
    assert lemmas_of("galleries museums") == ("gallery", "museum")


def test_an_ambiguous_form_matches_by_any_of_its_lemmas(taxonomy: Taxonomy) -> None:
    # «парков» is first read as the adjective «парковый»; the noun «парк» is its other lemma
    for value in ("Парков", "парки", "парк", "Острова", "Бильярдные", "Столовой"):
        assert taxonomy.match_value(value) is not None, value


# --- the rest of the interface ---------------------------------------------------------------


def test_labels_are_russian_and_joined_with_a_slash(taxonomy: Taxonomy) -> None:
    assert taxonomy.label("food") == "Еда"
    assert taxonomy.label("food", "cafe") == "Еда / Кафе"
    assert taxonomy.label("culture", "museum") == "Культура / Музей"
    assert taxonomy.label("gone", "away") == "gone / away"  # an old key is shown, never raised


def test_validity_of_keys(taxonomy: Taxonomy) -> None:
    assert taxonomy.is_valid("food")
    assert taxonomy.is_valid("food", "cafe")
    assert taxonomy.is_valid("other")
    assert not taxonomy.is_valid("food", "museum")
    assert not taxonomy.is_valid("cafe")
    assert not taxonomy.is_valid("other", "cafe")


def test_keys_for_prompt_lists_every_key_one_line_per_top(taxonomy: Taxonomy) -> None:
    prompt = taxonomy.keys_for_prompt()
    lines = prompt.splitlines()
    assert len(lines) == len(TOPS)
    assert lines[0].startswith("food: Еда — restaurant (Ресторан), cafe (Кафе)")
    assert lines[-1] == "other: Другое"
    for top, subs in TOPS.items():
        line = next(line for line in lines if line.startswith(f"{top}: "))
        assert all(f"{sub} (" in line for sub in subs)


def test_describe_shows_the_tree_in_russian(taxonomy: Taxonomy) -> None:
    text = taxonomy.describe()
    assert text.startswith("Категории")
    assert "• Еда — food" in text
    assert "◦ Кафе — food/cafe" in text
    assert len(text) < 4096  # one Telegram message


# --- custom files ----------------------------------------------------------------------------


def test_a_valid_custom_file_replaces_the_default(tmp_path: Path) -> None:
    custom = Taxonomy.load(write(tmp_path, small()))
    assert [top.key for top in custom.top()] == ["food", "other"]
    assert custom.version == "team-2"
    assert custom.label("food", "cafe") == "Питание / Кафе"
    match = custom.match_value("Кофейни")
    assert match is not None and match.full_key == "food/cafe"
    assert not custom.is_valid("culture", "museum")


def test_a_custom_file_may_declare_subcategories_flat_with_parent(tmp_path: Path) -> None:
    document = small()
    document["categories"].append({"key": "bar", "label": "Бар", "parent": "food"})
    custom = Taxonomy.load(write(tmp_path, document))
    assert [sub.key for sub in custom.subcategories("food")] == ["cafe", "bar"]


def test_a_custom_file_without_version_gets_one_from_its_content(tmp_path: Path) -> None:
    document = small()
    del document["version"]
    first = Taxonomy.load(write(tmp_path, document)).version
    document["categories"][0]["label"] = "Еда"
    second = Taxonomy.load(write(tmp_path, document)).version
    assert first.startswith("custom-") and second.startswith("custom-") and first != second


def _bad(tmp_path: Path, document: Any) -> UserFacingError:
    with pytest.raises(UserFacingError) as caught:
        Taxonomy.load(write(tmp_path, document))
    return caught.value


def _food(document: dict[str, Any]) -> dict[str, Any]:
    food: dict[str, Any] = document["categories"][0]
    return food


def _cafe(document: dict[str, Any]) -> dict[str, Any]:
    cafe: dict[str, Any] = _food(document)["subcategories"][0]
    return cafe


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d["categories"].append(dict(_food(d))), "ключ «food» повторяется"),
        (lambda d: _food(d)["subcategories"].append(dict(_cafe(d))), "ключ «food/cafe» повторяется"),
        (lambda d: d["categories"].append({**_cafe(d), "parent": "bar"}), "нет родительской категории «bar»"),
        (lambda d: _food(d).pop("label"), "у категории «food» нет названия"),
        (lambda d: _cafe(d).update(label=" "), "у категории «cafe» нет названия"),
        (lambda d: d["categories"].pop(), "нет обязательной категории «other»"),
        (lambda d: _food(d).update(key="Еда"), "ключ «Еда» не подходит"),
        (lambda d: _food(d).pop("key"), "нет ключа"),
        (lambda d: _food(d).update(synonyms="кафе"), 'поле "synonyms" должно быть списком строк'),
        (lambda d: _food(d).update(osm=["amenity cafe"]), "OSM-тег «amenity cafe»"),
        (lambda d: d["categories"].append("food"), "не объект"),
        (lambda d: d.pop("categories"), 'нет списка "categories"'),
        (lambda d: _cafe(d).update(subcategories=[{"key": "x"}]), "не может быть своих подкатегорий"),
    ],
)  # fmt: skip
def test_each_kind_of_bad_file_is_named_in_russian(tmp_path: Path, change: Any, expected: str) -> None:
    document = small()
    change(document)
    error = _bad(tmp_path, document)
    assert expected in error.message
    assert error.message.startswith("Файл категорий «taxonomy.json» не подходит")
    assert error.fix is not None and "TAXONOMY_FILE" in error.fix


def test_a_file_that_is_not_json_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "taxonomy.json"
    path.write_text('{\n  "categories": [\n    {"key": "food",}\n  ]\n}', encoding="utf-8")
    with pytest.raises(UserFacingError, match="это не JSON, ошибка около: строка 3"):
        Taxonomy.load(path)


def test_a_missing_file_and_a_wrong_encoding_are_explained(tmp_path: Path) -> None:
    with pytest.raises(UserFacingError, match="файл не найден"):
        Taxonomy.load(tmp_path / "nope.json")
    path = tmp_path / "cp1251.json"
    path.write_bytes(json.dumps(small(), ensure_ascii=False).encode("cp1251"))
    with pytest.raises(UserFacingError, match="UTF-8"):
        Taxonomy.load(path)


def test_many_problems_are_listed_together_and_capped(tmp_path: Path) -> None:
    document = {"categories": [{"key": f"Bad{n}", "label": ""} for n in range(8)]}
    message = _bad(tmp_path, document).message
    assert "ключ «Bad0» не подходит" in message
    assert "и ещё" in message
