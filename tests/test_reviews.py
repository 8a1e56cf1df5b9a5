"""Review analysis through the real GigaChat SDK and the emulator: batching, cache, checks, failures, files, CLI."""

from __future__ import annotations

import json
import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from bot import texts
from bot.__main__ import main
from bot.gigachat.client import CallContext, GigaChatClient
from bot.reviews.analysis import REVIEW_CHUNK, ReviewInput
from bot.reviews.service import ReviewService
from bot.services import usage_recorder
from bot.sheets import open_workbook
from bot.storage.db import Database
from tests.conftest import SettingsFactory
from tests.emulators.gigachat import GigaChatEmulator
from tests.emulators.reviews_model import PLACES, ReviewsModel, sample_reviews

BAD = [
    "Официант х*й знает что принёс, суп холодный",
    "Администратор — идиот, а повар хам",
    "Лучшая доставка в городе, звоните 8 (912) 345-67-89!",
    "Пишите на promo@food-city.ru, скидка 20% всем",
    "Скидка по коду ЛЕТО2024 в соседнем баре",
]


@asynccontextmanager
async def review_service(settings: Any, *, offline: bool = False) -> AsyncIterator[ReviewService]:
    """The reviews service on a fresh database, GigaChat pointed at the emulator (fast retries)."""
    async with Database.open(settings.database_path) as db:
        llm = None
        if not offline:
            llm = GigaChatClient.from_settings(settings, usage_sink=usage_recorder(db), backoff_base=0.01)
        try:
            yield ReviewService(settings, db, llm)
        finally:
            if llm is not None:
                await llm.aclose()


def chat_calls(gigachat: GigaChatEmulator) -> int:
    return len(gigachat.calls("chat"))


async def test_many_reviews_per_call_cache_and_free_rejects(
    gigachat: GigaChatEmulator, make_settings: SettingsFactory
) -> None:
    model = ReviewsModel()
    gigachat.responder = model
    reviews = [ReviewInput(text) for text in sample_reviews(30)] + [ReviewInput(text) for text in BAD]
    async with review_service(make_settings()) as service:
        results = await service.analyser(CallContext("test")).analyse(reviews)
        assert chat_calls(gigachat) == math.ceil(30 / REVIEW_CHUNK) <= math.ceil(len(reviews) / 10) + 2
        assert model.items_seen["analyze_reviews"] == 30  # the clear-cut rejects cost nothing
        assert [r.source for r in results[:30]] == ["llm"] * 30
        for result in results[30:]:
            assert result.verdict == "reject" and result.source == "rules"
        assert [r.index for r in results] == list(range(len(reviews)))

        again = await service.analyser(CallContext("test")).analyse(reviews)
        assert chat_calls(gigachat) == math.ceil(30 / REVIEW_CHUNK)  # a re-run costs nothing
        assert [a.to_json() for a in again] == [r.to_json() for r in results]


async def test_rules_overrule_a_careless_model(gigachat: GigaChatEmulator, make_settings: SettingsFactory) -> None:
    gigachat.responder = ReviewsModel(verdict="approve")
    texts_ = [
        "Нас обслуживала Сидорова Мария Петровна, всё было вкусно и уютно",
        "Ужасно, грязно, официант хамил, еда невкусная. Ставлю 5 звёзд",
        "Очень уютное кафе, персонал вежливый, кофе отличный!",
    ]
    async with review_service(make_settings()) as service:
        named, mismatch, clean = await service.analyser(CallContext("test")).analyse([ReviewInput(t) for t in texts_])
    assert named.source == "llm" and named.verdict == "needs_review" and named.reasons == ["personal_data"]
    assert "Сидорова" not in named.masked_text and "[имя скрыто]" in named.masked_text
    assert mismatch.verdict == "needs_review" and "rating_mismatch" in mismatch.reasons
    assert clean.verdict == "approve" and clean.reasons == [] and clean.sentiment == "positive"


async def test_obscenity_is_never_approved_even_when_it_reaches_the_model(
    gigachat: GigaChatEmulator, make_settings: SettingsFactory
) -> None:
    text = "Кофе вкусный, но бармен сказал бл*ть при детях"
    gigachat.reply(
        function_call={
            "name": "analyze_reviews",
            "arguments": {
                "items": [
                    {
                        "id": 0,
                        "sentiment": "positive",
                        "score": 0.9,
                        "rating": 5,
                        "summary": "Хвалят кофе.",
                        "pros": ["кофе"],
                        "cons": [],
                        "aspects": [],
                        "verdict": "approve",
                        "reasons": [],
                        "personal_data": [],
                    },
                ]
            },
        }
    )
    async with review_service(make_settings()) as service:
        [result] = await service.analyser(CallContext("test")).analyse([ReviewInput(text)])
    assert result.verdict == "reject" and "profanity" in result.reasons
    assert chat_calls(gigachat) == 0  # clear-cut: GigaChat was not even asked


async def test_answers_are_checked(gigachat: GigaChatEmulator, make_settings: SettingsFactory) -> None:
    text = "Еда вкусная, но обслуживание медленное. Цены высокие для такого района."
    other = "Были в среду, всё как обычно, без сюрпризов"
    long_summary = "Очень длинный пересказ. " * 30
    gigachat.reply(
        function_call={
            "name": "analyze_reviews",
            "arguments": {
                "items": [
                    {
                        "id": 1,
                        "echo": "Еда вкусная, но",
                        "sentiment": "Mixed ",
                        "rating": 4,
                        "summary": long_summary,
                        "pros": ["еда", "еда", "вкус", "порции", "десерт"],
                        "cons": ["медленно"],
                        "aspects": [
                            {"name": "food", "polarity": "positive", "evidence": "еда вкусная"},
                            {"name": "service", "polarity": "negative", "evidence": "официант забыл про нас"},
                            {"name": "parking", "polarity": "negative", "evidence": "Цены высокие"},
                            {"name": "price", "polarity": "awful", "evidence": "Цены высокие"},
                        ],
                        "verdict": "reject",
                        "reasons": ["made_up", "off_topic"],
                        "personal_data": ["нет такого"],
                    },
                    {
                        "id": 2,
                        "echo": "Были в среду,",
                        "sentiment": "furious",
                        "rating": 1,
                        "summary": "x",
                        "pros": [],
                        "cons": [],
                        "aspects": [],
                        "verdict": "approve",
                        "reasons": [],
                        "personal_data": [],
                    },
                ]
            },
        }
    )
    gigachat.reply(function_call={"name": "analyze_reviews", "arguments": {"items": []}})  # the re-ask: nothing
    inputs = [ReviewInput(text), ReviewInput(other)]
    async with review_service(make_settings()) as service:
        checked, invalid = await service.analyser(CallContext("test")).analyse(inputs)
    assert checked.source == "llm" and checked.sentiment == "mixed"  # stray case repaired
    assert checked.rating == 4 and 0 < checked.score < 0.5  # the score follows the model's mixed 4 of 5
    assert len(checked.summary) <= 250
    assert checked.pros == ["еда", "вкус", "порции"]
    assert set(checked.aspects) == {"food"} and checked.aspects["food"].evidence == "Еда вкусная"
    assert checked.reasons == ["off_topic"] and checked.verdict == "reject"
    assert checked.masked_text == text
    # the out-of-list sentiment cost that review only; it was asked again, once, alone
    assert invalid.source == "rules" and invalid.note == texts.REVIEWS_NOTE_UNHELPED
    chats = gigachat.calls("chat")
    assert len(chats) == 2 and other in chats[1].json["messages"][-1]["content"]
    assert text not in chats[1].json["messages"][-1]["content"]


async def test_blacklisted_text_needs_review_and_the_rest_of_the_chunk_is_analysed(
    gigachat: GigaChatEmulator, make_settings: SettingsFactory
) -> None:
    model = ReviewsModel(blacklist=("митинг",))
    gigachat.responder = model
    inputs = [ReviewInput(t) for t in sample_reviews(11)]
    inputs.insert(5, ReviewInput("После ужина пошли на митинг, кафе было по пути, кофе нормальный"))
    async with review_service(make_settings()) as service:
        results = await service.analyser(CallContext("test")).analyse(inputs)
        refused = results[5]
        assert refused.verdict == "needs_review" and refused.source == "rules"
        assert refused.note == texts.REVIEWS_NOTE_BLACKLISTED
        assert all(r.source == "llm" for n, r in enumerate(results) if n != 5)
        calls = chat_calls(gigachat)
        assert calls <= 1 + 8  # one call, then a bounded search for the refused text
        await service.analyser(CallContext("test")).analyse(inputs)
        assert chat_calls(gigachat) == calls  # the refusal is remembered too


async def test_a_single_refused_review_in_the_bot_flow(
    gigachat: GigaChatEmulator, make_settings: SettingsFactory
) -> None:
    gigachat.reply(content="", finish_reason="blacklist")
    async with review_service(make_settings()) as service:
        stored = await service.analyse_text("Обсуждали политику за ужином, суп вкусный", user_id=7)
    assert stored is not None and stored.analysis.verdict == "needs_review"
    assert stored.analysis.note == texts.REVIEWS_NOTE_BLACKLISTED


async def test_payment_required_stops_gigachat_and_the_rules_answer(
    gigachat: GigaChatEmulator, make_settings: SettingsFactory
) -> None:
    gigachat.responder = ReviewsModel()
    gigachat.fail("chat", 402)
    inputs = [ReviewInput(t) for t in sample_reviews(30)]
    async with review_service(make_settings()) as service:
        analyser = service.analyser(CallContext("test"))
        results = await analyser.analyse(inputs)
    assert chat_calls(gigachat) == 1  # a stop cause: no more calls in this run
    assert all(r.source == "rules" for r in results)
    assert results[0].note and "без GigaChat" in results[0].note
    assert analyser.llm_note and "остановлен" in analyser.llm_note


async def test_server_error_is_retried_and_invalid_answers_fall_back(
    gigachat: GigaChatEmulator, make_settings: SettingsFactory
) -> None:
    gigachat.responder = ReviewsModel()
    gigachat.fail("chat", 500)
    async with review_service(make_settings()) as service:
        [ok] = await service.analyser(CallContext("test")).analyse([ReviewInput("Очень вкусно и уютно, приду ещё")])
        assert ok.source == "llm"
        # no items at all, then again after the repair turn, then again when asked once more: the rules
        gigachat.reply(function_call={"name": "analyze_reviews", "arguments": {"nothing": 1}}, times=3)
        gigachat.reset_records()
        [fallback] = await service.analyser(CallContext("test")).analyse([ReviewInput("Суп холодный, ждали долго")])
    assert fallback.source == "rules" and fallback.sentiment == "negative"
    assert fallback.note == texts.REVIEWS_NOTE_UNHELPED
    assert len(gigachat.calls("chat")) == 3, "the re-asks are bounded"


async def test_offline_says_it_was_made_without_gigachat(make_settings: SettingsFactory) -> None:
    async with review_service(make_settings(), offline=True) as service:
        stored = await service.analyse_text("Очень уютное кафе, персонал вежливый, кофе отличный!", user_id=1)
    assert stored is not None
    assert stored.analysis.source == "rules" and stored.analysis.note == texts.REVIEWS_NOTE_OFFLINE
    assert stored.analysis.verdict == "approve" and stored.status == "pending"


def _write_csv(path: Path, rows: list[tuple[str, str, str, str, str]]) -> None:
    lines = ["Место;Отзыв;Оценка;Автор;Дата"] + [";".join(f'"{v}"' for v in row) for row in rows]
    path.write_text("\n".join(lines), "utf-8")


async def test_file_of_reviews_becomes_an_enriched_book_with_places(
    gigachat: GigaChatEmulator, make_settings: SettingsFactory, tmp_path: Path
) -> None:
    model = ReviewsModel()
    gigachat.responder = model
    texts_ = sample_reviews(24) + BAD
    rows = [(PLACES[n % 3], t, str(4 + n % 2), f"Гость {n}", "2024-05-01") for n, t in enumerate(texts_)]
    source = tmp_path / "отзывы.csv"
    _write_csv(source, rows)
    async with review_service(make_settings()) as service:
        await service.db.places.save_batch(
            0, inserts=[(1, {"name": "Кафе «Ромашка»", "name_key": "ромашка"})], updates=[], rows=[], processed=0,
            counters="{}",
        )  # fmt: skip
        upload = service.upload_path(source.name)
        upload.write_bytes(source.read_bytes())
        job_id = await service.create_job(upload, file_name=source.name, user_id=5, chat_id=5)
        seen: list[tuple[int, int]] = []

        async def progress(done: int, total: int) -> None:
            seen.append((done, total))

        outcome = await service.run_file(job_id, progress)
        assert outcome.total == len(texts_) and seen[-1] == (len(texts_), len(texts_))
        assert outcome.verdicts["reject"] >= len(BAD)
        assert outcome.calls == chat_calls(gigachat) <= math.ceil(len(texts_) / 10) + 2
        assert outcome.places == 3 and outcome.bound == 1
        summary = await service.place_summary(1, user_id=5)
    assert summary is not None and summary.aggregate.count >= 3 and summary.source == "llm"
    with open_workbook(outcome.result_path) as book:
        names = [s.name for s in book.sheets]
        assert names == [texts.REVIEWS_SHEET, texts.PLACES_SHEET]
        header, *data = [values for _, values in book.iter_rows(texts.REVIEWS_SHEET)]
        assert header[:2] == ["Место", "Отзыв"] and "Вердикт" in header
        assert len(data) == len(texts_)
        places = [values for _, values in book.iter_rows(texts.PLACES_SHEET)]
        assert {row[0] for row in places[1:]} == set(PLACES[:3])


async def test_place_summary_is_map_reduced_and_little_data_below_three(
    gigachat: GigaChatEmulator, make_settings: SettingsFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bot.reviews.summary as review_summary

    monkeypatch.setattr(review_summary, "MAP_CHUNK", 4)
    model = ReviewsModel()
    gigachat.responder = model
    async with review_service(make_settings()) as service:
        await service.db.places.save_batch(
            0,
            inserts=[
                (1, {"name": "Музей янтаря", "name_key": "музей янтаря"}),
                (2, {"name": "Бар", "name_key": "бар"}),
            ],
            updates=[],
            rows=[],
            processed=0,
            counters="{}",
        )
        for text in sample_reviews(10):
            stored = await service.analyse_text(text, user_id=1)
            assert stored is not None
            await service.bind(stored.id, 1)
        for text in sample_reviews(2):
            stored = await service.analyse_text(text, user_id=1)
            assert stored is not None
            await service.bind(stored.id, 2)
        calls = model.calls["summarize_place"]
        summary = await service.place_summary(1, user_id=1)
        assert summary is not None and summary.source == "llm"
        assert model.calls["summarize_place"] - calls == 3 + 1  # 10 digests: three maps, one reduce
        assert summary.aggregate.count == 10 and sum(summary.aggregate.sentiments.values()) == 10
        assert summary.aggregate.top_pros and summary.aggregate.aspects
        few = await service.place_summary(2, user_id=1)
    assert few is not None and few.text == texts.SUMMARY_FEW


def _cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, gigachat: GigaChatEmulator, key: str) -> None:
    monkeypatch.setenv("GIGACHAT_CREDENTIALS", key)
    monkeypatch.setenv("GIGACHAT_BASE_URL", gigachat.base_url)
    monkeypatch.setenv("GIGACHAT_AUTH_URL", gigachat.auth_url)
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "cli.sqlite3"))


async def test_cli_text_and_txt_file_with_jsonl(
    gigachat: GigaChatEmulator,
    key: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import asyncio

    gigachat.responder = ReviewsModel()
    _cli_env(monkeypatch, tmp_path, gigachat, key)
    code = await asyncio.to_thread(main, ["reviews", "--offline", "--text", "Звоните 89123456789, лучшие цены!"])
    out = capsys.readouterr().out
    assert code == 0 and "отклонить" in out and "[телефон скрыт]" in out and "без GigaChat" in out

    source = tmp_path / "reviews.txt"
    source.write_text("\n".join([*sample_reviews(12), "", *BAD]), "utf-8")
    jsonl, book = tmp_path / "out.jsonl", tmp_path / "out.xlsx"
    args = ["reviews", str(source), "--jsonl", str(jsonl), "-o", str(book)]
    assert await asyncio.to_thread(main, args) == 0
    objects = [json.loads(line) for line in jsonl.read_text("utf-8").splitlines()]
    assert [o["index"] for o in objects] == list(range(17))
    assert set(objects[0]) == {
        "index", "text", "sentiment", "score", "rating", "summary", "pros", "cons", "aspects", "verdict", "reasons",
        "masked_text", "source", "stated_rating", "text_sentiment",
    }  # fmt: skip
    assert objects[0]["source"] == "llm" and objects[-1]["verdict"] == "reject"
    assert book.is_file()
    calls = chat_calls(gigachat)
    assert await asyncio.to_thread(main, args) == 0
    assert chat_calls(gigachat) == calls  # the re-run is served from the cache

    assert await asyncio.to_thread(main, ["reviews"]) == 2
