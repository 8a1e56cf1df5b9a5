"""The client as the bot builds it: explicit settings only, causes that are not retried, request ids, usage."""

from __future__ import annotations

import logging
import uuid
from pathlib import Path
from typing import Any

import pytest
import trustme
from gigachat.models import Messages, MessagesRole
from pydantic import BaseModel

from bot.core.config import load_settings
from bot.core.errors import Cause, LLMError
from bot.gigachat.client import CallContext, GigaChatClient, Usage
from bot.gigachat.diagnose import run_diagnose
from bot.gigachat.functions import FunctionSpec
from tests.conftest import SettingsFactory
from tests.emulators.gigachat import GigaChatEmulator, tls_server_context

ENV_TOKEN = "eyJhbGciOiJSU0EtT0FFUC0yNTYifQ.env-token-never-sent"
SDK_ENV = {
    "GIGACHAT_ACCESS_TOKEN": ENV_TOKEN,
    "GIGACHAT_USER": "env-user",
    "GIGACHAT_PASSWORD": "env-password-never-sent",
    "GIGACHAT_PROFANITY_CHECK": "true",
}


class Echo(BaseModel):
    word: str


ECHO = FunctionSpec("echo", "Верни слово.", Echo)


def user(text: str) -> list[Messages]:
    return [Messages(role=MessagesRole.USER, content=text)]


def recording(sink: list[Usage]) -> Any:
    async def record(usage: Usage) -> None:
        sink.append(usage)

    return record


def completion_body(model: str) -> dict[str, Any]:
    """A well-formed chat answer, as a scripted 200 (the emulator itself always echoes the asked model)."""
    return {
        "choices": [{"message": {"role": "assistant", "content": "Работает."}, "index": 0, "finish_reason": "stop"}],
        "created": 1700000000,
        "model": model,
        "object": "chat.completion",
        "usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7},
    }


@pytest.fixture
def sdk_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """The SDK's own GIGACHAT_* variables plus a CA bundle of a CA that signed nothing, verification off."""
    other_ca = tmp_path / "other_ca.pem"
    trustme.CA().cert_pem.write_to_path(str(other_ca))
    for name, value in SDK_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("GIGACHAT_CA_BUNDLE_FILE", str(other_ca))
    monkeypatch.setenv("GIGACHAT_VERIFY_SSL", "false")
    return other_ca


async def test_sdk_variables_in_the_environment_change_nothing(sdk_env: Path, key: str) -> None:
    async with GigaChatEmulator(ssl_context=tls_server_context(trustme.CA())) as tls:
        settings = load_settings(
            env_file=None, gigachat_credentials=key, gigachat_base_url=tls.base_url,
            gigachat_auth_url=tls.auth_url, gigachat_fallback_urls=(), gigachat_timeout=5.0,
        )  # fmt: skip
        assert settings.gigachat_verify_ssl is False and settings.gigachat_ca_bundle_file == sdk_env
        async with GigaChatClient.from_settings(settings) as client:
            answer = await client.complete("x")  # an untrusted certificate: verification is really off
            called = await client.call_function(ECHO, user("скажи слово"))
        assert answer.text == "Работает."
        assert called.arguments == {"word": "тест"}

        [oauth] = tls.calls("oauth")
        our_key = oauth.headers["authorization"] == f"Basic {key}"  # not GIGACHAT_USER/PASSWORD
        assert our_key  # (booleans: a failing assert never prints a secret)
        for chat in tls.calls("chat"):
            oauth_token = chat.headers["authorization"] == f"Bearer {tls.issued_tokens[0]}"
            assert oauth_token
            assert "profanity_check" not in chat.json
        every_header = str([r.headers for r in tls.requests])
        leaked = ENV_TOKEN in every_header or "env-password" in every_header
        assert not leaked


async def test_diagnose_with_verification_off_warns_and_passes(sdk_env: Path, key: str) -> None:
    async with GigaChatEmulator(ssl_context=tls_server_context(trustme.CA())) as tls:
        settings = load_settings(
            env_file=None, gigachat_credentials=key, gigachat_base_url=tls.base_url,
            gigachat_auth_url=tls.auth_url, gigachat_fallback_urls=(), gigachat_timeout=5.0,
        )  # fmt: skip
        report = await run_diagnose(settings)
    checks = {c.id: c for c in report.checks}
    assert report.ok, [c.to_json() for c in report.checks if c.status == "fail"]
    assert checks["ssl"].status == "warn" and checks["ssl"].cause is Cause.SSL_VERIFICATION_DISABLED
    assert "отключена" in checks["ssl"].detail
    assert checks["ca_bundle"].status == "skip"  # the file is not used with verification off
    assert Cause.TLS_UNTRUSTED not in {c.cause for c in report.checks}
    assert {checks[i].status for i in ("oauth", "models", "completion", "functions")} == {"ok"}
    env = checks["env"]
    assert env.status == "warn" and "GIGACHAT_ACCESS_TOKEN" in env.detail and "GIGACHAT_PROFANITY_CHECK" in env.detail
    shown = str(report.to_json())
    leaked = ENV_TOKEN in shown or "env-password" in shown or key in shown
    assert not leaked


async def test_an_answer_the_sdk_cannot_parse_is_unexpected_and_not_retried(
    make_settings: SettingsFactory, gigachat: GigaChatEmulator
) -> None:
    gigachat.fail("chat", 200, body={"something": "else"})  # a 200 that is no chat completion; a retry would pass
    usages: list[Usage] = []
    async with GigaChatClient.from_settings(make_settings(), usage_sink=recording(usages), backoff_base=0.01) as c:
        with pytest.raises(LLMError) as info:
            await c.complete("x")
    assert info.value.cause is Cause.UNEXPECTED and not info.value.retryable
    assert info.value.fix
    assert len(gigachat.calls("chat")) == 1
    assert [u.cause for u in usages] == [Cause.UNEXPECTED]


async def test_too_large_is_its_own_cause_and_not_retried(
    make_settings: SettingsFactory, gigachat: GigaChatEmulator
) -> None:
    gigachat.fail("chat", 413, times=3)
    async with GigaChatClient.from_settings(make_settings(), backoff_base=0.01) as client:
        with pytest.raises(LLMError) as info:
            await client.complete("очень длинный текст")
    assert info.value.cause is Cause.TOO_LARGE and info.value.fix
    assert len(gigachat.calls("chat")) == 1


async def test_model_without_functions_is_its_own_cause(make_settings: SettingsFactory, key: str) -> None:
    async with GigaChatEmulator(no_function_models={"GigaChat"}) as emu:
        settings = make_settings(gigachat_base_url=emu.base_url, gigachat_auth_url=emu.auth_url)
        async with GigaChatClient.from_settings(settings, backoff_base=0.01) as client:
            assert (await client.complete("x")).text == "Работает."
            with pytest.raises(LLMError) as info:
                await client.call_function(ECHO, user("x"))
    assert info.value.cause is Cause.FUNCTIONS_UNSUPPORTED
    assert "GigaChat-2" in (info.value.fix or "")
    assert len(emu.calls("chat")) == 2


async def test_retries_keyword_overrides_the_client_default(
    make_settings: SettingsFactory, gigachat: GigaChatEmulator
) -> None:
    gigachat.fail("chat", 503, times=2)
    async with GigaChatClient.from_settings(make_settings(), backoff_base=0.01) as client:
        with pytest.raises(LLMError) as info:
            await client.complete("x", retries=0)
        assert info.value.cause is Cause.SERVER_ERROR
        assert len(gigachat.calls("chat")) == 1
        answer = await client.call_function(ECHO, user("x"))  # the default retries: one more 503, then an answer
    assert answer.arguments == {"word": "тест"}
    assert len(gigachat.calls("chat")) == 3


async def test_a_failed_call_logs_its_request_id_and_never_a_secret(
    make_settings: SettingsFactory, gigachat: GigaChatEmulator, key: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    usages: list[Usage] = []
    async with GigaChatClient.from_settings(make_settings(), usage_sink=recording(usages)) as client:
        await client.complete("first")
        gigachat.fail("chat", 400)
        with pytest.raises(LLMError):
            await client.complete("second")
    first, second = gigachat.calls("chat")
    sent = [first.headers["x-request-id"], second.headers["x-request-id"]]
    assert len(set(sent)) == 2 and all(uuid.UUID(s) for s in sent)  # our own id per call
    assert gigachat.failed_request_ids == [sent[1]]
    failures = [
        r.getMessage() for r in caplog.records if r.name == "bot.gigachat.client" and r.levelno >= logging.WARNING
    ]
    assert any(sent[1] in line for line in failures), failures
    assert [u.request_id for u in usages] == sent
    leaked = [secret in caplog.text for secret in (key, key[4:-4], *gigachat.issued_tokens)]
    assert not any(leaked)


async def test_usage_carries_the_configured_model_name(
    make_settings: SettingsFactory, gigachat: GigaChatEmulator
) -> None:
    gigachat.fail("chat", 200, body=completion_body("GigaChat:1.0.26.20"))  # the build-suffixed name of the answer
    settings = make_settings(gigachat_model="GigaChat")
    usages: list[Usage] = []
    async with GigaChatClient.from_settings(settings, usage_sink=recording(usages)) as client:
        first = await client.complete("x")
        await client.call_function(ECHO, user("x"))
        gigachat.fail("chat", 429, headers={"Retry-After": "0"})
        with pytest.raises(LLMError):
            await client.complete("x", retries=0)
    assert first.text == "Работает."
    assert [u.cause for u in usages] == [None, None, Cause.RATE_LIMITED]
    assert {u.model for u in usages} == {"GigaChat"}


async def test_one_session_reports_precached_tokens(make_settings: SettingsFactory, gigachat: GigaChatEmulator) -> None:
    usages: list[Usage] = []
    context = CallContext("test", session="job-1")
    async with GigaChatClient.from_settings(make_settings(), usage_sink=recording(usages)) as client:
        await client.call_function(ECHO, user("первый"), context=context)
        await client.call_function(ECHO, user("второй"), context=context)
    assert [r.session_id for r in gigachat.calls("chat")] == ["job-1", "job-1"]
    assert usages[0].precached_tokens == 0
    assert 0 < usages[1].precached_tokens < usages[1].prompt_tokens
