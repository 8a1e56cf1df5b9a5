"""GigaChat answers the bot can trust: every way a real model gets a batch wrong, against the emulator.

An "oracle" stand-in model knows the right answer for every input; `Misbehave` makes it go wrong
the way real models do (ids shifted, permuted or duplicated, items missing, values outside the
closed lists or near them, 0–100 confidences, truncated, empty or refused answers). Whatever it
does, the bot never keeps or caches an answer that belongs to another item, the re-asks stay
bounded, and the same input a second time costs no call at all.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from bot.core.config import Settings
from bot.gigachat.client import CallContext, GigaChatClient
from bot.places.enrich import SOURCE_LLM_FAILED, Enricher
from bot.places.normalize import Place
from bot.places.taxonomy import Taxonomy
from bot.reviews.analysis import ReviewAnalyser, ReviewInput
from bot.services import usage_recorder
from bot.storage.db import Database
from tests.conftest import SettingsFactory
from tests.emulators.contract import data_of, echo_of, forced_function, function_reply
from tests.emulators.gigachat import ChatReply, GigaChatEmulator
from tests.emulators.misbehave import PLACE_KEYS, Misbehave, Mode
from tests.emulators.reviews_model import ReviewsModel, sample_reviews

TAXONOMY = Taxonomy.load()
# Names the keyword rules cannot place, so every one of them goes to GigaChat.
NAMES = [f"Объект {n} «{word}»" for n, word in enumerate(["Луч", "Восход", "Грань", "Полюс", "Вектор"] * 6, 1)]


def right_key(name: str) -> str:
    """The oracle's category for a name: a different key for neighbours, so a shift shows."""
    number = int(name.split()[1])
    return PLACE_KEYS[number % len(PLACE_KEYS)]


class Oracle:
    """Answers classify_places with the right key for every name it is given."""

    def __call__(self, body: dict[str, Any]) -> ChatReply:
        assert forced_function(body) == "classify_places"
        items = [
            {"id": item["id"], "echo": echo_of(item["name"], 2), "category": right_key(item["name"]), "confidence": 0.9}
            for item in data_of(body)
        ]
        return function_reply("classify_places", {"items": items})


@asynccontextmanager
async def enricher_for(settings: Settings) -> AsyncIterator[Enricher]:
    async with Database.open(settings.database_path) as db:
        client = GigaChatClient.from_settings(settings, usage_sink=usage_recorder(db), backoff_base=0.0)
        async with client:
            yield Enricher(db, client, TAXONOMY, CallContext("import", 1, 1))


async def categorise(settings: Settings, names: list[str]) -> dict[int, tuple[str, str | None, str | None]]:
    async with enricher_for(settings) as enricher:
        places = {row: Place(name=name) for row, name in enumerate(names, start=2)}
        results = await enricher.categories(places)
    return {row: (r.category, r.subcategory, r.source) for row, r in results.items()}


def assert_never_wrong(results: dict[int, tuple[str, str | None, str | None]], names: list[str]) -> int:
    """Every place has its own right key, or is visibly left to a person; return how many are right."""
    right = 0
    for row, (category, subcategory, source) in results.items():
        name = names[row - 2]
        if source == "llm":
            assert f"{category}/{subcategory}" == right_key(name), f"{name} got another item's answer"
            right += 1
        else:
            assert (category, source) == ("other", SOURCE_LLM_FAILED), f"{name}: {category} from {source}"
    return right


BROKEN_ONCE = [
    Mode.SHIFT_IDS, Mode.PERMUTE, Mode.DUPLICATE, Mode.REPEAT, Mode.FEWER, Mode.OUT_OF_LIST, Mode.WRONG_ECHO,
    Mode.LENGTH, Mode.EMPTY, Mode.NO_CALL, Mode.TEXT_JSON, Mode.BLACKLIST,
]  # fmt: skip


@pytest.mark.parametrize("mode", BROKEN_ONCE)
async def test_a_broken_batch_is_asked_again_and_every_place_ends_right(
    mode: Mode, gigachat: GigaChatEmulator, make_settings: SettingsFactory
) -> None:
    names = NAMES[:12]
    gigachat.responder = Misbehave(Oracle(), mode, times=1)
    settings = make_settings()
    results = await categorise(settings, names)
    assert assert_never_wrong(results, names) == len(names), "the re-ask got the right answers"
    calls = len(gigachat.calls("chat"))
    assert 2 <= calls <= 4 or mode is Mode.TEXT_JSON, f"re-asks are bounded ({calls} calls)"
    gigachat.reset_records()
    assert await categorise(settings, names) == results
    assert gigachat.calls("chat") == [], "the same places again cost no call"


@pytest.mark.parametrize(
    "mode",
    [Mode.SHIFT_IDS, Mode.PERMUTE, Mode.DUPLICATE, Mode.FEWER, Mode.OUT_OF_LIST, Mode.LENGTH, Mode.EMPTY],
)
async def test_a_model_that_always_gets_it_wrong_is_never_believed(
    mode: Mode, gigachat: GigaChatEmulator, make_settings: SettingsFactory
) -> None:
    names = NAMES[:12]
    gigachat.responder = Misbehave(Oracle(), mode, times=1000)
    settings = make_settings()
    results = await categorise(settings, names)
    right = assert_never_wrong(results, names)
    if mode in (Mode.SHIFT_IDS, Mode.PERMUTE, Mode.DUPLICATE, Mode.LENGTH, Mode.EMPTY):
        assert right == 0, "nothing of a misaligned, truncated or empty answer is kept"
    else:  # only one item of each answer is spoiled: the rest is kept
        assert 0 < right < len(names)
    assert len(gigachat.calls("chat")) <= 7, "re-asks and splits are bounded"
    gigachat.reset_records()
    assert await categorise(settings, names) == results, "'could not help' is a decision, cached too"
    assert gigachat.calls("chat") == []


async def test_near_miss_keys_are_repaired_without_a_new_call(
    gigachat: GigaChatEmulator, make_settings: SettingsFactory
) -> None:
    names = NAMES[:10]
    misbehave = Misbehave(Oracle(), Mode.NEAR_MISS, times=1)
    gigachat.responder = misbehave
    results = await categorise(make_settings(), names)
    assert misbehave.changed == 1
    # the first item came back as the Russian label of its top category only («Еда»): that much is kept
    first = results[2]
    assert first[2] == "llm" and first[0] == right_key(names[0]).split("/")[0] and first[1] is None
    assert assert_never_wrong({r: v for r, v in results.items() if r != 2}, names) == len(names) - 1
    assert len(gigachat.calls("chat")) == 1


@pytest.mark.parametrize("spelling", ["Еда", "FOOD/CAFE", "food/Cafe ", "cafe", "Кафе", "food.cafe"])
async def test_every_near_miss_spelling_is_read_as_our_key(
    spelling: str, gigachat: GigaChatEmulator, make_settings: SettingsFactory
) -> None:
    name = "Объект 5 «Грань»"
    gigachat.reply(function_call={"name": "classify_places", "arguments": {"items": [
        {"id": 1, "echo": "Объект 5 «Грань»", "category": spelling, "confidence": 0.9}
    ]}})  # fmt: skip
    [(category, subcategory, source)] = (await categorise(make_settings(), [name])).values()
    assert source == "llm" and category == "food"
    assert subcategory == (None if spelling == "Еда" else "cafe")


async def test_confidences_on_a_hundred_scale_are_rescaled_not_thrown_away(
    gigachat: GigaChatEmulator, make_settings: SettingsFactory
) -> None:
    names = NAMES[:10]
    gigachat.responder = Misbehave(Oracle(), Mode.CONFIDENCE_100, times=1)
    settings = make_settings()
    async with enricher_for(settings) as enricher:
        results = await enricher.categories({n: Place(name=name) for n, name in enumerate(names, start=2)})
    assert all(r.source == "llm" and r.confidence == pytest.approx(0.9) for r in results.values())
    assert len(gigachat.calls("chat")) == 1


async def test_one_bad_item_costs_that_item_only(gigachat: GigaChatEmulator, make_settings: SettingsFactory) -> None:
    names = NAMES[:10]
    oracle = Oracle()

    def one_bad_confidence(body: dict[str, Any]) -> ChatReply:
        reply = oracle(body)
        assert reply.function_call is not None
        items = reply.function_call["arguments"]["items"]
        if len(items) > 1:
            items[3]["confidence"] = 950  # not a confidence on any scale
        return reply

    gigachat.responder = one_bad_confidence
    results = await categorise(make_settings(), names)
    assert assert_never_wrong(results, names) == len(names)
    chats = gigachat.calls("chat")
    assert len(chats) == 2, "one call for the batch, one for the single bad item"
    assert data_of(chats[1].json) == [{"id": 1, "name": names[3]}]


async def test_a_useless_answer_counts_as_a_failure_and_stops_gigachat(
    gigachat: GigaChatEmulator, make_settings: SettingsFactory
) -> None:
    gigachat.responder = Misbehave(Oracle(), Mode.SHIFT_IDS, times=1000)
    settings = make_settings()
    names = NAMES[:30]
    async with enricher_for(settings) as enricher:
        enricher_batch = {row: Place(name=name) for row, name in enumerate(names, start=2)}
        # three batches of ten in a row with nothing usable: GigaChat is stopped for the job
        for start in range(0, 30, 10):
            await enricher.categories(dict(list(enricher_batch.items())[start : start + 10]))
        assert enricher.gate.stop_reason is not None
        calls = len(gigachat.calls("chat"))
        await enricher.categories({99: Place(name="Объект 99 «Луч»")})
    assert len(gigachat.calls("chat")) == calls, "a stopped gate makes no more calls"


# --- reviews ------------------------------------------------------------------------------------------


def review_texts(count: int) -> list[str]:
    return sample_reviews(count, seed=3)


@asynccontextmanager
async def analyser_for(settings: Settings) -> AsyncIterator[ReviewAnalyser]:
    async with Database.open(settings.database_path) as db:
        client = GigaChatClient.from_settings(settings, usage_sink=usage_recorder(db), backoff_base=0.0)
        async with client:
            yield ReviewAnalyser(db, client, CallContext("reviews", 1, 1))


async def analyse(settings: Settings, texts_: list[str]) -> list[tuple[str, int, str, str]]:
    async with analyser_for(settings) as analyser:
        results = await analyser.analyse([ReviewInput(t) for t in texts_])
    return [(r.sentiment, r.rating, r.verdict, r.source) for r in results]


async def expected_reviews(make_settings: SettingsFactory, texts_: list[str], tmp: Any) -> list[tuple[Any, ...]]:
    """What the honest stand-in model says about each text (a separate database)."""
    async with GigaChatEmulator() as honest:
        honest.responder = ReviewsModel()
        settings = make_settings(
            gigachat_base_url=honest.base_url, gigachat_auth_url=honest.auth_url, database_path=tmp / "honest.db"
        )
        return await analyse(settings, texts_)


@pytest.mark.parametrize(
    "mode", [Mode.SHIFT_IDS, Mode.PERMUTE, Mode.DUPLICATE, Mode.FEWER, Mode.OUT_OF_LIST, Mode.SWAP_EVIDENCE]
)
async def test_review_answers_belong_to_their_own_review(
    mode: Mode, gigachat: GigaChatEmulator, make_settings: SettingsFactory, tmp_path: Any
) -> None:
    texts_ = review_texts(8)
    expected = await expected_reviews(make_settings, texts_, tmp_path)
    gigachat.responder = Misbehave(ReviewsModel(), mode, times=1000, function="analyze_reviews")
    settings = make_settings()
    got = await analyse(settings, texts_)
    for text, right, result in zip(texts_, expected, got, strict=True):
        if result[3] == "llm":
            assert result == right, f"«{text[:30]}…» got another review's answer"
    if mode is not Mode.FEWER and mode is not Mode.OUT_OF_LIST:
        assert all(r[3] == "rules" for r in got), "a misaligned answer is never used"
    assert len(gigachat.calls("chat")) <= 4
    gigachat.reset_records()
    assert await analyse(settings, texts_) == got
    assert gigachat.calls("chat") == [], "the same reviews again cost no call"


async def test_the_shifted_review_of_the_issue_is_not_approved_as_positive(
    gigachat: GigaChatEmulator, make_settings: SettingsFactory
) -> None:
    """«Ужасно, грязно, кофе холодный» once came back as the neighbour's positive 5, approved, and was cached."""
    texts_ = [
        "Очень уютное кафе, персонал вежливый, кофе отличный! Обязательно вернёмся.",
        "Ужасно, грязно, кофе холодный, официант хамил. Больше не придём.",
        "Прекрасная экспозиция, интересные экспонаты, экскурсовод рассказывал увлекательно.",
    ]
    gigachat.responder = Misbehave(ReviewsModel(), Mode.SHIFT_IDS, times=1, function="analyze_reviews")
    settings = make_settings()
    got = await analyse(settings, texts_)
    sentiment, rating, _, source = got[1]
    assert (sentiment, source) == ("negative", "llm") and rating <= 2
    gigachat.reset_records()
    assert await analyse(settings, texts_) == got and gigachat.calls("chat") == []


# --- the whole import, as a manager gets it back ---------------------------------------------------


async def test_rows_gigachat_could_not_help_with_are_counted_everywhere_the_manager_looks(
    gigachat: GigaChatEmulator, tmp_path: Any
) -> None:
    from openpyxl import load_workbook

    from tests.emulators.places_model import PlacesModel
    from tests.test_import_job import process, settings_for
    from tests.workbooks import unknown_places, write_xlsx

    gigachat.responder = Misbehave(PlacesModel(), Mode.SHIFT_IDS, times=1000, function="classify_places")
    source = write_xlsx(tmp_path / "places.xlsx", unknown_places(12))
    settings = settings_for(tmp_path, gigachat)
    rows, out, log = await process(settings, source, tmp_path, describe="none")
    assert [r["place"]["category_source"] for r in rows] == [SOURCE_LLM_FAILED] * 12
    assert all(r["place"]["category"] == "other" for r in rows)
    assert "GigaChat не смог определить категорию для строк: 12" in log
    summary = {row[0]: row[1] for row in load_workbook(out)["Сводка"].iter_rows(values_only=True) if row}
    assert summary["GigaChat не смог определить категорию (строк)"] == 12
    assert summary["Токенов на место"] > 0


# --- what the requests look like ------------------------------------------------------------------


def test_closed_lists_are_enums_in_every_schema() -> None:
    from bot.gigachat.functions import build_function, plain_schema
    from bot.places.enrich import DESCRIPTION_SPEC, category_spec
    from bot.places.fields import FIELDS
    from bot.places.plan import MAPPING_SPEC
    from bot.reviews.analysis import REVIEW_SPEC
    from bot.reviews.moderation import ASPECTS, MODEL_REASONS, POLARITIES, SENTIMENTS, VERDICTS
    from bot.reviews.summary import SUMMARY_SPEC

    spec = category_spec(tuple(TAXONOMY.all_keys()))
    item = plain_schema(spec.answer_type)["properties"]["items"]["items"]["properties"]
    assert item["category"]["enum"] == TAXONOMY.all_keys() and "food/cafe" in item["category"]["enum"]
    column = plain_schema(MAPPING_SPEC.answer_type)["properties"]["items"]["items"]["properties"]
    assert column["field"]["enum"] == [*FIELDS, "none"]
    review = plain_schema(REVIEW_SPEC.answer_type)["properties"]["items"]["items"]["properties"]
    assert review["sentiment"]["enum"] == list(SENTIMENTS) and review["verdict"]["enum"] == list(VERDICTS)
    assert review["reasons"]["items"]["enum"] == list(MODEL_REASONS)  # enum kept inside array items
    aspect = review["aspects"]["items"]["properties"]
    assert aspect["name"]["enum"] == list(ASPECTS) and aspect["polarity"]["enum"] == list(POLARITIES)
    for each in (spec, DESCRIPTION_SPEC, MAPPING_SPEC, REVIEW_SPEC, SUMMARY_SPEC):
        function = build_function(each)
        assert function.description and len(function.description) > 20, each.name
        schema = plain_schema(each.answer_type)
        if "items" in schema["properties"]:
            assert "один элемент на каждый id" in schema["properties"]["items"]["description"], each.name
            assert "echo" in schema["properties"]["items"]["items"]["required"], each.name
    assert build_function(spec).few_shot_examples, "classify_places shows the model one example"


async def test_requests_are_sized_cool_and_share_a_session_per_job(
    gigachat: GigaChatEmulator, make_settings: SettingsFactory
) -> None:
    gigachat.responder = Oracle()
    settings = make_settings()
    async with enricher_for(settings) as enricher:
        enricher.context = CallContext("import", 1, 7, session="places-bot-job-7")
        await enricher.categories({n: Place(name=name) for n, name in enumerate(NAMES[:12], start=2)})
        await enricher.categories({99: Place(name=NAMES[20])})
        async with enricher.db._conn.execute("SELECT precached_tokens FROM llm_usage ORDER BY id") as cursor:
            precached = [row[0] for row in await cursor.fetchall()]
    big, small = (r.json for r in gigachat.calls("chat"))
    assert big["temperature"] <= 0.2 and small["temperature"] <= 0.2
    assert big["max_tokens"] > small["max_tokens"] > 0, "the completion budget follows the batch size"
    sessions = {r.session_id for r in gigachat.calls("chat")}
    assert sessions == {"places-bot-job-7"}
    assert precached[0] == 0 and precached[1] > 0, "the repeated preamble came from GigaChat's cache"


async def test_a_changed_model_or_prompt_asks_again(
    gigachat: GigaChatEmulator, make_settings: SettingsFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bot.places.enrich

    gigachat.responder = Oracle()
    names = NAMES[:5]
    await categorise(make_settings(gigachat_model="GigaChat-2"), names)
    await categorise(make_settings(gigachat_model="GigaChat-2"), names)
    assert len(gigachat.calls("chat")) == 1
    await categorise(make_settings(gigachat_model="GigaChat-2-Pro"), names)
    assert len(gigachat.calls("chat")) == 2, "another model: the cached answers are not its own"
    monkeypatch.setattr(bot.places.enrich, "PROMPT_VERSION", "places-test")
    await categorise(make_settings(gigachat_model="GigaChat-2-Pro"), names)
    assert len(gigachat.calls("chat")) == 3, "another prompt version: asked again"


# --- column mapping ------------------------------------------------------------------------------


class ColumnOracle:
    """Answers map_columns: «Фишка» is notes, «Инстаграм» is social; spelled as the test says."""

    def __init__(self, spelling: dict[str, str] | None = None, shift: int = 0) -> None:
        self.spelling = spelling or {}
        self.shift = shift

    def __call__(self, body: dict[str, Any]) -> ChatReply:
        right = {"Фишка": "notes", "Инстаграм": "social"}
        items = [
            {
                "id": item["id"] + self.shift,
                "echo": item["header"],
                "field": self.spelling.get(item["header"], right.get(item["header"], "none")),
                "confidence": 0.8,
            }
            for item in data_of(body)
        ]
        self.shift = 0  # only the first answer is misnumbered
        return function_reply("map_columns", {"items": items})


async def plan_columns(settings: Settings, tmp: Any) -> dict[str, tuple[str | None, str]]:
    from bot.places.plan import plan_file
    from tests.workbooks import write_xlsx

    source = write_xlsx(
        tmp / "m.xlsx",
        [["Кофейня «Зерно»", "латте на кокосовом", "@zerno"], ["Музей истории", "по средам бесплатно", "@muzei"]],
        ["Название", "Фишка", "Инстаграм"],
    )
    async with Database.open(settings.database_path) as db:
        client = GigaChatClient.from_settings(settings, usage_sink=usage_recorder(db))
        async with client:
            plan = await plan_file(source, original_name="m.xlsx", settings=settings, db=db, llm=client)
    return {c.header: (c.field, c.method) for c in plan.columns}


@pytest.mark.parametrize(
    ("spelling", "expected"),
    [
        ({}, ("notes", "llm")),
        ({"Фишка": "Notes "}, ("notes", "llm")),  # case and spaces
        ({"Фишка": "Примечание"}, ("notes", "llm")),  # our Russian label of the field
        ({"Фишка": "website_url"}, (None, "none")),  # outside the list: not taken, asked once more
    ],
)
async def test_column_answers_are_read_from_the_closed_list(
    spelling: dict[str, str],
    expected: tuple[str | None, str],
    gigachat: GigaChatEmulator,
    make_settings: SettingsFactory,
    tmp_path: Any,
) -> None:
    gigachat.responder = ColumnOracle(spelling)
    columns = await plan_columns(make_settings(), tmp_path)
    assert columns["Фишка"] == expected
    assert columns["Инстаграм"][0] == "social"  # by its values («@zerno»), not asked of GigaChat
    assert len(gigachat.calls("chat")) == (2 if expected[0] is None else 1)


async def test_misnumbered_columns_are_not_mapped_to_their_neighbours(
    gigachat: GigaChatEmulator, make_settings: SettingsFactory, tmp_path: Any
) -> None:
    gigachat.responder = ColumnOracle(shift=1)
    columns = await plan_columns(make_settings(), tmp_path)
    assert columns["Фишка"] == ("notes", "llm")
    assert len(gigachat.calls("chat")) == 2, "the misnumbered answer was thrown away and asked again"


def test_the_telegram_summary_says_how_many_rows_gigachat_could_not_help_with() -> None:
    from bot.places.job import Counters, JobOutcome
    from bot.storage.db import JobRow
    from bot.telegram.handlers.jobs import summary_text

    job = JobRow(
        1, "places", 1, 1, "места.xlsx", "x", "h", "done", None, None, None, None, 12, 12, None, None, None, "", "",
        None, None,
    )  # fmt: skip
    outcome = JobOutcome(1, "done", Counters(imported=12, unhelped=5), None, 3, 900, None, [("Другое", 12)])
    assert "GigaChat не смог определить категорию для строк: 5" in summary_text(job, outcome)
    outcome.counters.unhelped = 0
    assert "не смог" not in summary_text(job, outcome)
