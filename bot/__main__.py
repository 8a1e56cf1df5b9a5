"""Command line: `python -m bot [run|diagnose|...]`."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence

from bot import texts
from bot.config import Settings, load_settings
from bot.diagnose import run_diagnose
from bot.errors import ConfigError
from bot.logs import setup_logging


def build_parser() -> argparse.ArgumentParser:
    """Describe every command and its options."""
    parser = argparse.ArgumentParser(prog="python -m bot", description=texts.CLI_DESCRIPTION)
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("run", help=texts.CLI_RUN_HELP)
    diagnose = commands.add_parser("diagnose", help=texts.CLI_DIAGNOSE_HELP)
    diagnose.add_argument("--offline", action="store_true", help=texts.CLI_OFFLINE_HELP)
    diagnose.add_argument("--json", action="store_true", help=texts.CLI_JSON_HELP)
    return parser


async def cmd_diagnose(settings: Settings, *, offline: bool, as_json: bool) -> int:
    """Print the diagnose report; exit 0 when nothing failed."""
    report = await run_diagnose(settings, offline=offline)
    if as_json:
        print(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
    else:
        rows = [(c.status, c.title, c.detail, c.fix) for c in report.checks]
        print(texts.format_diagnose(rows, ok=report.ok, offline=offline))
    return 0 if report.ok else 1


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
    except ConfigError as error:
        print(texts.CONFIG_ERROR.format(error=error.message), file=sys.stderr)
        return 2
    setup_logging(settings)
    command = args.command or "run"
    if command == "diagnose":
        return asyncio.run(cmd_diagnose(settings, offline=args.offline, as_json=args.json))
    from bot.app import run_bot

    return run_bot(settings)


if __name__ == "__main__":
    sys.exit(main())
