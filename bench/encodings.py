"""Benchmark: telling Russian legacy encodings apart — the bot's detector against charset-normalizer.

Samples are CSV texts made of the real place names and header rows of the test corpora
(tests/data/place_names.json, tests/data/header_corpus.json), 1, 3 and 20 rows long, encoded in
cp1251, koi8-r and cp866 (the code pages Russian spreadsheets and exports come in). A detector is
right when the text decodes back exactly.

    python -m bench.encodings

The issue's rule: charset-normalizer replaces the detector only if it does at least as well.
"""

from __future__ import annotations

import json
import random
import tempfile
from collections import Counter
from pathlib import Path

from charset_normalizer import from_bytes

from bot.sheets.textfiles import _detect_encoding

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
ENCODINGS = ("cp1251", "koi8-r", "cp866")
SIZES = (1, 3, 20)
SAMPLES_PER_SIZE = 40


def _lines() -> list[str]:
    names = [entry["name"] for entry in json.loads((DATA / "place_names.json").read_text("utf-8"))["names"]]
    tables = json.loads((DATA / "header_corpus.json").read_text("utf-8"))["tables"]
    rows = [";".join("" if v is None else str(v) for v in row) for t in tables for row in t["rows"]]
    return [line for line in names + rows if any("а" <= ch.lower() <= "я" for ch in line)]


def main() -> None:
    """Print how often each detector reads each encoding right."""
    lines = _lines()
    rng = random.Random(11)
    ours: Counter[str] = Counter()
    theirs: Counter[str] = Counter()
    total: Counter[str] = Counter()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "sample.csv"
        for encoding in ENCODINGS:
            for size in SIZES:
                for _ in range(SAMPLES_PER_SIZE):
                    # what the code page cannot hold («», emoji) becomes "?", as a real export does
                    data = ("\n".join(rng.sample(lines, size)) + "\n").encode(encoding, "replace")
                    text = data.decode(encoding)
                    key = f"{encoding} ×{size}"
                    total[key] += 1
                    path.write_bytes(data)
                    ours[key] += data.decode(_detect_encoding(path), "replace") == text
                    best = from_bytes(data).best()
                    theirs[key] += best is not None and str(best) == text
    print(f"{'sample':<14} {'n':>4} {'bot':>7} {'charset-normalizer':>19}")
    for key in total:
        print(f"{key:<14} {total[key]:>4} {ours[key] / total[key]:>7.1%} {theirs[key] / total[key]:>19.1%}")
    n = sum(total.values())
    print(f"{'all':<14} {n:>4} {sum(ours.values()) / n:>7.1%} {sum(theirs.values()) / n:>19.1%}")


if __name__ == "__main__":
    main()
