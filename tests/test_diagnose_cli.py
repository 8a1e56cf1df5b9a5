"""`python -m bot diagnose` end to end, as a subprocess, against the GigaChat emulator."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import trustme

from tests.conftest import make_key
from tests.emulators.gigachat import GigaChatEmulator, tls_server_context

pytestmark = pytest.mark.slow  # end-to-end through the emulators or a subprocess


CLIENT_ID = "019a86cb-584a-7bbd-8527-d6f4b400bfe7"


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str

    @property
    def report(self) -> dict[str, Any]:
        return json.loads(self.stdout)  # type: ignore[no-any-return]

    def check(self, check_id: str) -> dict[str, Any]:
        return next(c for c in self.report["checks"] if c["id"] == check_id)

    def causes(self) -> set[str]:
        return {c["cause"] for c in self.report["checks"] if c["cause"]}


async def diagnose(cwd: Path, env: dict[str, str], *args: str) -> Run:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("GIGACHAT_", "BOT_"))}
    base.update({"GIGACHAT_FALLBACK_URLS": "", "GIGACHAT_TIMEOUT": "5"})
    base.update(env)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "diagnose",
        *args,
        cwd=cwd,
        env=base,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    run = Run(proc.returncode or 0, out.decode(), err.decode())
    assert "Traceback" not in run.stdout + run.stderr, run.stderr
    return run


def emulator_env(emu: GigaChatEmulator, key: str, **extra: str) -> dict[str, str]:
    return {
        "GIGACHAT_CREDENTIALS": key,
        "GIGACHAT_BASE_URL": emu.base_url,
        "GIGACHAT_AUTH_URL": emu.auth_url,
        **extra,
    }


def assert_no_secret(run: Run, secret: str) -> None:
    text = run.stdout + run.stderr
    assert secret not in text
    assert secret[4:-4] not in text


async def test_fresh_clone_without_env_explains_and_exits_1(tmp_path: Path) -> None:
    run = await diagnose(tmp_path, {}, "--offline")
    assert run.code == 1
    assert "Что исправить" in run.stdout
    assert "GIGACHAT_CREDENTIALS" in run.stdout
    assert "❌ Ключ GigaChat" in run.stdout


async def test_working_setup_is_all_green(tmp_path: Path, gigachat: GigaChatEmulator) -> None:
    key = make_key()
    run = await diagnose(tmp_path, emulator_env(gigachat, key), "--json")
    assert run.code == 0, run.stdout
    report = run.report
    assert report["ok"] is True
    assert report["credentials"]["form"] == "authorization_key"
    assert report["credentials"]["source"] == "GIGACHAT_CREDENTIALS"
    statuses = {c["id"]: c["status"] for c in report["checks"]}
    assert {statuses[i] for i in ("oauth", "models", "completion", "functions", "balance")} == {"ok"}
    assert set(report["checks"][0]) == {"id", "status", "title", "detail", "fix", "cause"}
    assert_no_secret(run, key)
    text, ping = gigachat.calls("chat")
    assert "functions" not in text.json
    assert ping.json["function_call"] == {"name": "ping"}
    assert [f["name"] for f in ping.json["functions"]] == ["ping"]


async def test_human_report_of_a_working_setup(tmp_path: Path, gigachat: GigaChatEmulator) -> None:
    key = make_key()
    run = await diagnose(tmp_path, emulator_env(gigachat, key))
    assert run.code == 0
    assert "✅ Токен (OAuth)" in run.stdout
    assert "GigaChat готов к работе" in run.stdout
    assert_no_secret(run, key)


async def test_dotenv_file_is_read(tmp_path: Path, gigachat: GigaChatEmulator) -> None:
    key = make_key()
    lines = [f"{k}={v}" for k, v in emulator_env(gigachat, key).items()]
    (tmp_path / ".env").write_text("\n".join(lines) + "\n", encoding="utf-8")
    run = await diagnose(tmp_path, {}, "--json")
    assert run.code == 0
    assert run.report["credentials"]["form"] == "authorization_key"


@pytest.mark.parametrize(
    ("env", "form", "cause"),
    [
        ({"GIGACHAT_API_KEY": CLIENT_ID}, "client_id_only", "client_id_only"),
        (
            {"GIGACHAT_CREDENTIALS": "eyJhbGciOiJSU0EtT0FFUC0yNTYifQ.aaaa.bbbb.cccc.dddd"},
            "access_token",
            "access_token_as_key",
        ),
        ({"GIGACHAT_CREDENTIALS": make_key()[:-20] + "ж" + "A" * 19}, "invalid", "invalid_key_format"),
        ({}, "missing", "missing_credentials"),
    ],
)
async def test_unusable_keys_fail_offline(tmp_path: Path, env: dict[str, str], form: str, cause: str) -> None:
    run = await diagnose(tmp_path, env, "--offline", "--json")
    assert run.code == 1
    assert run.report["credentials"]["form"] == form
    assert run.check("credentials")["cause"] == cause
    assert run.check("credentials")["fix"]


async def test_client_id_mismatch_is_a_warning_only(tmp_path: Path) -> None:
    env = {"GIGACHAT_CLIENT_ID": CLIENT_ID, "GIGACHAT_CLIENT_SECRET": make_key()}
    run = await diagnose(tmp_path, env, "--offline", "--json")
    assert run.code == 0
    assert run.report["credentials"]["form"] == "id_and_key"
    assert run.check("client_id")["status"] == "warn"
    assert run.check("client_id")["cause"] == "client_id_mismatch"


async def test_unencoded_pair_is_ok_offline(tmp_path: Path) -> None:
    env = {"GIGACHAT_CREDENTIALS": f"{CLIENT_ID}:{CLIENT_ID}"}
    run = await diagnose(tmp_path, env, "--offline", "--json")
    assert run.code == 0
    assert run.report["credentials"]["form"] == "uuid_pair"
    assert CLIENT_ID not in run.stdout


async def test_bad_scope(tmp_path: Path) -> None:
    run = await diagnose(
        tmp_path, {"GIGACHAT_CREDENTIALS": make_key(), "GIGACHAT_SCOPE": "GIGACHAT_API_FREE"}, "--json"
    )
    assert run.code == 1
    assert run.check("scope")["cause"] == "bad_scope"
    assert run.check("oauth")["status"] == "skip"


async def test_rejected_key(tmp_path: Path) -> None:
    async with GigaChatEmulator(valid_keys={make_key(): "GIGACHAT_API_PERS"}) as emu:
        key = make_key()
        run = await diagnose(tmp_path, emulator_env(emu, key), "--json")
    assert run.code == 1
    assert run.check("oauth")["cause"] == "auth_rejected"
    assert run.check("models")["status"] == "skip"
    assert_no_secret(run, key)


async def test_scope_mismatch(tmp_path: Path) -> None:
    key = make_key()
    async with GigaChatEmulator(valid_keys={key: "GIGACHAT_API_B2B"}) as emu:
        run = await diagnose(tmp_path, emulator_env(emu, key), "--json")
    assert run.code == 1
    assert run.check("oauth")["cause"] == "scope_mismatch"
    assert "GIGACHAT_API_B2B" in run.check("oauth")["fix"]


@pytest.mark.parametrize(
    ("script", "check_id", "cause"),
    [
        (lambda e: e.oauth_error(4), "oauth", "key_undecodable"),
        (lambda e: e.fail("models", 500), "models", "server_error"),
        (lambda e: e.fail("models", 403), "models", "forbidden"),
        (lambda e: e.fail("chat", 402), "completion", "payment_required"),
        (lambda e: e.rate_limit("chat", retry_after=30), "completion", "rate_limited"),
    ],
)
async def test_scripted_faults_become_causes(
    tmp_path: Path, gigachat: GigaChatEmulator, script: Any, check_id: str, cause: str
) -> None:
    script(gigachat)
    run = await diagnose(tmp_path, emulator_env(gigachat, make_key()), "--json")
    assert run.code == 1
    assert run.check(check_id)["status"] == "fail"
    assert run.check(check_id)["cause"] == cause
    assert run.check(check_id)["fix"]


async def test_rate_limit_is_not_retried_and_advises_one_stream(tmp_path: Path, gigachat: GigaChatEmulator) -> None:
    gigachat.rate_limit("chat", retry_after=30)
    run = await diagnose(tmp_path, emulator_env(gigachat, make_key()))
    assert run.code == 1
    assert len(gigachat.calls("chat")) == 1
    assert "второй копии" in run.stdout or "вторая копия" in run.stdout


async def test_timeout(tmp_path: Path, gigachat: GigaChatEmulator) -> None:
    gigachat.slow("oauth", 3.0)
    run = await diagnose(tmp_path, emulator_env(gigachat, make_key(), GIGACHAT_TIMEOUT="0.5"), "--json")
    assert run.code == 1
    assert run.check("oauth")["cause"] == "timeout"


async def test_unknown_model_lists_the_available_ones(tmp_path: Path, gigachat: GigaChatEmulator) -> None:
    run = await diagnose(tmp_path, emulator_env(gigachat, make_key(), GIGACHAT_MODEL="GigaChat-Ultra"), "--json")
    assert run.code == 1
    models = run.check("models")
    assert models["cause"] == "model_not_found"
    assert "GigaChat-2-Max" in models["detail"]
    assert run.check("completion")["status"] == "skip"


async def test_postpaid_balance_is_not_applicable(tmp_path: Path) -> None:
    async with GigaChatEmulator(postpaid=True) as emu:
        run = await diagnose(tmp_path, emulator_env(emu, make_key(), GIGACHAT_SCOPE="GIGACHAT_API_CORP"), "--json")
    assert run.code == 0
    assert run.check("balance")["status"] == "skip"


async def test_network_failure_on_the_api_host_tries_the_other_host(tmp_path: Path, gigachat: GigaChatEmulator) -> None:
    env = emulator_env(
        gigachat,
        make_key(),
        GIGACHAT_BASE_URL="http://127.0.0.1:9/api/v1",
        GIGACHAT_FALLBACK_URLS=gigachat.base_url,
    )
    run = await diagnose(tmp_path, env, "--json")
    assert run.code == 1
    assert run.check("models")["cause"] == "network"
    fallback = run.check("fallback_host")
    assert fallback["status"] == "warn"
    assert gigachat.base_url in fallback["fix"]


async def test_network_failure_on_oauth(tmp_path: Path, gigachat: GigaChatEmulator) -> None:
    env = emulator_env(gigachat, make_key(), GIGACHAT_AUTH_URL="http://127.0.0.1:9/api/v2/oauth")
    run = await diagnose(tmp_path, env, "--json")
    assert run.code == 1
    assert run.check("oauth")["cause"] == "network"


async def test_untrusted_certificate_then_fixed_with_a_ca_bundle(tmp_path: Path) -> None:
    ca = trustme.CA()
    async with GigaChatEmulator(ssl_context=tls_server_context(ca)) as emu:
        key = make_key()
        run = await diagnose(tmp_path, emulator_env(emu, key), "--json")
        assert run.code == 1
        assert run.check("oauth")["cause"] == "tls_untrusted"
        assert "GIGACHAT_CA_BUNDLE_FILE" in run.check("oauth")["fix"]

        ca_file = tmp_path / "russian_trusted_root_ca.pem"
        ca.cert_pem.write_to_path(str(ca_file))
        fixed = await diagnose(tmp_path, emulator_env(emu, key, GIGACHAT_CA_BUNDLE_FILE=str(ca_file)), "--json")
        assert fixed.code == 0, fixed.stdout
        assert fixed.check("ca_bundle")["status"] == "ok"

        unverified = await diagnose(tmp_path, emulator_env(emu, key, GIGACHAT_VERIFY_SSL="false"), "--json")
        assert unverified.code == 0
        assert unverified.check("ssl")["cause"] == "ssl_verification_disabled"
        assert unverified.check("ssl")["status"] == "warn"


async def test_missing_or_broken_ca_file(tmp_path: Path) -> None:
    broken = tmp_path / "ca.pem"
    broken.write_text("not a certificate", encoding="utf-8")
    for path in (tmp_path / "nope.pem", broken):
        run = await diagnose(
            tmp_path,
            {"GIGACHAT_CREDENTIALS": make_key(), "GIGACHAT_CA_BUNDLE_FILE": str(path)},
            "--offline",
            "--json",
        )
        assert run.code == 1
        assert run.check("ca_bundle")["cause"] == "tls_untrusted"


async def test_bad_setting_is_one_russian_line(tmp_path: Path) -> None:
    run = await diagnose(tmp_path, {"GIGACHAT_TIMEOUT": "быстро"}, "--offline")
    assert run.code == 2
    assert "GIGACHAT_TIMEOUT" in run.stderr
    assert "секунд" in run.stderr


async def test_model_without_functions_fails_the_function_check(tmp_path: Path) -> None:
    async with GigaChatEmulator(no_function_models={"GigaChat"}) as emu:
        run = await diagnose(tmp_path, emulator_env(emu, make_key()), "--json")
        human = await diagnose(tmp_path, emulator_env(emu, make_key()))
    assert run.code == 1
    assert run.check("completion")["status"] == "ok"
    functions = run.check("functions")
    assert (functions["status"], functions["cause"]) == ("fail", "functions_unsupported")
    assert "GigaChat-2" in functions["fix"]
    assert "❌ Вызов функций" in human.stdout and "GIGACHAT_MODEL" in human.stdout


async def test_a_text_answer_instead_of_a_function_call_is_a_warning(
    tmp_path: Path, gigachat: GigaChatEmulator
) -> None:
    gigachat.reply(content="Работает.", times=2)  # the text check, then the function check
    run = await diagnose(tmp_path, emulator_env(gigachat, make_key()), "--json")
    assert run.code == 0
    functions = run.check("functions")
    assert (functions["status"], functions["cause"]) == ("warn", "functions_unsupported")


async def test_embeddings_model_fails_before_any_chat(tmp_path: Path, gigachat: GigaChatEmulator) -> None:
    offline = await diagnose(
        tmp_path, {"GIGACHAT_CREDENTIALS": make_key(), "GIGACHAT_MODEL": "Embeddings"}, "--offline", "--json"
    )
    assert offline.code == 1
    assert offline.check("model")["cause"] == "embeddings_model"

    run = await diagnose(tmp_path, emulator_env(gigachat, make_key(), GIGACHAT_MODEL="Embeddings"), "--json")
    assert run.code == 1
    assert run.check("models")["cause"] == "embeddings_model"
    assert run.check("completion")["status"] == run.check("functions")["status"] == "skip"
    assert "эмбеддингов" in run.check("completion")["detail"]
    assert gigachat.calls("chat") == []


async def test_sdk_variables_are_ignored_and_verification_off_only_warns(tmp_path: Path) -> None:
    other_ca = tmp_path / "other_ca.pem"
    trustme.CA().cert_pem.write_to_path(str(other_ca))  # a CA that signed nothing the emulator shows
    sdk = {
        "GIGACHAT_ACCESS_TOKEN": "env-access-token-value",
        "GIGACHAT_USER": "env-user",
        "GIGACHAT_PASSWORD": "env-password-value",
        "GIGACHAT_PROFANITY_CHECK": "true",
    }
    async with GigaChatEmulator(ssl_context=tls_server_context(trustme.CA())) as emu:
        env = emulator_env(emu, make_key(), GIGACHAT_CA_BUNDLE_FILE=str(other_ca), GIGACHAT_VERIFY_SSL="false", **sdk)
        run = await diagnose(tmp_path, env, "--json")
        assert all("profanity_check" not in c.json for c in emu.calls("chat"))
    assert run.code == 0, run.stdout
    assert (run.check("ssl")["status"], run.check("ssl")["cause"]) == ("warn", "ssl_verification_disabled")
    assert "tls_untrusted" not in run.causes()
    assert run.check("functions")["status"] == "ok"
    ignored = run.check("env")
    assert ignored["status"] == "warn"
    assert all(name in ignored["detail"] for name in sdk)
    leaked = "env-access-token-value" in run.stdout + run.stderr or "env-password-value" in run.stdout + run.stderr
    assert not leaked
