"""Tests of the GigaChat emulator, driven through the real ``gigachat`` SDK."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import contextvars
import json
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import trustme
from gigachat import GigaChat
from gigachat.context import request_id_cvar, session_id_cvar
from gigachat.exceptions import (
    AuthenticationError,
    BadRequestError,
    ForbiddenError,
    NotFoundError,
    RateLimitError,
    ServerError,
    UnprocessableEntityError,
)
from gigachat.models import Chat, Function, FunctionParameters, Messages, MessagesRole

from tests.emulators.contract import data_of, echo_of
from tests.emulators.gigachat import (
    DEFAULT_TEXT_ANSWER,
    ChatReply,
    Fault,
    GigaChatEmulator,
    estimate_tokens,
    example_from_schema,
    tls_server_context,
)
from tests.emulators.misbehave import CATEGORY_LABELS, Misbehave, Mode, misbehave, near_miss_variants
from tests.emulators.places_model import KEYWORDS, UNKNOWN_GUESS, PlacesModel
from tests.emulators.reviews_model import ReviewsModel

ClientFactory = Callable[..., GigaChat]


def make_key() -> str:
    return base64.b64encode(f"{uuid.uuid4()}:{uuid.uuid4()}".encode()).decode()


@pytest.fixture
async def emu() -> AsyncIterator[GigaChatEmulator]:
    async with GigaChatEmulator() as emulator:
        yield emulator


@pytest.fixture
async def clients() -> AsyncIterator[list[GigaChat]]:
    created: list[GigaChat] = []
    yield created
    for client in created:
        await client.aclose()


@pytest.fixture
def make_client(emu: GigaChatEmulator, clients: list[GigaChat]) -> ClientFactory:
    def factory(**overrides: Any) -> GigaChat:
        options: dict[str, Any] = {
            "base_url": emu.base_url,
            "auth_url": emu.auth_url,
            "credentials": make_key(),
            "scope": "GIGACHAT_API_PERS",
            "model": "GigaChat",
            "verify_ssl_certs": False,
            "timeout": 5.0,
        }
        options.update(overrides)
        client = GigaChat(**options)
        clients.append(client)
        return client

    return factory


def error_json(error: Exception) -> dict[str, Any]:
    content = getattr(error, "content", None)
    assert isinstance(content, bytes)
    data = json.loads(content)
    assert isinstance(data, dict)
    return data


def user_chat(text: str, **kwargs: Any) -> Chat:
    return Chat(messages=[Messages(role=MessagesRole.USER, content=text)], **kwargs)


# --------------------------------------------------------------------------- chat


async def test_text_answer_with_usage(emu: GigaChatEmulator, make_client: ClientFactory) -> None:
    client = make_client()
    response = await client.achat("Привет, как дела?")

    choice = response.choices[0]
    assert choice.message.content == DEFAULT_TEXT_ANSWER
    assert choice.message.function_call is None
    assert choice.finish_reason == "stop"
    assert response.model == "GigaChat"
    assert response.object_ == "chat.completion"
    usage = response.usage
    assert usage.prompt_tokens == estimate_tokens("Привет, как дела?")
    assert usage.completion_tokens == estimate_tokens(DEFAULT_TEXT_ANSWER)
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens

    [oauth] = emu.calls("oauth")
    assert oauth.method == "POST"
    assert oauth.form == {"scope": "GIGACHAT_API_PERS"}
    assert oauth.headers["Authorization"].startswith("Basic ")
    uuid.UUID(oauth.headers.get("rquid", ""))
    [chat] = emu.calls("chat")
    assert chat.status == 200
    assert chat.finished is not None and chat.finished >= chat.started
    assert chat.headers["authorization"] == f"Bearer {client.token}"
    assert isinstance(chat.json, dict)
    assert chat.json["model"] == "GigaChat"
    assert chat.json["messages"] == [{"role": "user", "content": "Привет, как дела?"}]
    raw = next(r for r in emu.requests if r.endpoint == "chat")
    assert "function_call" not in (raw.json or {})


async def test_forced_function_call_returns_schema_conforming_dict(
    emu: GigaChatEmulator, make_client: ClientFactory
) -> None:
    client = make_client()
    function = Function(
        name="describe_place",
        description="Describe a place",
        parameters=FunctionParameters(
            type="object",
            properties={
                "title": {"type": "string", "description": "Title"},
                "category": {"type": "string", "enum": ["museum", "park"]},
                "rating": {"type": "integer"},
                "score": {"type": "number"},
                "open": {"type": "boolean"},
                "tags": {"type": "array", "items": {"type": "string"}},
                "address": {
                    "type": "object",
                    "properties": {"city": {"type": "string"}, "house": {"type": "integer"}},
                },
            },
            required=["title", "category"],
        ),
    )
    response = await client.achat(user_chat("Опиши", functions=[function], function_call={"name": "describe_place"}))

    choice = response.choices[0]
    assert choice.finish_reason == "function_call"
    call = choice.message.function_call
    assert call is not None
    assert call.name == "describe_place"
    assert call.arguments == {
        "title": "тест",
        "category": "museum",
        "rating": 0,
        "score": 0.0,
        "open": False,
        "tags": [],
        "address": {"city": "тест", "house": 0},
    }
    [chat] = emu.calls("chat")
    assert isinstance(chat.json, dict)
    assert chat.json["function_call"] == {"name": "describe_place"}


async def test_auto_function_call_answers_text(make_client: ClientFactory) -> None:
    function = Function(name="f", parameters=FunctionParameters(properties={"x": {"type": "string"}}))
    response = await make_client().achat(user_chat("hi", functions=[function], function_call="auto"))
    assert response.choices[0].message.content == DEFAULT_TEXT_ANSWER
    assert response.choices[0].message.function_call is None


def test_example_from_schema_bounds() -> None:
    schema = {
        "type": "object",
        "properties": {
            "low": {"type": "integer", "minimum": 3, "maximum": 10},
            "high": {"type": "integer", "maximum": -2},
            "excl": {"type": "integer", "exclusiveMinimum": 1.5},
            "ratio": {"type": "number", "minimum": 0.5},
            "items": {"type": "array", "minItems": 2, "items": {"type": "string", "enum": ["a"]}},
            "short": {"type": "string", "maxLength": 2},
            "long": {"type": "string", "minLength": 6},
            "nullable": {"type": ["null", "boolean"]},
        },
    }
    assert example_from_schema(schema) == {
        "low": 3,
        "high": -2,
        "excl": 2,
        "ratio": 0.5,
        "items": ["a", "a"],
        "short": "те",
        "long": "тестте",
        "nullable": False,
    }


@pytest.mark.parametrize(
    "parameters",
    [
        {"type": "object"},
        {"type": "object", "properties": {"nested": {"type": "object"}}},
    ],
)
async def test_object_without_properties_is_rejected(make_client: ClientFactory, parameters: dict[str, Any]) -> None:
    chat = user_chat("hi", functions=[{"name": "f", "parameters": parameters}])
    with pytest.raises(UnprocessableEntityError) as info:
        await make_client().achat(chat)
    body = error_json(info.value)
    assert body["status"] == 422
    assert "properties" in body["message"]


async def test_canned_replies_and_responder(emu: GigaChatEmulator, make_client: ClientFactory) -> None:
    client = make_client()
    emu.reply(content="Первый")
    emu.reply(function_call={"name": "save", "arguments": {"id": 7}})
    emu.reply(content="Обрезано", finish_reason="length")
    seen: list[dict[str, Any]] = []

    async def responder(body: dict[str, Any]) -> ChatReply | Fault:
        seen.append(body)
        if len(seen) == 1:
            return ChatReply(content=f"echo {body['messages'][-1]['content']}")
        return Fault(status=500)

    emu.responder = responder

    first = await client.achat("1")
    assert first.choices[0].message.content == "Первый"
    second = await client.achat("2")
    assert second.choices[0].finish_reason == "function_call"
    assert second.choices[0].message.function_call is not None
    assert second.choices[0].message.function_call.arguments == {"id": 7}
    third = await client.achat("3")
    assert (third.choices[0].message.content, third.choices[0].finish_reason) == ("Обрезано", "length")
    fourth = await client.achat("4")
    assert fourth.choices[0].message.content == "echo 4"
    with pytest.raises(ServerError):
        await client.achat("5")
    assert len(seen) == 2

    emu.responder = lambda body: ChatReply(content="sync")
    assert (await client.achat("6")).choices[0].message.content == "sync"


async def test_unknown_model_is_404(make_client: ClientFactory) -> None:
    with pytest.raises(NotFoundError) as info:
        await make_client(model="GigaChat-9000").achat("hi")
    assert error_json(info.value) == {"status": 404, "message": "No such model"}


# --------------------------------------------------------------------------- OAuth


async def test_oauth_errors_natural() -> None:
    good = make_key()
    b2b = make_key()
    async with GigaChatEmulator(valid_keys={good: "GIGACHAT_API_PERS", b2b: "GIGACHAT_API_B2B"}) as emu:
        cases: list[tuple[str, str, type[Exception], int]] = [
            (make_key(), "GIGACHAT_API_PERS", AuthenticationError, 6),
            (b2b, "GIGACHAT_API_PERS", BadRequestError, 7),
            ("not base64 at all!", "GIGACHAT_API_PERS", BadRequestError, 4),
            (good, "", BadRequestError, 5),
            (good, "GIGACHAT_API_SOMETHING", BadRequestError, 1),
        ]
        for credentials, scope, error_type, code in cases:
            async with GigaChat(
                base_url=emu.base_url,
                auth_url=emu.auth_url,
                credentials=credentials,
                scope=scope,
                model="GigaChat",
            ) as client:
                with pytest.raises(error_type) as info:
                    await client.achat("hi")
                assert type(info.value) is error_type
                assert error_json(info.value)["code"] == code, (credentials, scope)
        assert emu.calls("chat") == []

        async with GigaChat(
            base_url=emu.base_url,
            auth_url=emu.auth_url,
            credentials=b2b,
            scope="GIGACHAT_API_B2B",
            model="GigaChat",
        ) as client:
            assert (await client.achat("hi")).choices[0].message.content == DEFAULT_TEXT_ANSWER


async def test_oauth_errors_scripted(emu: GigaChatEmulator, make_client: ClientFactory) -> None:
    client = make_client()
    emu.oauth_error(6)
    emu.oauth_error(7)
    emu.oauth_error(4)
    with pytest.raises(AuthenticationError) as auth_info:
        await client.achat("hi")
    assert error_json(auth_info.value) == {"code": 6, "message": "credentials doesn't match db data"}
    with pytest.raises(BadRequestError) as scope_info:
        await client.achat("hi")
    assert error_json(scope_info.value) == {
        "code": 7,
        "message": "scope from db not fully includes consumed scope",
    }
    with pytest.raises(BadRequestError) as header_info:
        await client.achat("hi")
    assert error_json(header_info.value)["code"] == 4
    assert (await client.achat("hi")).choices[0].message.content == DEFAULT_TEXT_ANSWER
    assert [r.status for r in emu.calls("oauth")] == [401, 400, 400, 200]


async def test_expire_tokens_reauths_once(emu: GigaChatEmulator, make_client: ClientFactory) -> None:
    client = make_client()
    await client.achat("one")
    first_token = client.token
    emu.expire_tokens()
    response = await client.achat("two")
    assert response.choices[0].message.content == DEFAULT_TEXT_ANSWER
    assert client.token != first_token
    assert [r.status for r in emu.calls("oauth")] == [200, 200]
    assert [r.status for r in emu.calls("chat")] == [200, 401, 200]
    unauthorized = emu.calls("chat")[1]
    assert unauthorized.headers["Authorization"] == f"Bearer {first_token}"


async def test_api_requires_issued_token(emu: GigaChatEmulator) -> None:
    async with httpx.AsyncClient() as http:
        response = await http.get(f"{emu.base_url}/models", headers={"Authorization": "Bearer forged"})
    assert response.status_code == 401
    assert response.json() == {"status": 401, "message": "Unauthorized"}


async def test_expires_at_in_seconds_makes_sdk_reauth_every_call(make_client: ClientFactory) -> None:
    async with GigaChatEmulator(expires_in_seconds=True) as emu:
        client = make_client(base_url=emu.base_url, auth_url=emu.auth_url)
        await client.achat("1")
        await client.achat("2")
        assert len(emu.calls("oauth")) == 2
        [first, _] = emu.calls("chat")
        assert first.status == 200


# --------------------------------------------------------------------------- faults


async def test_rate_limit_exposes_retry_after(emu: GigaChatEmulator, make_client: ClientFactory) -> None:
    client = make_client()
    emu.rate_limit(retry_after=0.2)
    with pytest.raises(RateLimitError) as info:
        await client.achat("hi")
    assert info.value.retry_after == pytest.approx(0.2)
    assert error_json(info.value)["status"] == 429
    assert (await client.achat("hi")).choices[0].message.content == DEFAULT_TEXT_ANSWER


async def test_sdk_retry_honours_retry_after(emu: GigaChatEmulator, make_client: ClientFactory) -> None:
    client = make_client(max_retries=1)
    emu.rate_limit("chat", retry_after=0.2)
    started = time.monotonic()
    await client.achat("hi")
    assert time.monotonic() - started >= 0.2
    assert [r.status for r in emu.calls("chat")] == [429, 200]


async def test_fail_any_endpoint_and_fifo_order(emu: GigaChatEmulator, make_client: ClientFactory) -> None:
    client = make_client()
    emu.fail("*", 503)
    emu.fail("models", 500, body={"status": 500, "message": "boom"}, headers={"X-Test": "1"})
    with pytest.raises(ServerError) as first:
        await client.aget_models()
    assert error_json(first.value) == {"status": 503, "message": "Service Unavailable"}
    with pytest.raises(ServerError) as second:
        await client.aget_models()
    assert error_json(second.value)["message"] == "boom"
    assert second.value.headers is not None and second.value.headers["x-test"] == "1"
    assert len((await client.aget_models()).data) == 7


async def test_slow_delays_then_answers(emu: GigaChatEmulator, make_client: ClientFactory) -> None:
    client = make_client()
    await client.aget_balance()
    emu.slow("balance", 0.2)
    started = time.monotonic()
    await client.aget_balance()
    assert time.monotonic() - started >= 0.2
    durations = [r.duration for r in emu.calls("balance")]
    assert durations[0] is not None and durations[0] < 0.2
    assert durations[1] is not None and durations[1] >= 0.2


# --------------------------------------------------------------------------- other endpoints


async def test_models_tokens_balance(emu: GigaChatEmulator, make_client: ClientFactory) -> None:
    client = make_client()
    models = await client.aget_models()
    assert models.object_ == "list"
    assert [m.id_ for m in models.data][:4] == ["GigaChat", "GigaChat-Pro", "GigaChat-Max", "GigaChat-2"]
    assert {m.owned_by for m in models.data} == {"salutedevices"}

    counts = await client.atokens_count(["привет", "a" * 40])
    assert [(c.tokens, c.characters, c.object_) for c in counts] == [
        (estimate_tokens("привет"), 6, "tokens"),
        (11, 40, "tokens"),
    ]
    [tokens] = emu.calls("tokens")
    assert tokens.json == {"model": "GigaChat", "input": ["привет", "a" * 40]}

    balance = await client.aget_balance()
    assert ("GigaChat", 50000) in [(b.usage, b.value) for b in balance.balance]


async def test_custom_models_and_balance(make_client: ClientFactory) -> None:
    async with GigaChatEmulator(models=[("GigaChat-2", "chat")], balance=[("GigaChat-2", 12.5)]) as emu:
        client = make_client(base_url=emu.base_url, auth_url=emu.auth_url, model="GigaChat-2")
        assert [m.id_ for m in (await client.aget_models()).data] == ["GigaChat-2"]
        assert [(b.usage, b.value) for b in (await client.aget_balance()).balance] == [("GigaChat-2", 12.5)]
        with pytest.raises(NotFoundError):
            await client.achat(user_chat("hi", model="GigaChat"))


async def test_postpaid_balance_is_forbidden(make_client: ClientFactory) -> None:
    async with GigaChatEmulator(postpaid=True) as emu:
        client = make_client(base_url=emu.base_url, auth_url=emu.auth_url)
        with pytest.raises(ForbiddenError) as info:
            await client.aget_balance()
        assert error_json(info.value) == {"status": 403, "message": "Permission denied"}


# --------------------------------------------------------------------------- TLS


@pytest.mark.filterwarnings("ignore:`verify=<str>` is deprecated:DeprecationWarning")
async def test_tls_with_trustme(tmp_path: Path, clients: list[GigaChat]) -> None:
    ca = trustme.CA()
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    async with GigaChatEmulator(ssl_context=tls_server_context(ca)) as emu:
        assert emu.base_url.startswith("https://127.0.0.1:")
        assert emu.auth_url.startswith("https://127.0.0.1:")
        common: dict[str, Any] = {
            "base_url": emu.base_url,
            "auth_url": emu.auth_url,
            "credentials": make_key(),
            "model": "GigaChat",
            "timeout": 5.0,
        }
        trusting = GigaChat(ca_bundle_file=str(ca_file), **common)
        clients.append(trusting)
        response = await trusting.achat("hi")
        assert response.choices[0].message.content == DEFAULT_TEXT_ANSWER

        untrusting = GigaChat(verify_ssl_certs=True, **common)
        clients.append(untrusting)
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            await untrusting.achat("hi")


# --------------------------------------------------------------------------- concurrency


async def test_max_in_flight_counts_parallel_requests(make_client: ClientFactory) -> None:
    async with GigaChatEmulator(latency=0.1) as emu:
        client = make_client(base_url=emu.base_url, auth_url=emu.auth_url)
        await client.achat("warm up")
        assert (emu.max_in_flight, emu.max_in_flight_total) == (1, 1)

        calls: list[Awaitable[Any]] = [client.achat(str(i)) for i in range(4)]
        await asyncio.gather(*calls)
        assert emu.max_in_flight == 4
        assert emu.max_in_flight_total == 4
        assert emu.in_flight == 0 and emu.in_flight_total == 0

        emu.reset_records()
        for i in range(3):
            await client.achat(str(i))
        assert emu.max_in_flight == 1
        assert len(emu.requests) == 3


async def test_in_flight_total_includes_oauth(emu: GigaChatEmulator, make_client: ClientFactory) -> None:
    other = make_client()
    await other.aget_models()  # holds a token from now on
    emu.reset_records()
    emu.slow("oauth", 0.3)
    fresh = make_client()

    async def models_during_oauth() -> None:
        await asyncio.sleep(0.1)
        await other.aget_models()

    await asyncio.gather(fresh.aget_models(), models_during_oauth())
    # other's models request ran while fresh's OAuth was in flight; fresh's own models request came later
    assert [r.endpoint for r in emu.requests] == ["oauth", "models", "models"]
    assert emu.max_in_flight == 1
    assert emu.max_in_flight_total == 2


# --------------------------------------------------------------------------- counting like the service


def place_function() -> Function:
    return Function(
        name="classify_places",
        description="Категории мест",
        parameters=FunctionParameters(
            type="object",
            properties={
                "items": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {"id": {"type": "integer"}, "category": {"type": "string"}},
                    },
                }
            },
        ),
    )


def forced_chat(*texts: str, system: str = "Ты помогаешь вести каталог.", **kwargs: Any) -> Chat:
    messages = [Messages(role=MessagesRole.SYSTEM, content=system)]
    messages += [Messages(role=MessagesRole.USER, content=text) for text in texts]
    return Chat(messages=messages, functions=[place_function()], function_call={"name": "classify_places"}, **kwargs)


@contextlib.contextmanager
def sdk_header(var: contextvars.ContextVar[str | None], value: str | None) -> Iterator[None]:
    """Make the SDK send a header from its context variable (X-Session-ID, X-Request-ID) inside the block."""
    token = var.set(value)
    try:
        yield
    finally:
        var.reset(token)


async def test_prompt_tokens_include_function_definitions(emu: GigaChatEmulator, make_client: ClientFactory) -> None:
    response = await make_client().achat(forced_chat("Данные:\n[]"))
    [chat] = emu.calls("chat")
    assert isinstance(chat.json, dict)
    functions = estimate_tokens(json.dumps(chat.json["functions"], ensure_ascii=False))
    messages = estimate_tokens("Ты помогаешь вести каталог.") + estimate_tokens("Данные:\n[]")
    assert response.usage.prompt_tokens == functions + messages
    assert response.usage.precached_prompt_tokens is None  # no X-Session-ID: no cache
    assert chat.usage == {
        "prompt_tokens": functions + messages,
        "completion_tokens": response.usage.completion_tokens,
        "total_tokens": functions + messages + response.usage.completion_tokens,
    }


async def test_prefix_cache_by_session_id(emu: GigaChatEmulator, make_client: ClientFactory) -> None:
    client = make_client()
    with sdk_header(session_id_cvar, "s-1"):
        await session_one(emu, client)
    with sdk_header(session_id_cvar, "s-2"):
        fresh = await client.achat(forced_chat("Данные:\n[1]"))
    assert fresh.usage.precached_prompt_tokens == 0
    plain = await client.achat(forced_chat("Данные:\n[1]"))
    assert plain.usage.precached_prompt_tokens is None
    assert [r.usage and r.usage.get("precached_prompt_tokens") for r in emu.calls("chat")][-2:] == [0, None]


async def session_one(emu: GigaChatEmulator, client: GigaChat) -> None:
    first = await client.achat(forced_chat("Данные:\n[1]"))
    assert first.usage.precached_prompt_tokens == 0
    [recorded] = emu.calls("chat")
    assert recorded.session_id == "s-1"
    assert isinstance(recorded.json, dict)
    functions = estimate_tokens(json.dumps(recorded.json["functions"], ensure_ascii=False))
    system = estimate_tokens("Ты помогаешь вести каталог.")

    other_data = await client.achat(forced_chat("Данные:\n[2, 3]"))
    assert other_data.usage.precached_prompt_tokens == functions + system  # whole units: not the common «Данные:»
    again = await client.achat(forced_chat("Данные:\n[1]"))
    assert again.usage.precached_prompt_tokens == again.usage.prompt_tokens
    repair = await client.achat(forced_chat("Данные:\n[1]", "Исправь ответ"))
    assert repair.usage.precached_prompt_tokens == first.usage.prompt_tokens
    other_system = await client.achat(forced_chat("Данные:\n[1]", system="Другая система"))
    assert other_system.usage.precached_prompt_tokens == functions
    no_functions = await client.achat(user_chat("Ты помогаешь вести каталог."))
    assert no_functions.usage.precached_prompt_tokens == 0  # the functions come first in the prompt
    other_model = await client.achat(forced_chat("Данные:\n[1]", model="GigaChat-Pro"))
    assert other_model.usage.precached_prompt_tokens == 0


async def test_prefix_cache_remembers_only_answered_requests(emu: GigaChatEmulator, make_client: ClientFactory) -> None:
    client = make_client()
    with sdk_header(session_id_cvar, "s-1"):
        emu.responder = lambda body: Fault(status=500)
        with pytest.raises(ServerError):
            await client.achat(forced_chat("Данные:\n[1]"))
        emu.responder = None
        first = await client.achat(forced_chat("Данные:\n[1]"))
        assert first.usage.precached_prompt_tokens == 0
        emu.clear_prefix_cache()
        assert (await client.achat(forced_chat("Данные:\n[1]"))).usage.precached_prompt_tokens == 0


async def test_request_id_header_on_success_and_error(emu: GigaChatEmulator, make_client: ClientFactory) -> None:
    client = make_client()
    response = await client.achat("hi")
    assert response.x_headers is not None
    fresh = response.x_headers["x-request-id"]
    assert fresh is not None
    uuid.UUID(fresh)
    assert response.x_headers["x-session-id"] is None

    with sdk_header(request_id_cvar, "client-id-1"), sdk_header(session_id_cvar, "s-9"):
        echoed = await client.achat("hi")
        emu.fail("chat", 500)
        with pytest.raises(ServerError) as info:
            await client.achat("hi")
    assert echoed.x_headers is not None
    assert (echoed.x_headers["x-request-id"], echoed.x_headers["x-session-id"]) == ("client-id-1", "s-9")
    assert info.value.headers is not None and info.value.headers["x-request-id"] == "client-id-1"

    emu.responder = lambda body: Fault(status=503)
    with pytest.raises(ServerError) as failed:
        await client.achat("hi")
    assert failed.value.headers is not None
    failed_id = failed.value.headers["x-request-id"]
    uuid.UUID(failed_id)
    assert emu.failed_request_ids == ["client-id-1", failed_id]
    assert failed_id in emu.request_ids and fresh in emu.request_ids
    assert emu.request_ids == [r.request_id for r in emu.requests]  # OAuth answers carry one too
    assert len(set(emu.request_ids)) == len(emu.request_ids) - 1  # only the client's id came twice


async def test_model_without_functions_answers_422(make_client: ClientFactory) -> None:
    async with GigaChatEmulator(no_function_models={"GigaChat-Lite-Plain"}) as emu:
        client = make_client(base_url=emu.base_url, auth_url=emu.auth_url, model="GigaChat-Lite-Plain")
        assert "GigaChat-Lite-Plain" in [m.id_ for m in (await client.aget_models()).data]
        assert (await client.achat("hi")).choices[0].message.content == DEFAULT_TEXT_ANSWER
        with pytest.raises(UnprocessableEntityError) as info:
            await client.achat(forced_chat("Данные:\n[]", model="GigaChat-Lite-Plain"))
        message = "Model GigaChat-Lite-Plain does not support functions"
        assert error_json(info.value) == {"status": 422, "message": message}
        assert info.value.headers is not None and info.value.headers["x-request-id"] in emu.failed_request_ids
        ok = await client.achat(forced_chat("Данные:\n[]", model="GigaChat"))
        assert ok.choices[0].finish_reason == "function_call"


# --------------------------------------------------------------------------- the stand-in models


def batch_body(function: str, items: list[Any], *, tail: str = "") -> dict[str, Any]:
    data = json.dumps(items, ensure_ascii=False)
    return {
        "model": "GigaChat",
        "function_call": {"name": function},
        "messages": [
            {"role": "system", "content": "Система. Данные:\n[999]"},  # not a user message: ignored
            {"role": "user", "content": f"Задача.\n\nДанные:\n{data}{tail}"},
            {"role": "assistant", "content": "", "function_call": {"name": function, "arguments": {}}},
            {"role": "user", "content": "Исправь: ответь по каждому id."},
        ],
    }


def arguments_of(reply: ChatReply | Fault) -> dict[str, Any]:
    assert isinstance(reply, ChatReply) and reply.function_call is not None
    assert reply.finish_reason == "function_call"
    arguments = reply.function_call["arguments"]
    assert isinstance(arguments, dict)
    return arguments


def test_data_of_reads_the_list_after_the_marker() -> None:
    body = batch_body("x", [{"id": 1, "name": "a"}], tail="\nОтветь вызовом функции. [не данные]")
    assert data_of(body) == [{"id": 1, "name": "a"}]
    assert data_of({"messages": [{"role": "user", "content": "Данные:\nне json"}]}) == []
    assert data_of({"messages": [{"role": "user", "content": "без данных"}]}) == []
    assert echo_of("  Кафе  «Ромашка», центр города ") == "Кафе «Ромашка», центр"
    assert echo_of("Музей") == "Музей"


def test_places_model_classifies_with_full_keys_and_echo() -> None:
    model = PlacesModel()
    places = [
        {"id": 1, "name": "Кафе «Ромашка» у вокзала", "address": "ул. Ленина"},
        {"id": 2, "name": "ООО «Луч-5»", "description": "Работаем для вас"},
        {"id": 3, "name": "Объект", "type": "Музей"},
    ]
    answer = arguments_of(model(batch_body("classify_places", places, tail="\nЕщё текст")))
    assert answer == {
        "items": [
            {"id": 1, "echo": "Кафе «Ромашка»", "category": "food/cafe", "confidence": 0.9},
            {"id": 2, "echo": "ООО «Луч-5»", "category": "entertainment/games_vr", "confidence": 0.8},
            {"id": 3, "echo": "Объект", "category": "culture/museum", "confidence": 0.9},
        ]
    }
    values = arguments_of(model(batch_body("classify_places", [{"id": 1, "type": "Бар и кальянная лаунж"}])))
    assert values == {"items": [{"id": 1, "echo": "Бар и", "category": "nightlife/bar", "confidence": 0.9}]}
    assert (model.calls["classify_places"], model.items_seen["classify_places"]) == (2, 4)


def test_places_model_describes_and_maps_columns() -> None:
    model = PlacesModel()
    place = {"id": 1, "name": "Музей янтаря у моря", "category": "Музей", "address": "Калининград"}
    assert arguments_of(model(batch_body("describe_places", [place]))) == {
        "items": [
            {
                "id": 1,
                "echo": "Музей янтаря",
                "description": "Музей янтаря у моря — музей. Находится по адресу: Калининград.",
            }
        ]
    }
    columns = [{"id": 1, "header": "Доп. поле 1", "samples": ["a"]}, {"id": 2, "header": "X", "samples": []}]
    assert arguments_of(model(batch_body("map_columns", columns))) == {
        "items": [
            {"id": 1, "echo": "Доп. поле 1", "field": "notes", "confidence": 0.6},
            {"id": 2, "echo": "X", "field": "notes", "confidence": 0.6},
        ]
    }
    assert model(user_body("hi")) == ChatReply(content="Работает.")
    assert dict(model.calls) == {"describe_places": 1, "map_columns": 1, "text": 1}


def user_body(text: str) -> dict[str, Any]:
    return {"model": "GigaChat", "messages": [{"role": "user", "content": text}]}


def test_reviews_model_answers_the_new_contract() -> None:
    model = ReviewsModel()
    reviews = [
        {"id": 1, "text": "Очень уютное кафе, кофе отличный!"},
        {"id": 2, "text": "Ужасный сервис, суп холодный."},
    ]
    [first, second] = arguments_of(model(batch_body("analyze_reviews", reviews)))["items"]
    assert set(first) == {
        "id", "echo", "sentiment", "rating", "summary", "pros", "cons", "aspects", "verdict", "reasons",
        "personal_data",
    }  # fmt: skip
    assert [(r["id"], r["echo"], r["sentiment"], r["rating"]) for r in (first, second)] == [
        (1, "Очень уютное кафе,", "positive", 5),
        (2, "Ужасный сервис, суп", "negative", 1),
    ]
    assert first["verdict"] == "approve" and first["reasons"] == []  # careless on purpose
    assert first["aspects"][0] == {"name": "drinks", "polarity": "positive", "evidence": "кофе отличный!"}

    careful = ReviewsModel(verdict="needs_review", blacklist=("митинг",))
    assert arguments_of(careful(batch_body("analyze_reviews", reviews)))["items"][0]["verdict"] == "needs_review"
    refused = careful(batch_body("analyze_reviews", [{"id": 1, "text": "Пошли на митинг"}]))
    assert refused == ChatReply(content="", finish_reason="blacklist")
    summary = arguments_of(careful(batch_body("summarize_place", ["дайджест 1", "дайджест 2"])))
    assert set(summary) == {"summary"}
    assert careful.items_seen == {"analyze_reviews": 3, "summarize_place": 2}


# --------------------------------------------------------------------------- misbehaving answers


def places_reply() -> ChatReply:
    return ChatReply(
        function_call={
            "name": "classify_places",
            "arguments": {
                "items": [
                    {"id": 1, "echo": "Кафе «Ромашка»", "category": "food/cafe", "confidence": 0.9},
                    {"id": 2, "echo": "Музей янтаря", "category": "culture/museum", "confidence": 0.8},
                    {"id": 3, "echo": "ООО «Луч»", "category": "entertainment/games_vr", "confidence": 0.7},
                ]
            },
        },
        finish_reason="function_call",
    )


def reviews_reply() -> ChatReply:
    return ReviewsModel()(
        batch_body(
            "analyze_reviews",
            [{"id": 1, "text": "Кофе отличный, уютно."}, {"id": 2, "text": "Суп холодный, официант хамил."}],
        )
    )


def items_of(reply: object) -> list[dict[str, Any]]:
    assert isinstance(reply, ChatReply) and reply.function_call is not None
    items = reply.function_call["arguments"]["items"]
    assert isinstance(items, list)
    return items


def ids(reply: object) -> list[int]:
    return [item["id"] for item in items_of(reply)]


def echoes(reply: object) -> list[str]:
    return [item["echo"] for item in items_of(reply)]


def test_misbehave_id_modes() -> None:
    original = places_reply()
    shifted = misbehave(original, "shift_ids")
    assert (ids(shifted), echoes(shifted)) == ([2, 3, 4], echoes(original))
    permuted = misbehave(original, Mode.PERMUTE)
    assert (ids(permuted), echoes(permuted)) == ([2, 3, 1], echoes(original))
    assert items_of(permuted)[0]["category"] == "food/cafe"
    assert ids(misbehave(original, "duplicate")) == [1, 2, 1]
    repeated = misbehave(original, "repeat")
    assert items_of(repeated) == [*items_of(original), items_of(original)[0]]
    assert items_of(misbehave(original, "fewer")) == items_of(original)[:2]
    assert ids(original) == [1, 2, 3]  # the input is never changed in place


def test_misbehave_out_of_list() -> None:
    [first, *rest] = items_of(misbehave(places_reply(), "out_of_list"))
    assert first["category"] == "gastronomy"
    assert rest == items_of(places_reply())[1:]
    [review, other] = items_of(misbehave(reviews_reply(), "out_of_list"))
    assert (review["sentiment"], review["verdict"], review["reasons"]) == ("angry", "ban", ["rudeness"])
    assert other == items_of(reviews_reply())[1]
    columns = function_answer("map_columns", [{"id": 1, "echo": "X", "field": "notes", "confidence": 0.6}])
    assert items_of(misbehave(columns, "out_of_list"))[0]["field"] == "website_url"


def function_answer(name: str, items: list[dict[str, Any]]) -> ChatReply:
    return ChatReply(function_call={"name": name, "arguments": {"items": items}}, finish_reason="function_call")


def test_misbehave_near_miss_cycles_through_variants() -> None:
    categories = [items_of(misbehave(places_reply(), "near_miss", variant=n))[0]["category"] for n in range(6)]
    assert categories == ["Еда", "FOOD/CAFE", "food/Cafe ", "cafe", "Кафе", "Еда"]
    assert near_miss_variants("category", "kids/kids_classes") == [
        "Детям", "KIDS/KIDS_CLASSES", "kids/Kids_classes ", "kids_classes", "Детские занятия",
    ]  # fmt: skip
    assert near_miss_variants("category", "food") == ["Еда", "FOOD", "Food "]
    reviews = [items_of(misbehave(reviews_reply(), "near_miss", variant=n))[0] for n in range(3)]
    assert [r["sentiment"] for r in reviews] == ["Positive", "POSITIVE", "positive"]
    assert reviews[2]["verdict"] == "Approve"
    columns = function_answer("map_columns", [{"id": 1, "echo": "X", "field": "notes", "confidence": 0.6}])
    assert items_of(misbehave(columns, "near_miss", variant=1))[0]["field"] == "NOTES"


def test_category_labels_come_from_the_taxonomy() -> None:
    taxonomy = json.loads((Path(__file__).parent.parent / "bot" / "data" / "taxonomy.json").read_text("utf-8"))
    labels = {c["key"]: c["label"] for c in taxonomy["categories"]}
    labels |= {f"{c['key']}/{s['key']}": s["label"] for c in taxonomy["categories"] for s in c.get("subcategories", [])}
    assert {key: labels[key] for key in CATEGORY_LABELS} == CATEGORY_LABELS
    produced = [*KEYWORDS.values(), UNKNOWN_GUESS[:2]]
    assert {f"{top}/{sub}" for top, sub in produced} <= set(CATEGORY_LABELS)
    assert CATEGORY_LABELS["food"] == "Еда" and CATEGORY_LABELS["food/cafe"] == "Кафе"


def test_misbehave_values_and_echo() -> None:
    assert [i["confidence"] for i in items_of(misbehave(places_reply(), "confidence_100"))] == [90, 80, 70]
    swapped = misbehave(places_reply(), "wrong_echo")
    assert echoes(swapped) == ["Музей янтаря", "Кафе «Ромашка»", "ООО «Луч»"]
    assert [i["category"] for i in items_of(swapped)][:2] == ["food/cafe", "culture/museum"]
    original = items_of(reviews_reply())
    evidence = items_of(misbehave(reviews_reply(), "swap_evidence"))
    assert [i["aspects"] for i in evidence] == [original[1]["aspects"], original[0]["aspects"]]
    assert [i["echo"] for i in evidence] == [i["echo"] for i in original]
    assert misbehave(reviews_reply(), "confidence_100") is None  # nothing to scale


def test_misbehave_call_level_modes() -> None:
    cut = misbehave(places_reply(), "length")
    assert cut is not None and cut.finish_reason == "length" and ids(cut) == [1]
    empty = misbehave(places_reply(), "empty")
    assert empty == ChatReply(
        function_call={"name": "classify_places", "arguments": {"items": []}}, finish_reason="function_call"
    )
    assert misbehave(places_reply(), "no_call") == ChatReply(content="", finish_reason="stop")
    text = misbehave(places_reply(), "text_json")
    assert text is not None and text.function_call is None and text.finish_reason == "stop"
    assert json.loads(text.content) == places_reply().function_call["arguments"]  # type: ignore[index]
    assert misbehave(places_reply(), "blacklist") == ChatReply(content="", finish_reason="blacklist")


def test_misbehave_does_not_apply() -> None:
    one = function_answer("classify_places", [{"id": 1, "echo": "a", "category": "food", "confidence": 1}])
    for mode in ("permute", "duplicate", "wrong_echo", "swap_evidence"):
        assert misbehave(one, mode) is None, mode
    assert misbehave(ChatReply(content="text"), "shift_ids") is None
    summary = ChatReply(function_call={"name": "summarize_place", "arguments": {"summary": "s"}})
    assert misbehave(summary, "fewer") is None
    assert misbehave(summary, "blacklist") == ChatReply(content="", finish_reason="blacklist")
    with pytest.raises(ValueError):
        misbehave(one, "nonsense")
    assert {m.value for m in Mode} == {
        "shift_ids", "permute", "duplicate", "repeat", "fewer", "out_of_list", "near_miss", "confidence_100",
        "wrong_echo", "swap_evidence", "length", "empty", "no_call", "text_json", "blacklist",
    }  # fmt: skip


def test_misbehave_wrapper_counts_and_filters() -> None:
    model = PlacesModel()
    wrapper = Misbehave(model, "shift_ids", times=2, function="classify_places")
    places = [{"id": 1, "name": "Кафе А"}, {"id": 2, "name": "Бар Б"}]
    assert ids(wrapper(batch_body("describe_places", places))) == [1, 2]  # another function: untouched
    assert wrapper(user_body("hi")) == ChatReply(content="Работает.")
    assert ids(wrapper(batch_body("classify_places", places))) == [2, 3]
    assert ids(wrapper(batch_body("classify_places", places))) == [2, 3]
    assert ids(wrapper(batch_body("classify_places", places))) == [1, 2]  # after `times`: passes through
    assert (wrapper.changed, wrapper.seen) == (2, 5)
    assert model.calls["classify_places"] == 3

    near = Misbehave(model, Mode.NEAR_MISS, times=5)
    spelled = [items_of(near(batch_body("classify_places", places)))[0]["category"] for _ in range(6)]
    assert spelled == ["Еда", "FOOD/CAFE", "food/Cafe ", "cafe", "Кафе", "food/cafe"]

    pair = Misbehave(model, "permute")
    assert ids(pair(batch_body("classify_places", places[:1]))) == [1]  # one item: cannot permute, not counted
    assert ids(pair(batch_body("classify_places", places))) == [2, 1]
    assert pair.changed == 1
    faulty = Misbehave(lambda body: Fault(status=500), "fewer")
    assert faulty(user_body("hi")) == Fault(status=500) and faulty.changed == 0


async def test_misbehave_with_async_inner_through_the_sdk(emu: GigaChatEmulator, make_client: ClientFactory) -> None:
    model = PlacesModel()

    async def inner(body: dict[str, Any]) -> ChatReply | Fault:
        await asyncio.sleep(0)
        return model(body)

    emu.responder = Misbehave(inner, "text_json", function="classify_places")
    data = json.dumps([{"id": 1, "name": "Кафе «Ромашка»"}], ensure_ascii=False)
    client = make_client()
    first = await client.achat(forced_chat(f"Данные:\n{data}"))
    assert first.choices[0].message.function_call is None
    assert json.loads(first.choices[0].message.content)["items"][0]["echo"] == "Кафе «Ромашка»"
    second = await client.achat(forced_chat(f"Данные:\n{data}"))
    call = second.choices[0].message.function_call
    assert call is not None and call.arguments is not None
    assert call.arguments["items"][0]["category"] == "food/cafe"
    assert emu.responder_errors == []
