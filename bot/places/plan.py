"""The import of a places file: planning (sheet, header, column mapping) and, later, the job itself."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from bot import texts
from bot.core.config import Settings
from bot.core.errors import UserFacingError
from bot.core.files import file_sha256
from bot.core.text import normalize_header
from bot.gigachat.batch import BatchAsker, BatchOutcome, BatchTask, GigaChatGate, ItemRejected, confidence
from bot.gigachat.client import CallContext, GigaChatClient
from bot.gigachat.functions import FunctionSpec
from bot.places.fields import FIELDS, MULTI_FIELDS
from bot.places.layout import Layout, detect_layout, header_signature
from bot.places.mapping import (
    ColumnMapping,
    apply_llm_answer,
    map_by_headers,
    map_by_values,
    needs_llm,
    sample_values,
)
from bot.sheets import Workbook, open_workbook
from bot.storage.db import Database, JobRow

log = logging.getLogger(__name__)

HEAD_ROWS = 30
SAMPLE_ROWS = 50


class NoHeaderError(UserFacingError):
    """No sheet of the workbook has a recognisable header row."""


@dataclass
class Plan:
    """What the bot found in a file and how its columns map to our fields."""

    file_name: str
    sheet: str
    sheets: list[str]
    layout: Layout
    rows: int
    columns: list[ColumnMapping]
    llm_note: str | None = None
    samples: list[list[Any]] = field(default_factory=list, repr=False)

    @property
    def header_row(self) -> int:
        """The (last) header row, 1-based as Excel shows it."""
        return self.layout.header_row

    @property
    def signature(self) -> str:
        """The header fingerprint used to remember the mapping."""
        return header_signature(self.layout.headers)

    @property
    def confident(self) -> bool:
        """True when every column matched exactly or from memory and there is a name column."""
        return all(c.method in ("exact", "alias", "memory") for c in self.columns) and self.has_name

    @property
    def has_name(self) -> bool:
        """True when some column feeds the required `name` field."""
        return any(c.field == "name" for c in self.columns)

    def to_json(self) -> dict[str, Any]:
        """The stable JSON of `python -m bot mapping --json`."""
        return {
            "sheet": self.sheet,
            "sheets": self.sheets,
            "header_row": self.header_row,
            "rows": self.rows,
            "columns": [c.to_json() for c in self.columns],
        }

    def dump(self) -> str:
        """Serialise for the job row."""
        data = self.to_json() | {
            "file_name": self.file_name,
            "layout": self.layout.to_json(),
            "llm_note": self.llm_note,
        }
        data["samples"] = self.samples[:10]
        return json.dumps(data, ensure_ascii=False, default=str)

    @classmethod
    def load(cls, raw: str) -> Plan:
        """Read back what `dump` wrote."""
        data = json.loads(raw)
        columns = [
            ColumnMapping(c["index"], c["header"], c["field"], c["confidence"], c["method"], kind=c.get("kind"))
            for c in data["columns"]
        ]
        return cls(
            data["file_name"], data["sheet"], data["sheets"], Layout(**data["layout"]), data["rows"], columns,
            data.get("llm_note"), data.get("samples", []),
        )  # fmt: skip

    def set_field(self, index: int, field_name: str | None) -> None:
        """The user chose a field for a column (None: do not import, keep as an extra column)."""
        if field_name is not None and field_name not in FIELDS:
            raise ValueError(field_name)
        for column in self.columns:
            if column.index == index:
                column.field, column.method, column.confidence = field_name, "memory", 1.0
            elif field_name and column.field == field_name and field_name not in MULTI_FIELDS:
                column.field, column.method, column.confidence = None, "none", 0.0


# --- reading (synchronous, run in a thread) ------------------------------------------------------


@dataclass
class _SheetScan:
    name: str
    layout: Layout
    score: float


def _scan_sheet(workbook: Workbook, name: str) -> _SheetScan | None:
    head = workbook.head(name, HEAD_ROWS)
    layout = detect_layout(head, workbook.merged_ranges(name))
    if layout is None:
        return None
    columns = map_by_headers(layout.headers, layout.alternatives)
    mapped = sum(1 for c in columns if c.field)
    score = mapped + (3 if any(c.field == "name" for c in columns) else 0) + 0.01 * len(head)
    return _SheetScan(name, layout, score)


def _choose_sheet(workbook: Workbook, wanted: str | None) -> _SheetScan:
    visible = [s.name for s in workbook.visible_sheets()]
    if wanted is not None:
        matches = [n for n in visible if n == wanted or n.lower() == wanted.strip().lower()]
        if not matches and wanted.isdigit() and 1 <= int(wanted) <= len(visible):
            matches = [visible[int(wanted) - 1]]
        if not matches:
            raise UserFacingError(texts.SHEET_NOT_FOUND.format(sheet=wanted, sheets=", ".join(visible)))
        scan = _scan_sheet(workbook, matches[0])
        if scan is None:
            raise NoHeaderError(texts.NO_HEADER_SHEET.format(sheet=matches[0]))
        return scan
    scans = [s for s in (_scan_sheet(workbook, n) for n in visible) if s is not None]
    if not scans:
        raise NoHeaderError(texts.NO_HEADER)
    return max(scans, key=lambda s: s.score)


def _count_and_sample(workbook: Workbook, sheet: str, data_start: int) -> tuple[int, list[list[Any]]]:
    rows, samples = workbook.count_and_sample(sheet, data_start, SAMPLE_ROWS)
    return rows, [list(values) for values in samples]


def read_plan_inputs(
    path: Path, *, original_name: str, sheet: str | None, max_bytes: int, max_rows: int
) -> tuple[list[str], _SheetScan, int, list[list[Any]]]:
    """Open the file, pick the sheet, find the header, count rows and take samples."""
    with open_workbook(path, max_bytes=max_bytes, max_rows=max_rows, original_name=original_name) as workbook:
        scan = _choose_sheet(workbook, sheet)
        rows, samples = _count_and_sample(workbook, scan.name, scan.layout.data_start)
        visible = [s.name for s in workbook.visible_sheets()]
    return visible, scan, rows, samples


# --- planning -------------------------------------------------------------------------------------


class _ColumnItem(BaseModel):
    id: int = Field(description="id колонки из данных")
    echo: str = Field(description="заголовок колонки из данных, дословно")
    field: str = Field(description="поле каталога или none", json_schema_extra={"enum": [*FIELDS, "none"]})
    confidence: float = Field(description="уверенность от 0 до 1")


class _ColumnAnswer(BaseModel):
    items: list[_ColumnItem] = Field(description="ровно один элемент на каждый id из данных")


MAPPING_SPEC = FunctionSpec(
    "map_columns", "Сопоставляет каждую колонку таблицы из данных с полем каталога мест.", _ColumnAnswer
)
_FIELD_BY_LABEL = {normalize_header(label): key for key, label in texts.FIELD_LABELS.items()}


def _check_column(
    item: dict[str, Any], _source: Mapping[str, Any], _batch: Sequence[Mapping[str, Any]]
) -> tuple[str | None, float]:
    value = item.get("field")
    found = None
    if isinstance(value, str):
        key = value.strip().lower()
        found = key if key in FIELDS or key == "none" else _FIELD_BY_LABEL.get(normalize_header(value))
    if found is None:
        raise ItemRejected(f"field {value!r} is not in the list")
    return (None if found == "none" else found), confidence(item.get("confidence"))


async def plan_file(
    path: Path,
    *,
    original_name: str,
    settings: Settings,
    db: Database,
    llm: GigaChatClient | None,
    user_id: int = 0,
    sheet: str | None = None,
    job_id: int | None = None,
) -> Plan:
    """Read a file and propose a mapping: headers, memory, fuzzy, values, then GigaChat for the rest."""
    visible, scan, rows, samples = await asyncio.to_thread(
        read_plan_inputs,
        path,
        original_name=original_name,
        sheet=sheet,
        max_bytes=settings.max_file_mb * 1024 * 1024,
        max_rows=settings.max_rows,
    )
    layout = scan.layout
    plan = Plan(original_name, scan.name, visible, layout, rows, [], samples=samples)
    remembered = await db.memory.recall_mapping(plan.signature, user_id)
    if remembered is not None:
        plan.columns = _from_memory(layout.headers, json.loads(remembered))
        return plan
    header_memory = await db.memory.recall_headers([normalize_header(h) for h in layout.headers])
    plan.columns = map_by_headers(layout.headers, layout.alternatives, header_memory)
    map_by_values(plan.columns, samples)
    if needs_llm(plan.columns):
        plan.llm_note = await _ask_llm(plan, llm, CallContext("mapping", user_id, job_id))
    return plan


def _from_memory(headers: list[str], fields: list[str | None]) -> list[ColumnMapping]:
    return [ColumnMapping(i, h, fields[i] if i < len(fields) else None, 1.0, "memory") for i, h in enumerate(headers)]


async def _ask_llm(plan: Plan, llm: GigaChatClient | None, context: CallContext) -> str | None:
    """The GigaChat tier: one call with the undecided headers and a few sample values of each."""
    if llm is None:
        return texts.MAPPING_WITHOUT_LLM
    decided = [f"«{c.header}» — {c.field}" for c in plan.columns if c.method != "none" and c.field]
    instruction = texts.MAPPING_PROMPT.format(
        fields=texts.FIELD_HELP, decided="; ".join(decided) or texts.MAPPING_NOTHING_DECIDED
    )
    task = BatchTask(MAPPING_SPEC, texts.DATA_NOT_INSTRUCTIONS, instruction, _check_column, 30, echo_field="header")
    inputs = {
        c.index: {"header": c.header, "samples": "; ".join(sample_values(plan.samples, c.index)) or "пусто"}
        for c in plan.columns
        if c.method == "none"
    }
    gate = GigaChatGate(llm)
    asker: BatchAsker[int, tuple[str | None, float]] = BatchAsker(gate, task, context)
    outcome: BatchOutcome[int, tuple[str | None, float]] = await asker.run(inputs, len(inputs) or 1)
    apply_llm_answer(plan.columns, outcome.results)
    if outcome.failed and gate.last_error is not None:
        log.info("mapping without GigaChat: %s", gate.last_error.cause.value)
        return texts.MAPPING_LLM_FAILED.format(reason=gate.last_error.message)
    if outcome.unhelped:
        return texts.MAPPING_LLM_UNHELPED
    return None


async def remember_plan(db: Database, plan: Plan, user_id: int) -> None:
    """A confirmed mapping: the same headers next time map without questions."""
    fields = [c.field for c in sorted(plan.columns, key=lambda c: c.index)]
    await db.memory.remember_mapping(plan.signature, user_id, json.dumps(fields))
    await db.memory.remember_headers(
        {normalize_header(c.header): c.field for c in plan.columns if not c.header.startswith("Колонка ")}
    )


# --- the upload flow behind the bot and the CLI ----------------------------------------------------


class ImportService:
    """Uploads of places files: receive, plan, let the user correct the mapping, confirm or cancel."""

    def __init__(self, settings: Settings, db: Database, llm: GigaChatClient | None) -> None:
        self.settings = settings
        self.db = db
        self.llm = llm
        self.uploads = settings.database_path.parent / "uploads"

    def upload_path(self, file_name: str) -> Path:
        """Where to download a new upload (a fresh name, the user's extension)."""
        self.uploads.mkdir(parents=True, exist_ok=True)
        return self.uploads / f"{uuid.uuid4().hex}{Path(file_name).suffix.lower()}"

    async def receive(self, path: Path, *, file_name: str, user_id: int, chat_id: int) -> tuple[int, Plan]:
        """Register a downloaded file and plan its import; a bad file is explained and removed."""
        sha = await asyncio.to_thread(file_sha256, path)
        job_id = await self.db.jobs.create_job(
            kind="places", user_id=user_id, chat_id=chat_id, file_name=file_name,
            file_path=str(path), sha256=sha, status="mapping",
        )  # fmt: skip
        try:
            plan = await plan_file(
                path, original_name=file_name, settings=self.settings, db=self.db, llm=self.llm,
                user_id=user_id, job_id=job_id,
            )  # fmt: skip
        except UserFacingError as error:
            await self.db.jobs.update_job(job_id, status="rejected", error=error.message)
            await asyncio.to_thread(path.unlink, missing_ok=True)
            raise
        await self.db.jobs.update_job(job_id, plan=plan.dump(), sheet=plan.sheet, total=plan.rows)
        return job_id, plan

    async def previous_result(self, job_id: int) -> JobRow | None:
        """A finished import of the same file contents, if there was one."""
        job = await self.db.jobs.get_job(job_id)
        if job is None:
            return None
        previous = await self.db.jobs.last_done_job_for(job.sha256)
        return previous if previous is not None and previous.id != job_id else None

    async def load(self, job_id: int, user_id: int, *, is_admin: bool = False) -> Plan:
        """Return the plan of an upload still waiting for its mapping to be confirmed."""
        job = await self.db.jobs.get_job(job_id)
        if job is None or job.status != "mapping" or job.plan is None:
            raise UserFacingError(texts.MAPPING_GONE)
        if job.user_id != user_id and not is_admin:
            raise UserFacingError(texts.MAPPING_NOT_YOURS)
        return Plan.load(job.plan)

    async def set_field(self, job_id: int, user_id: int, index: int, field_name: str | None, **kw: bool) -> Plan:
        """The user changed one column."""
        plan = await self.load(job_id, user_id, **kw)
        plan.set_field(index, field_name)
        await self.db.jobs.update_job(job_id, plan=plan.dump())
        return plan

    async def use_sheet(self, job_id: int, user_id: int, sheet: str, **kw: bool) -> Plan:
        """Plan again on another sheet."""
        await self.load(job_id, user_id, **kw)
        job = await self.db.jobs.get_job(job_id)
        assert job is not None
        plan = await plan_file(
            Path(job.file_path), original_name=job.file_name, settings=self.settings, db=self.db,
            llm=self.llm, user_id=user_id, sheet=sheet, job_id=job_id,
        )  # fmt: skip
        await self.db.jobs.update_job(job_id, plan=plan.dump(), sheet=plan.sheet, total=plan.rows)
        return plan

    async def confirm(self, job_id: int, user_id: int, **kw: bool) -> Plan:
        """Remember the mapping and mark the file ready to import."""
        plan = await self.load(job_id, user_id, **kw)
        if not plan.has_name:
            raise UserFacingError(texts.MAPPING_NO_NAME)
        await remember_plan(self.db, plan, user_id)
        await self.db.jobs.update_job(job_id, status="ready")
        return plan

    async def cancel(self, job_id: int, user_id: int, **kw: bool) -> None:
        """Drop an upload and its file."""
        await self.load(job_id, user_id, **kw)
        job = await self.db.jobs.get_job(job_id)
        assert job is not None
        await asyncio.to_thread(Path(job.file_path).unlink, missing_ok=True)
        await self.db.jobs.update_job(job_id, status="cancelled")
