"""Learning from the moderators: every decision is a labelled example the next reviews are read against.

A new review that shares a phone, a link, a promo code, a handle or an e-mail with a rejected one,
or nearly repeats its text, is held for a person with «похоже на отклонённый отзыв №N». With
GigaChat, the closest past decisions go into the prompt as examples.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.core.text import resemblance
from bot.reviews.moderation import review_marks
from bot.storage.db import Database

RECENT_DECISIONS = 1000  # decided reviews compared by text
NEAR_DUPLICATE = 0.8  # resemblance from which a text repeats a rejected one
EXAMPLE_FLOOR = 0.5  # resemblance from which a past decision is worth showing GigaChat
MIN_TEXT = 30  # shorter texts say too little to be compared
MAX_EXAMPLES = 3


@dataclass(frozen=True)
class Precedent:
    """A decided review: its id, text, the moderator's decision and the bot's reasons at the time."""

    review_id: int
    text: str
    status: str
    reasons: tuple[str, ...]


@dataclass
class Precedents:
    """For a batch of reviews: which rejected review each one resembles, and examples for GigaChat."""

    like_rejected: dict[int, int] = field(default_factory=dict)  # index in the batch → rejected review id
    examples: list[Precedent] = field(default_factory=list)


async def find_precedents(db: Database, reviews: Sequence[str]) -> Precedents:
    """Compare new reviews with the moderators' past decisions."""
    found = Precedents()
    marks = {n: review_marks(text) for n, text in enumerate(reviews)}
    by_mark = await db.reviews.rejected_with_marks(sorted({m for ms in marks.values() for m in ms}))
    for n, ms in marks.items():
        hits = [by_mark[m] for m in ms if m in by_mark]
        if hits:
            found.like_rejected[n] = max(hits)
    decided = [
        Precedent(review_id, text, status, tuple(json.loads(reasons)))
        for review_id, text, status, reasons in await db.reviews.recent_decided(RECENT_DECISIONS)
    ]
    if decided:  # up to a file step × RECENT_DECISIONS comparisons: off the event loop
        await asyncio.to_thread(_compare, found, reviews, decided)
    return found


def _compare(found: Precedents, reviews: Sequence[str], decided: Sequence[Precedent]) -> None:
    """Near repeats of rejected reviews, and the closest decisions as examples."""
    best: dict[int, tuple[float, Precedent]] = {}
    comparable = [p for p in decided if len(p.text.strip()) >= MIN_TEXT]
    for n, text in enumerate(reviews):
        if len(text.strip()) < MIN_TEXT or not comparable:
            continue
        score, precedent = max(
            ((resemblance(text, p.text), p) for p in comparable), key=lambda item: (item[0], item[1].review_id)
        )
        if precedent.status == "rejected" and score >= NEAR_DUPLICATE:
            found.like_rejected.setdefault(n, precedent.review_id)
        if score >= EXAMPLE_FLOOR and (precedent.review_id not in best or best[precedent.review_id][0] < score):
            best[precedent.review_id] = (score, precedent)
    found.examples = [p for _, p in sorted(best.values(), key=lambda item: -item[0])[:MAX_EXAMPLES]]
