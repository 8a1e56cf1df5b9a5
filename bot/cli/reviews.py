"""`python -m bot reviews`: one review (--text) or a file of reviews from a terminal."""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from bot import texts
from bot.core.config import Settings
from bot.gigachat.client import CallContext
from bot.reviews.analysis import ReviewAnalysis, ReviewInput
from bot.reviews.format import analysis_lines, plain
from bot.services import open_services


def _write_jsonl(path: Path, analyses: Sequence[ReviewAnalysis]) -> None:
    path.write_text("".join(json.dumps(a.to_json(), ensure_ascii=False) + "\n" for a in analyses), "utf-8")


async def run_reviews(
    settings: Settings,
    *,
    source: Path | None,
    text: str | None,
    offline: bool,
    jsonl: Path | None,
    output: Path | None,
    out: TextIO = sys.stdout,
    err: TextIO = sys.stderr,
) -> int:
    """Analyse a text or a file; print a card or a summary, write the JSONL and the enriched book."""
    async with open_services(settings, offline=offline) as services:
        if text is not None:
            analyser = services.reviews.analyser(CallContext("review_cli"))
            analyses = await analyser.analyse([ReviewInput(text=text)])
            print(plain("\n\n".join(analysis_lines(analyses[0]))), file=out)
            if jsonl is not None:
                await asyncio.to_thread(_write_jsonl, jsonl, analyses)
            return 0
        assert source is not None
        upload = services.reviews.upload_path(source.name)
        await asyncio.to_thread(shutil.copyfile, source, upload)
        job_id = await services.reviews.create_job(upload, file_name=source.name, user_id=0, chat_id=0)

        async def show(done: int, total: int) -> None:
            print(f"\r{done}/{total}", end="", file=err, flush=True)

        outcome = await services.reviews.run_file(job_id, show)
        print(file=err)
        target = output or source.with_name(f"{source.stem}_reviews.xlsx")
        await asyncio.to_thread(shutil.copyfile, outcome.result_path, target)
        if jsonl is not None:
            await asyncio.to_thread(_write_jsonl, jsonl, outcome.analyses)
        v = outcome.verdicts
        print(
            texts.CLI_REVIEWS_DONE.format(
                total=outcome.total, approve=v["approve"], needs_review=v["needs_review"], reject=v["reject"],
                calls=outcome.calls, tokens=outcome.tokens,
            ),
            file=err,
        )  # fmt: skip
        if outcome.llm_note:
            print(outcome.llm_note, file=err)
        print(texts.CLI_WROTE.format(path=target), file=err)
    return 0
