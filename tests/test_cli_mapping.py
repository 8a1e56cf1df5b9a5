"""`python -m bot mapping` and `python -m bot process` from a terminal, as subprocesses."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import sys
from pathlib import Path

import pytest

from tests.conftest import make_key
from tests.emulators.gigachat import GigaChatEmulator
from tests.workbooks import write_xlsx

pytestmark = pytest.mark.slow  # end-to-end through the emulators or a subprocess


DEMO = Path(__file__).resolve().parents[1] / "examples" / "places_demo.xlsx"


async def cli(cwd: Path, *args: str, extra_env: dict[str, str] | None = None) -> tuple[int, str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIGACHAT_", "BOT_"))}
    env.update(extra_env or {})
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, cwd=cwd, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, stdin=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert b"Traceback" not in out + err, err.decode()
    return proc.returncode or 0, out.decode(), err.decode()


async def test_mapping_json_is_stable(tmp_path: Path) -> None:
    source = write_xlsx(
        tmp_path / "mos.xlsx",
        [["Кафе", "ЦАО", "Тверская, 1", "+7 495 123-45-67", "ежедневно 10:00–22:00", "что-то", "01.03.2024"]],
        ["Name", "AdmArea", "Address", "PublicPhone", "WorkingHours", "Фишка", "Дата открытия"],
        title="data.mos.ru",
    )
    code, plain, _ = await cli(tmp_path, "mapping", str(source), "--offline")
    assert code == 0
    assert "Дата открытия → не импортируется (сохранится как доп. колонка) (это дата)" in plain
    code, out, _ = await cli(tmp_path, "mapping", str(source), "--json", "--offline")
    assert code == 0
    data = json.loads(out)
    assert set(data) == {"sheet", "sheets", "header_row", "rows", "columns"}
    assert (data["sheet"], data["sheets"], data["header_row"], data["rows"]) == ("Места", ["Места"], 3, 1)
    columns = data["columns"]
    assert set(columns[0]) == {"index", "header", "field", "confidence", "method", "kind"}
    assert [c["field"] for c in columns] == ["name", "region", "address", "phone", "working_hours", None, None]
    assert columns[5]["method"] == "none" and columns[0]["index"] == 0
    assert (columns[6]["method"], columns[6]["kind"]) == ("not_ours", "date")  # the rule says why


async def test_mapping_with_gigachat_records_usage(tmp_path: Path, gigachat: GigaChatEmulator) -> None:
    source = write_xlsx(
        tmp_path / "mos.xlsx",
        [["Кафе", "Тверская, 1", "латте на кокосовом"], ["Музей", "Мира, 5", "бесплатно по средам"]],
        ["Name", "Address", "Фишка"],
    )
    database = tmp_path / "cli.sqlite3"
    env = {
        "GIGACHAT_CREDENTIALS": make_key(),
        "GIGACHAT_BASE_URL": gigachat.base_url,
        "GIGACHAT_AUTH_URL": gigachat.auth_url,
        "GIGACHAT_MODEL": "GigaChat-2",
        "DATABASE_PATH": str(database),
    }
    code, _, err = await cli(tmp_path, "mapping", str(source), "--json", extra_env=env)
    assert code == 0, err
    assert gigachat.calls("chat")
    with sqlite3.connect(database) as db:
        rows = db.execute("SELECT purpose, model FROM llm_usage").fetchall()
    assert len(rows) == len(gigachat.calls("chat"))
    assert set(rows) == {("mapping", "GigaChat-2")}


async def test_mapping_errors_are_russian_with_exit_2(tmp_path: Path) -> None:
    fake = tmp_path / "отчёт.xlsx"
    fake.write_bytes(b"%PDF-1.7 this is a pdf")
    code, out, err = await cli(tmp_path, "mapping", str(fake))
    assert code == 2 and out == ""
    assert "PDF" in err
    code, _, err = await cli(tmp_path, "mapping", str(tmp_path / "нет.xlsx"))
    assert code == 2 and "не найден" in err
    empty = write_xlsx(tmp_path / "numbers.xlsx", [[1, 2], [3, 4]], ["1", "2"])
    code, _, err = await cli(tmp_path, "mapping", str(empty), "--offline")
    assert code == 2 and "заголовков" in err
    code, _, err = await cli(tmp_path, "mapping", str(empty), "--sheet", "Нету")
    assert code == 2 and "Листа «Нету» в файле нет" in err


async def test_process_quick_start_works_without_any_key(tmp_path: Path) -> None:
    code, _, err = await cli(tmp_path, "process", str(DEMO), "-o", "out.xlsx", "--jsonl", "out.jsonl")
    assert code == 0, err
    assert "GigaChat не настроен" in err and "Готово: добавлено" in err
    lines = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 11
    assert {line["status"] for line in lines} == {"imported", "duplicate", "skipped"}
    assert (tmp_path / "out.xlsx").stat().st_size > 0
