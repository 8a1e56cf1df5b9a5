"""Benchmark: reading a big workbook — plain calamine, openpyxl, and the bot's own reading + mapping.

Target (from the issue): the bot's reading + mapping takes at most 1.5× the time of plain
python-calamine iteration over the same file, with peak RSS at most 300 MB, on a 100 000-row ×
12-column .xlsx. Every variant runs in a fresh interpreter, so its peak RSS is its own.

    python -m bench.reading                    # 100 000 rows, best of 3
    python -m bench.reading --rows 300000 --repeat 5 --max-mb 60

Not a test: it prints figures and exits 0 even when a target is missed (exit 1 only when a
variant crashed).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.places_data import current_rss_mb, peak_rss_mb, places_file

ROOT = Path(__file__).resolve().parent.parent
TARGET_RATIO = 1.5
TARGET_RSS_MB = 300.0
MAX_ROWS = 200_000
CHILD_TIMEOUT_S = 900


# --- the variants (run inside a child process) -----------------------------------------------------


def _calamine(path: Path, max_bytes: int) -> int:  # noqa: ARG001 (every variant takes the bot's limit)
    from python_calamine import CalamineWorkbook

    rows = 0
    for _ in CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).iter_rows():
        rows += 1
    return rows


def _openpyxl(path: Path, max_bytes: int) -> int:  # noqa: ARG001 (every variant takes the bot's limit)
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True, data_only=True)
    try:
        rows = 0
        for _ in book.worksheets[0].iter_rows(values_only=True):
            rows += 1
        return rows
    finally:
        book.close()


def _ours_plan(path: Path, max_bytes: int) -> int:
    """What `places.plan_file` does before the database and GigaChat: read, detect, map."""
    from bot.places.mapping import map_by_headers, map_by_values, needs_llm
    from bot.places.plan import read_plan_inputs

    _visible, scan, rows, samples = read_plan_inputs(
        path, original_name=path.name, sheet=None, max_bytes=max_bytes, max_rows=MAX_ROWS
    )
    columns = map_by_headers(scan.layout.headers, scan.layout.alternatives, {})
    map_by_values(columns, samples)
    if needs_llm(columns):
        print(f"note: the mapping would ask GigaChat: {[c.header for c in columns if c.method == 'none']}")
    return rows


def _ours_rows(path: Path, max_bytes: int) -> int:
    """What the import job does: open the workbook and stream every row of the sheet."""
    from bot.sheets import open_workbook

    rows = 0
    with open_workbook(path, max_bytes=max_bytes, max_rows=MAX_ROWS, original_name=path.name) as book:
        sheet = book.visible_sheets()[0].name
        for _ in book.iter_rows(sheet):
            rows += 1
    return rows


@dataclass(frozen=True)
class Variant:
    key: str
    title: str
    run: Callable[[Path, int], int]
    ours: bool = False


VARIANTS = (
    Variant("calamine", "python-calamine iter_rows (пол)", _calamine),
    Variant("openpyxl", "openpyxl read_only iter_rows", _openpyxl),
    Variant("ours_plan", "наше чтение + сопоставление (plan)", _ours_plan, ours=True),
    Variant("ours_rows", "наш open_workbook + iter_rows (импорт)", _ours_rows, ours=True),
)
BY_KEY = {v.key: v for v in VARIANTS}


def child(key: str, path: Path, max_bytes: int) -> None:
    """Run one variant once and print a JSON line: seconds, rows, peak RSS."""
    variant = BY_KEY[key]
    # Import what the variant needs before the clock starts: we measure reading, not imports.
    import openpyxl  # noqa: F401
    import python_calamine  # noqa: F401

    if variant.ours:  # the bot's modules, as a running bot has them (the lemma dictionaries still load inside)
        import bot.places.mapping
        import bot.places.plan
        import bot.sheets  # noqa: F401
    before = current_rss_mb()
    started = time.perf_counter()
    try:
        rows = variant.run(path, max_bytes)
    except BaseException:
        print(json.dumps({"error": traceback.format_exc()}))
        return
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "rows": rows, "rss_mb": peak_rss_mb(), "rss_before_mb": before}))


# --- the parent --------------------------------------------------------------------------------------


@dataclass
class Result:
    variant: Variant
    seconds: float | None = None
    rows: int | None = None
    rss_mb: float = 0.0
    rss_before_mb: float = 0.0
    error: str | None = None


def _run_child(variant: Variant, path: Path, max_bytes: int) -> dict[str, Any]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    command = [sys.executable, "-m", "bench.reading", "--child", variant.key, "--file", str(path)]
    command += ["--max-bytes", str(max_bytes)]
    try:
        done = subprocess.run(
            command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=CHILD_TIMEOUT_S, check=False
        )
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {CHILD_TIMEOUT_S} s"}
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    for line in done.stdout.splitlines():
        if line.startswith("note:"):
            print(f"  {variant.key}: {line}")
    if done.returncode != 0 or not lines:
        return {"error": f"child exited with {done.returncode}\n{done.stdout}\n{done.stderr}".strip()}
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def measure(variants: list[Variant], path: Path, max_bytes: int, repeat: int) -> list[Result]:
    """Best time and highest peak RSS over `repeat` fresh processes per variant.

    The variants take turns (round-robin), so a burst of load on the machine hurts them alike.
    """
    results = {v.key: Result(v) for v in variants}
    for attempt in range(repeat):
        for variant in variants:
            result = results[variant.key]
            if result.error is not None:
                continue
            data = _run_child(variant, path, max_bytes)
            if "error" in data:
                result.error = str(data["error"])
                continue
            seconds, rss = float(data["seconds"]), float(data["rss_mb"])
            print(f"  {variant.key} #{attempt + 1}: {seconds:.2f} s, peak RSS {rss:.0f} MB", flush=True)
            result.seconds = seconds if result.seconds is None else min(result.seconds, seconds)
            result.rows = int(data["rows"])
            result.rss_mb = max(result.rss_mb, rss)
            result.rss_before_mb = float(data["rss_before_mb"])
    return list(results.values())


def report(results: list[Result], rows: int, path: Path, repeat: int) -> bool:
    """Print the table and the verdicts; return False when a variant crashed."""
    floor = next((r.seconds for r in results if r.variant.key == "calamine"), None)
    size_mb = path.stat().st_size / 1024 / 1024
    print()
    print(f"Файл: {path} ({rows} строк × 12 колонок, {size_mb:.1f} МБ); лучшее из {repeat} запусков")
    header = f"{'вариант':<42} {'строк':>8} {'секунды':>8} {'× пол':>7} {'пик RSS, МБ':>12} {'RSS до, МБ':>11}"
    print(header)
    print("-" * len(header))
    for r in results:
        if r.error is not None or r.seconds is None:
            print(f"{r.variant.title:<42} {'ОШИБКА — см. ниже':>50}")
            continue
        ratio = f"{r.seconds / floor:.2f}" if floor else "—"
        print(
            f"{r.variant.title:<42} {r.rows:>8} {r.seconds:>8.2f} {ratio:>7} {r.rss_mb:>12.0f} {r.rss_before_mb:>11.0f}"
        )
    print()
    print(
        f"Цели: наше чтение + сопоставление ≤ {TARGET_RATIO}× пола (python-calamine), пик RSS ≤ {TARGET_RSS_MB:.0f} МБ"
    )
    for r in results:
        if not r.variant.ours:
            continue
        if r.error is not None or r.seconds is None or not floor:
            print(f"  {r.variant.key}: FAIL (не измерено)")
            continue
        times = r.seconds / floor
        speed = "PASS" if times <= TARGET_RATIO else "FAIL"
        memory = "PASS" if r.rss_mb <= TARGET_RSS_MB else "FAIL"
        print(
            f"  {r.variant.key}: время {speed} ({times:.2f}× ≤ {TARGET_RATIO}×), "
            f"память {memory} ({r.rss_mb:.0f} МБ ≤ {TARGET_RSS_MB:.0f} МБ)"
        )
    crashed = [r for r in results if r.error is not None]
    for r in crashed:
        print(f"\n{r.variant.key} FAILED:\n{r.error}")
    return not crashed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="data rows in the generated file (100000)")
    parser.add_argument("--repeat", type=int, default=3, help="fresh processes per variant; the best time counts")
    parser.add_argument("--max-mb", type=int, default=20, help="the bot's file size limit, MAX_FILE_MB (20)")
    parser.add_argument("--variants", default=",".join(BY_KEY), help=f"comma-separated subset of: {', '.join(BY_KEY)}")
    parser.add_argument("--child", choices=sorted(BY_KEY), help=argparse.SUPPRESS)
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--max-bytes", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.file, args.max_bytes)
        return 0
    chosen = [BY_KEY[k.strip()] for k in args.variants.split(",") if k.strip()]
    if "calamine" not in {v.key for v in chosen}:
        chosen.insert(0, BY_KEY["calamine"])  # the floor every ratio is measured against
    started = time.perf_counter()
    path, generated = places_file(args.rows, "reading", known_share=0.7, described_share=0.8)
    if generated:
        print(f"generated {path} in {time.perf_counter() - started:.1f} s")
    results = measure(chosen, path, args.max_mb * 1024 * 1024, max(args.repeat, 1))
    ok = report(results, args.rows, path, max(args.repeat, 1))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
