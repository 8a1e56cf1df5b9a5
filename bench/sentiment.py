"""Benchmark: offline review sentiment (no GigaChat) on tests/data/review_sentiment.json.

The corpus: Russian reviews of places written for the project in the style of map and review sites
(hard cases included: no lexicon word, the «Достоинства/Недостатки/Комментарий» template, contrast,
negation, set phrases, neutral 3-star reviews), about half with the author's stars. Three classes;
the rules' «mixed» counts as neutral. Balanced accuracy = the mean of the per-class recalls.

    python -m bench.sentiment

"text only" reads the text alone (a rating written in the text is still read); "with stated
ratings" also gives the stars column, as a review file with a rating column does.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from bot.reviews.moderation import analyse_review

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "data" / "review_sentiment.json"
CLASSES = ("positive", "neutral", "negative")


def reviews(path: Path = CORPUS) -> list[dict[str, Any]]:
    """The corpus entries."""
    return list(json.loads(path.read_text(encoding="utf-8"))["reviews"])


def balanced(pairs: list[tuple[str, str]]) -> tuple[float, dict[str, float]]:
    """Balanced accuracy and the recall per class of (truth, answer) pairs."""
    right: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for truth, answer in pairs:
        total[truth] += 1
        right[truth] += answer == truth
    recalls = {c: right[c] / total[c] for c in CLASSES if total[c]}
    return sum(recalls.values()) / len(recalls), recalls


def _label(sentiment: str) -> str:
    return "neutral" if sentiment == "mixed" else sentiment


def main() -> None:
    """Print balanced accuracy, text only and with stated ratings."""
    entries = reviews()
    text_only = [(e["sentiment"], _label(analyse_review(e["text"]).sentiment)) for e in entries]
    with_stars = [(e["sentiment"], _label(analyse_review(e["text"], stated=e.get("stars")).sentiment)) for e in entries]
    for title, pairs in (("text only", text_only), ("with stated ratings", with_stars)):
        score, recalls = balanced(pairs)
        per_class = ", ".join(f"{c} {r:.1%}" for c, r in recalls.items())
        print(f"{title:<22} balanced accuracy {score:.1%}  ({per_class}; n={len(pairs)})")


if __name__ == "__main__":
    main()
