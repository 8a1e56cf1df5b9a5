"""Benchmark: GigaChat calls, tokens and wall time per 1 000 reviews, against the emulator.

The real `gigachat` SDK talks HTTP to the GigaChat emulator, which answers every call after a fixed
latency with the stand-in reviews model. A file of N reviews (some of them clear-cut rejects) runs
through the same service the bot uses, then runs again on the same database.

Targets (from the issue): calls ≤ ⌈reviews / 10⌉ + 2; the re-run makes 0 calls. Wall time is shown
against calls × latency (one stream: a personal key).

    python -m bench.reviews                      # 1 000 reviews, 0.2 s latency
    python -m bench.reviews --reviews 3000 --latency 0.5

Not a test: prints figures and PASS/FAIL; exits 1 only when a target is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import math
import shutil
import tempfile
import time
import uuid
from pathlib import Path

from bot.core.config import load_settings
from bot.gigachat.client import GigaChatClient
from bot.reviews.service import ReviewService
from bot.services import usage_recorder
from bot.storage.db import Database
from tests.emulators.gigachat import GigaChatEmulator
from tests.emulators.reviews_model import PLACES, ReviewsModel, sample_reviews

BAD = (
    "Официант х*й знает что принёс",
    "Звоните 8 912 345 67 89, скидки",
    "Промокод FOOD10 на доставку",
)


def write_reviews(path: Path, count: int) -> None:
    """A CSV of `count` reviews: place, text, rating; every 25th is a clear-cut reject."""
    texts = sample_reviews(count)
    for n in range(0, count, 25):
        texts[n] = f"{BAD[(n // 25) % len(BAD)]} (№{n})"
    lines = ["Место;Отзыв;Оценка"] + [f'"{PLACES[n % len(PLACES)]}";"{t}";{1 + n % 5}' for n, t in enumerate(texts)]
    path.write_text("\n".join(lines), "utf-8")


async def run_once(service: ReviewService, source: Path) -> tuple[int, int, float]:
    """(calls, tokens, seconds) of one run of the file."""
    upload = service.upload_path(source.name)
    await asyncio.to_thread(shutil.copyfile, source, upload)
    job_id = await service.create_job(upload, file_name=source.name, user_id=0, chat_id=0)
    started = time.monotonic()
    outcome = await service.run_file(job_id)
    return outcome.calls, outcome.tokens, time.monotonic() - started


async def bench(reviews: int, latency: float) -> bool:
    """Run the benchmark; print the figures; return True when every target is met."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        source = root / "reviews.csv"
        write_reviews(source, reviews)
        async with GigaChatEmulator(latency=latency) as gigachat:
            gigachat.responder = ReviewsModel()
            key = base64.b64encode(f"{uuid.uuid4()}:{uuid.uuid4()}".encode()).decode()
            settings = load_settings(
                env_file=None, gigachat_credentials=key, gigachat_base_url=gigachat.base_url,
                gigachat_auth_url=gigachat.auth_url, database_path=root / "bench.sqlite3", max_file_mb=100,
            )  # fmt: skip
            async with Database.open(settings.database_path) as db:
                llm = GigaChatClient.from_settings(settings, usage_sink=usage_recorder(db))
                async with llm:
                    service = ReviewService(settings, db, llm)
                    calls, tokens, seconds = await run_once(service, source)
                    again, _, again_seconds = await run_once(service, source)
    per_thousand = 1000 / reviews
    limit = math.ceil(reviews / 10) + 2
    print(f"reviews: {reviews}, emulated latency: {latency:.2f} s, one stream")
    print(f"calls: {calls} (target ≤ {limit}) — {calls * per_thousand:.0f} per 1 000 reviews")
    print(f"tokens: {tokens} — {tokens * per_thousand:.0f} per 1 000 reviews")
    overhead = seconds - calls * latency
    print(f"wall time: {seconds:.1f} s; calls × latency: {calls * latency:.1f} s; overhead: {overhead:.1f} s")
    print(f"re-run: {again} calls, {again_seconds:.1f} s (target 0 calls)")
    ok_calls, ok_rerun = calls <= limit, again == 0
    print(f"calls target: {'PASS' if ok_calls else 'FAIL'}")
    print(f"re-run target: {'PASS' if ok_rerun else 'FAIL'}")
    return ok_calls and ok_rerun


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reviews", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=0.2)
    args = parser.parse_args()
    return 0 if asyncio.run(bench(args.reviews, args.latency)) else 1


if __name__ == "__main__":
    raise SystemExit(main())
