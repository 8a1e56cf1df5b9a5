"""The GigaChat client against the emulator: answers, retries, limits, errors, usage."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Literal

import pytest
import trustme
from pydantic import BaseModel, Field

from bot.core.errors import Cause, InvalidAnswerError, LLMError, LLMUnavailable
from bot.gigachat.client import CallContext, GigaChatClient, Usage
from bot.gigachat.functions import FunctionSpec, plain_schema
from tests.conftest import SettingsFactory
from tests.emulators.gigachat import ChatReply, GigaChatEmulator, tls_server_context


class Place(BaseModel):
    category: Literal["food", "culture", "other"]
    confidence: float = Field(ge=0, le=1)
    note: str | None = None


class Batch(BaseModel):
    items: list[Place]


PLACE_SPEC = FunctionSpec("answer", "Категория места", Place)


def client_for(settings_factory: SettingsFactory, sink: list[Usage] | None = None, **kwargs: object) -> GigaChatClient:
    async def record(usage: Usage) -> None:
        if sink is not None:
            sink.append(usage)

    options = {"backoff_base": 0.01, **kwargs}
    return GigaChatClient.from_settings(settings_factory(), usage_sink=record, **options)


async def test_text_answer_and_usage_is_reported(make_settings: SettingsFactory, gigachat: GigaChatEmulator) -> None:
    usages: list[Usage] = []
    async with client_for(make_settings, usages) as client:
        answer = await client.complete("Привет", context=CallContext("test", user_id=7, job_id=3))
    assert answer.text == "Работает."
    assert len(usages) == 1
    usage = usages[0]
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens > 0
    assert (usage.context.user_id, usage.context.job_id, usage.cause) == (7, 3, None)


async def test_ask_json_forces_one_function_with_a_plain_schema(
    make_settings: SettingsFactory, gigachat: GigaChatEmulator
) -> None:
    async with client_for(make_settings) as client:
        answer = await client.ask_json(Batch, FunctionSpec("classify", "Категории", Batch), prompt="Определи категории")
    assert isinstance(answer, Batch)
    body = gigachat.calls("chat")[0].json
    assert body["function_call"] == {"name": "classify"}
    assert [f["name"] for f in body["functions"]] == ["classify"]
    sent = str(body["functions"][0]["parameters"])
    assert "$ref" not in sent and "anyOf" not in sent and "$defs" not in sent


def test_plain_schema_inlines_refs_and_optionals() -> None:
    schema = plain_schema(Batch)
    item = schema["properties"]["items"]["items"]
    assert item["properties"]["category"] == {"type": "string", "enum": ["food", "culture", "other"]}
    assert item["properties"]["note"]["type"] == "string"
    assert item["required"] == ["category", "confidence"]


async def test_invalid_arguments_get_one_repair_attempt(
    make_settings: SettingsFactory, gigachat: GigaChatEmulator
) -> None:
    gigachat.reply(function_call={"name": "answer", "arguments": {"category": "bar", "confidence": 3}})
    gigachat.reply(function_call={"name": "answer", "arguments": {"category": "food", "confidence": 0.9}})
    async with client_for(make_settings) as client:
        answer = await client.ask_json(Place, PLACE_SPEC, prompt="Кафе «Ромашка»")
    assert answer.category == "food"
    chats = gigachat.calls("chat")
    assert len(chats) == 2
    repair = chats[1].json["messages"]
    assert "не прошёл проверку" in repair[-1]["content"]
    # the model sees its own previous call, then that call's "result" saying what was wrong
    assert repair[-2]["role"] == "assistant" and repair[-2]["function_call"]["arguments"]["confidence"] == 3
    assert repair[-1]["role"] == "function" and repair[-1]["name"] == "answer"


async def test_invalid_twice_is_a_typed_error(make_settings: SettingsFactory, gigachat: GigaChatEmulator) -> None:
    bad = {"name": "answer", "arguments": {"category": "bar"}}
    gigachat.reply(function_call=bad, times=2)
    async with client_for(make_settings) as client:
        with pytest.raises(InvalidAnswerError) as info:
            await client.ask_json(Place, PLACE_SPEC, prompt="x")
    assert info.value.cause is Cause.INVALID_ANSWER
    assert len(gigachat.calls("chat")) == 2


async def test_truncated_answer_asks_for_a_shorter_one(
    make_settings: SettingsFactory, gigachat: GigaChatEmulator
) -> None:
    gigachat.reply(function_call={"name": "answer", "arguments": {"category": "food"}}, finish_reason="length")
    async with client_for(make_settings) as client:
        answer = await client.ask_json(Place, PLACE_SPEC, prompt="x")
    assert answer.category in {"food", "culture", "other"}
    chats = gigachat.calls("chat")
    assert len(chats) == 2, "a truncated answer is never taken as it is"
    assert "короче" in chats[1].json["messages"][-1]["content"]


async def test_json_in_text_content_is_accepted(make_settings: SettingsFactory, gigachat: GigaChatEmulator) -> None:
    gigachat.reply(content='Вот ответ: ```json\n{"category": "culture", "confidence": 0.7}\n```')
    async with client_for(make_settings) as client:
        answer = await client.ask_json(Place, PLACE_SPEC, prompt="Музей")
    assert answer.category == "culture"
    assert len(gigachat.calls("chat")) == 1


async def test_blacklisted_answer_is_its_own_cause(make_settings: SettingsFactory, gigachat: GigaChatEmulator) -> None:
    gigachat.reply(content="Не могу ответить", finish_reason="blacklist")
    async with client_for(make_settings) as client:
        with pytest.raises(LLMError) as info:
            await client.complete("оскорбительный текст")
    assert info.value.cause is Cause.BLACKLISTED


async def test_429_honours_retry_after(make_settings: SettingsFactory, gigachat: GigaChatEmulator) -> None:
    gigachat.rate_limit("chat", retry_after=0.3)
    usages: list[Usage] = []
    async with client_for(make_settings, usages) as client:
        started = time.monotonic()
        answer = await client.complete("x")
        elapsed = time.monotonic() - started
    assert answer.text
    assert elapsed >= 0.3
    assert len(gigachat.calls("chat")) == 2
    assert [u.cause for u in usages] == [Cause.RATE_LIMITED, None]


async def test_server_errors_are_retried_then_given_up(
    make_settings: SettingsFactory, gigachat: GigaChatEmulator
) -> None:
    gigachat.fail("chat", 503, times=5)
    async with client_for(make_settings, max_retries=2) as client:
        with pytest.raises(LLMError) as info:
            await client.complete("x")
    assert info.value.cause is Cause.SERVER_ERROR
    assert len(gigachat.calls("chat")) == 3


async def test_timeout_is_retried(make_settings: SettingsFactory, gigachat: GigaChatEmulator) -> None:
    gigachat.slow("chat", 1.0)
    settings = make_settings(gigachat_timeout=0.3)
    async with GigaChatClient.from_settings(settings, backoff_base=0.01) as client:
        answer = await client.complete("x")
    assert answer.text == "Работает."
    assert len(gigachat.calls("chat")) == 2


@pytest.mark.parametrize(
    ("status", "cause"),
    [
        (400, Cause.BAD_REQUEST),
        (402, Cause.PAYMENT_REQUIRED),
        (403, Cause.FORBIDDEN),
        (404, Cause.MODEL_NOT_FOUND),
        (422, Cause.BAD_REQUEST),
    ],
)
async def test_client_errors_are_not_retried(
    make_settings: SettingsFactory, gigachat: GigaChatEmulator, status: int, cause: Cause
) -> None:
    gigachat.fail("chat", status, times=3)
    async with client_for(make_settings) as client:
        with pytest.raises(LLMError) as info:
            await client.complete("x")
    assert info.value.cause is cause
    assert len(gigachat.calls("chat")) == 1


@pytest.mark.parametrize(
    ("code", "cause"),
    [(6, Cause.AUTH_REJECTED), (7, Cause.SCOPE_MISMATCH), (4, Cause.KEY_UNDECODABLE), (5, Cause.BAD_SCOPE)],
)
async def test_oauth_errors_map_to_causes_without_retry(
    make_settings: SettingsFactory, gigachat: GigaChatEmulator, code: int, cause: Cause
) -> None:
    gigachat.oauth_error(code, times=3)
    async with client_for(make_settings) as client:
        with pytest.raises(LLMError) as info:
            await client.complete("x")
    assert info.value.cause is cause
    assert info.value.fix
    assert len(gigachat.calls("oauth")) == 1
    assert gigachat.calls("chat") == []


async def test_unknown_model_is_model_not_found(make_settings: SettingsFactory, gigachat: GigaChatEmulator) -> None:
    settings = make_settings(gigachat_model="GigaChat-Ultra")
    async with GigaChatClient.from_settings(settings) as client:
        with pytest.raises(LLMError) as info:
            await client.complete("x")
    assert info.value.cause is Cause.MODEL_NOT_FOUND


async def test_expired_token_is_refreshed_once(make_settings: SettingsFactory, gigachat: GigaChatEmulator) -> None:
    async with client_for(make_settings) as client:
        await client.complete("first")
        gigachat.expire_tokens()
        answer = await client.complete("second")
    assert answer.text
    assert len(gigachat.calls("oauth")) == 2


async def test_concurrency_one_never_has_two_requests_in_flight(
    make_settings: SettingsFactory, gigachat: GigaChatEmulator
) -> None:
    gigachat.latency = 0.05
    async with client_for(make_settings) as client:  # personal scope → one stream
        await asyncio.gather(*(client.complete(f"q{i}") for i in range(6)))
    assert len(gigachat.calls("chat")) == 6
    assert gigachat.max_in_flight_total == 1


async def test_business_scope_runs_in_parallel(make_settings: SettingsFactory, gigachat: GigaChatEmulator) -> None:
    gigachat.latency = 0.1
    settings = make_settings(gigachat_scope="GIGACHAT_API_CORP", gigachat_max_concurrency=3)
    async with GigaChatClient.from_settings(settings) as client:
        await client.fetch_token()
        await asyncio.gather(*(client.complete(f"q{i}") for i in range(6)))
    assert gigachat.max_in_flight == 3


async def test_untrusted_certificate_is_not_retried(make_settings: SettingsFactory, tmp_path: Path) -> None:
    ca = trustme.CA()
    async with GigaChatEmulator(ssl_context=tls_server_context(ca)) as tls:
        settings = make_settings(gigachat_base_url=tls.base_url, gigachat_auth_url=tls.auth_url)
        async with GigaChatClient.from_settings(settings, backoff_base=0.01) as client:
            with pytest.raises(LLMError) as info:
                await client.complete("x")
        assert info.value.cause is Cause.TLS_UNTRUSTED
        assert "Russian Trusted Root CA" in (info.value.fix or "")
        assert len(tls.requests) == 0

        ca_file = tmp_path / "ca.pem"
        ca.cert_pem.write_to_path(str(ca_file))
        trusted = make_settings(
            gigachat_base_url=tls.base_url, gigachat_auth_url=tls.auth_url, gigachat_ca_bundle_file=ca_file
        )
        async with GigaChatClient.from_settings(trusted) as client:
            answer = await client.complete("x")
        assert answer.text == "Работает."


async def test_closed_port_is_a_network_error(make_settings: SettingsFactory) -> None:
    settings = make_settings(gigachat_auth_url="http://127.0.0.1:9/api/v2/oauth")
    async with GigaChatClient.from_settings(settings, max_retries=1, backoff_base=0.01) as client:
        with pytest.raises(LLMError) as info:
            await client.complete("x")
    assert info.value.cause is Cause.NETWORK


def test_missing_key_or_bad_scope_means_unavailable(make_settings: SettingsFactory) -> None:
    with pytest.raises(LLMUnavailable) as info:
        GigaChatClient.from_settings(make_settings(gigachat_credentials=None))
    assert info.value.cause is Cause.MISSING_CREDENTIALS
    with pytest.raises(LLMUnavailable) as info:
        GigaChatClient.from_settings(make_settings(gigachat_scope="GIGACHAT_API_FREE"))
    assert info.value.cause is Cause.BAD_SCOPE


async def test_responder_sees_the_prompt(make_settings: SettingsFactory, gigachat: GigaChatEmulator) -> None:
    gigachat.responder = lambda body: ChatReply(content=body["messages"][-1]["content"].upper())
    async with client_for(make_settings) as client:
        answer = await client.complete("эхо")
    assert answer.text == "ЭХО"
