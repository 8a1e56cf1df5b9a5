"""Benchmark: categories from place names by the offline rules, on tests/data/place_names.json.

The corpus holds real Russian place names from public sources (OSM name tags and the
name-suggestion index, data.mos.ru, Wikipedia lists, public map exports, the Yandex geo-reviews
dataset), with and without a type word, inflected forms, chains, Latin names and hard cases, each
with its true category key. No GigaChat: this is what the rules decide alone.

    python -m bench.names            # accuracy per kind and in total
    python -m bench.names --wrong    # also every name that went wrong

"right" means the top category and the subcategory both match the truth (a top-only truth is
matched by the top category); "top right" counts the top category alone.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path
from typing import Any

from bot.places.category_rules import guess_category
from bot.places.taxonomy import Taxonomy

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "data" / "place_names.json"


def names(path: Path = CORPUS) -> list[dict[str, Any]]:
    """The corpus entries."""
    return list(json.loads(path.read_text(encoding="utf-8"))["names"])


def judge(taxonomy: Taxonomy, entry: dict[str, Any]) -> tuple[str, str | None]:
    """'right', 'top' (top category only), 'wrong' or 'none' for one name, and what the rules said."""
    match = guess_category(taxonomy, name=entry["name"])
    if match is None:
        return "none", None
    truth_top, _, truth_sub = entry["category"].partition("/")
    if match.category != truth_top:
        return "wrong", match.full_key
    if not truth_sub or match.subcategory == truth_sub:
        return "right", match.full_key
    return "top", match.full_key


def main() -> None:
    """Print the accuracy per kind and in total."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wrong", action="store_true", help="print every name that went wrong")
    args = parser.parse_args()
    taxonomy = Taxonomy.load()
    by_kind: dict[str, Counter[str]] = {}
    misses: list[str] = []
    for entry in names():
        verdict, said = judge(taxonomy, entry)
        by_kind.setdefault(entry["kind"], Counter())[verdict] += 1
        if verdict != "right":
            misses.append(f"  {verdict:<5} {entry['name']!r}: {entry['category']} ≠ {said} ({entry['kind']})")
    total: Counter[str] = Counter()
    print(f"{'kind':<14} {'names':>5} {'right':>7} {'top ok':>7} {'wrong':>7} {'none':>7}")
    for kind, counts in sorted(by_kind.items()):
        total.update(counts)
        _line(kind, counts)
    _line("all", total)
    decided = total["right"] + total["top"] + total["wrong"]
    print(f"\ndecided {decided}/{sum(total.values())}; precision of decided (top category): "
          f"{(total['right'] + total['top']) / decided if decided else 0:.3f}")  # fmt: skip
    if args.wrong:
        print("\n".join(misses))


def _line(kind: str, counts: Counter[str]) -> None:
    n = sum(counts.values())
    share = {key: counts[key] / n for key in ("right", "top", "wrong", "none")}
    print(
        f"{kind:<14} {n:>5} {share['right']:>7.1%} {share['right'] + share['top']:>7.1%} "
        f"{share['wrong']:>7.1%} {share['none']:>7.1%}"
    )


if __name__ == "__main__":
    main()
