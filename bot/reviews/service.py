"""The reviews service the bot and the command line share: analyse, store, decide, bind, summarise, files."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.core.config import Settings
from bot.core.files import file_sha256
from bot.gigachat.client import CallContext, GigaChatClient
from bot.reviews.analysis import ReviewAnalyser, ReviewAnalysis, ReviewInput, text_hash
from bot.reviews.files import ReviewTable, read_reviews, write_reviews_book
from bot.reviews.moderation import review_marks
from bot.reviews.summary import PlaceSummariser, PlaceSummary
from bot.storage.db import Database, now_iso
from bot.storage.rows import PlaceRow, QueuedReview, ReviewRow

log = logging.getLogger(__name__)

MAX_REVIEW_CHARS = 4000
FILE_BATCH = 120  # reviews analysed and stored per step of a file job (progress is reported between steps)

FileProgress = Callable[[int, int], Awaitable[None]]


@dataclass
class StoredReview:
    """A review in the database with its analysis and the moderator's decision."""

    id: int
    analysis: ReviewAnalysis
    status: str
    place_id: int | None
    place_name: str | None
    moderator_id: int | None
    decided_at: str | None

    @classmethod
    def from_row(cls, row: ReviewRow) -> StoredReview:
        return cls(
            id=row.id, analysis=ReviewAnalysis.load(row.analysis), status=row.status, place_id=row.place_id,
            place_name=row.place_name, moderator_id=row.moderator_id, decided_at=row.decided_at,
        )  # fmt: skip


@dataclass
class FileOutcome:
    """What a file of reviews came to."""

    job_id: int
    total: int
    verdicts: Counter[str]
    places: int
    bound: int
    calls: int
    tokens: int
    result_path: Path
    analyses: list[ReviewAnalysis]
    llm_note: str | None


def _record(
    review: ReviewInput, analysis: ReviewAnalysis, *, place_id: int | None, job_id: int | None, user_id: int | None
) -> dict[str, Any]:
    return {
        "text": review.text, "text_hash": text_hash(review.text), "place_id": place_id, "place_name": review.place,
        "author": review.author, "review_date": review.date, "stated_rating": analysis.stated_rating,
        "analysis": analysis.dump(), "sentiment": analysis.sentiment, "rating": analysis.rating,
        "verdict": analysis.verdict, "reasons": json.dumps(analysis.reasons), "source": analysis.source,
        "source_job": job_id, "created_by": user_id, "marks": review_marks(review.text),
    }  # fmt: skip


class ReviewService:
    """Reviews for moderators, one object shared by handlers and the CLI."""

    def __init__(self, settings: Settings, db: Database, llm: GigaChatClient | None) -> None:
        self.settings = settings
        self.db = db
        self.llm = llm
        self.uploads = settings.database_path.parent / "uploads"
        self.results = settings.database_path.parent / "results"

    def analyser(self, context: CallContext) -> ReviewAnalyser:
        """A fresh analyser (its GigaChat gate lives as long as one request or one file)."""
        return ReviewAnalyser(self.db, self.llm, context)

    async def analyse_text(self, text: str, *, user_id: int | None, store: bool = True) -> StoredReview | None:
        """Analyse one review (and store it as pending); None when `store` is off."""
        review = ReviewInput(text=text[:MAX_REVIEW_CHARS])
        analyser = self.analyser(CallContext("review", user_id=user_id))
        [analysis] = await analyser.analyse([review])
        if not store:
            return None
        record = _record(review, analysis, place_id=None, job_id=None, user_id=user_id)
        [review_id] = await self.db.reviews.add_reviews([record])
        return await self.get(review_id)

    async def get(self, review_id: int) -> StoredReview | None:
        """One stored review."""
        row = await self.db.reviews.get_review(review_id)
        return StoredReview.from_row(row) if row else None

    async def moderate(self, review_id: int, action: str, *, moderator_id: int) -> tuple[StoredReview | None, bool]:
        """A moderator's button: "approve" or "reject" a waiting review, "reopen" a decided one.

        Returns the review and whether anything changed: a button of a card already decided (an old
        copy of it) changes nothing. None when there is no such review. Every decision is kept.
        """
        current = await self.get(review_id)
        if current is None:
            return None, False
        if (action == "reopen") == (current.status == "pending"):
            return current, False
        status = {"approve": "approved", "reject": "rejected", "reopen": "pending"}[action]
        if not await self.db.reviews.decide_review(review_id, status, moderator_id):
            return None, False
        return await self.get(review_id), True

    async def bind(self, review_id: int, place_id: int) -> StoredReview | None:
        """Attach a review to a catalogue place."""
        if await self.db.places.get_place(place_id) is None or not await self.db.reviews.bind_review(
            review_id, place_id
        ):
            return None
        return await self.get(review_id)

    async def find_places(self, query: str, limit: int = 8) -> tuple[int, list[PlaceRow]]:
        """Catalogue places matching a query (name, address or category)."""
        return await self.db.places.search_places(query, limit=limit, offset=0)

    async def queue(self, limit: int = 10) -> tuple[int, list[QueuedReview]]:
        """Reviews waiting for a decision."""
        return await self.db.reviews.review_queue(limit)

    async def place_summary(self, place_id: int, *, user_id: int | None) -> PlaceSummary | None:
        """What the stored reviews of a catalogue place say together."""
        place = await self.db.places.get_place(place_id)
        if place is None:
            return None
        analyses = [ReviewAnalysis.load(raw) for raw in await self.db.reviews.place_review_analyses(place_id)]
        summariser = PlaceSummariser(self.db, self.llm, CallContext("review_summary", user_id=user_id))
        return await summariser.summarise(place.name, analyses)

    # --- files ---------------------------------------------------------------------------------

    def upload_path(self, file_name: str) -> Path:
        """Where to download a new file of reviews."""
        self.uploads.mkdir(parents=True, exist_ok=True)
        return self.uploads / f"reviews-{uuid.uuid4().hex}{Path(file_name).suffix.lower()}"

    async def create_job(self, path: Path, *, file_name: str, user_id: int, chat_id: int) -> int:
        """Register a file of reviews (status `reviewing`: an import restart does not pick it up)."""
        sha = await asyncio.to_thread(file_sha256, path)
        return await self.db.jobs.create_job(
            kind="reviews", user_id=user_id, chat_id=chat_id, file_name=file_name, file_path=str(path),
            sha256=sha, status="reviewing",
        )  # fmt: skip

    async def run_file(self, job_id: int, progress: FileProgress | None = None) -> FileOutcome:
        """Read, analyse, store and write back a file of reviews."""
        job = await self.db.jobs.get_job(job_id)
        assert job is not None
        table = await asyncio.to_thread(
            read_reviews, Path(job.file_path), original_name=job.file_name,
            max_bytes=self.settings.max_file_mb * 1024 * 1024, max_rows=self.settings.max_rows,
        )  # fmt: skip
        total = len(table.inputs)
        await self.db.jobs.update_job(job_id, total=total, started_at=now_iso())
        analyser = self.analyser(
            CallContext(
                "reviews_file", user_id=job.user_id or None, job_id=job_id, session=f"places-bot-reviews-{job_id}"
            )
        )
        places = await self._match_places(table)
        # After a restart: the reviews stored before it are kept, the file goes on from there.
        analyses = [ReviewAnalysis.load(raw) for raw in await self.db.reviews.job_review_analyses(job_id)]
        for start in range(len(analyses), total, FILE_BATCH):
            batch = table.inputs[start : start + FILE_BATCH]

            async def report(done: int, offset: int = start) -> None:
                if progress is not None:
                    await progress(offset + done, total)

            found = await analyser.analyse(batch, report)
            for n, analysis in enumerate(found):
                analysis.index = start + n
            records = [
                _record(r, a, place_id=places.get(r.place or ""), job_id=job_id, user_id=job.user_id or None)
                for r, a in zip(batch, found, strict=True)
            ]
            await self.db.reviews.add_reviews(records, job_id=job_id, processed=start + len(found))
            analyses.extend(found)
        return await self._finish(job_id, table, analyses, places, analyser.llm_note)

    async def _match_places(self, table: ReviewTable) -> dict[str, int]:
        """Places named in the file that the catalogue knows (an exact name, or the only match)."""
        found: dict[str, int] = {}
        for name in sorted({r.place for r in table.inputs if r.place}):
            total, page = await self.db.places.search_places(name, limit=5, offset=0)
            exact = [p for p in page if p.name.strip().lower() == name.strip().lower()]
            if exact:
                found[name] = exact[0].id
            elif total == 1:
                found[name] = page[0].id
        return found

    async def _finish(
        self, job_id: int, table: ReviewTable, analyses: list[ReviewAnalysis],
        places: dict[str, int], llm_note: str | None,
    ) -> FileOutcome:  # fmt: skip
        self.results.mkdir(parents=True, exist_ok=True)
        out = self.results / f"reviews-{job_id}.xlsx"
        bound_names = {name: "да" for name in places}
        await asyncio.to_thread(write_reviews_book, out, table, analyses, bound_names)
        calls, tokens = await self.db.llm.job_usage(job_id)
        verdicts = Counter(a.verdict for a in analyses)
        counters = json.dumps({"verdicts": dict(verdicts), "calls": calls, "tokens": tokens})
        await self.db.jobs.update_job(
            job_id, status="done", result_path=str(out), counters=counters, finished_at=now_iso()
        )
        return FileOutcome(
            job_id=job_id, total=len(analyses), verdicts=verdicts,
            places=len({r.place for r in table.inputs if r.place}), bound=len(places), calls=calls, tokens=tokens,
            result_path=out, analyses=analyses, llm_note=llm_note,
        )  # fmt: skip
