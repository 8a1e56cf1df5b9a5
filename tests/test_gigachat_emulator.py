"""Tests of the GigaChat emulator, driven through the real ``gigachat`` SDK."""

from __future__ import annotations

import asyncio
import base64
import json
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import trustme
from gigachat import GigaChat
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

from tests.emulators.gigachat import (
    DEFAULT_TEXT_ANSWER,
    ChatReply,
    Fault,
    GigaChatEmulator,
    estimate_tokens,
    example_from_schema,
    tls_server_context,
)

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
