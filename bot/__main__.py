"""Command line: `python -m bot [run|diagnose|...]`."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from bot import texts
from bot.core.config import Settings, check_token, load_settings
from bot.core.errors import ConfigError, UserFacingError
from bot.core.logs import setup_logging
from bot.gigachat.diagnose import run_diagnose
from bot.places.plan import plan_file
from bot.services import open_services
from bot.storage.db import Database
from bot.users import Role, UserService


def build_parser() -> argparse.ArgumentParser:
    """Describe every command and its options."""
    parser = argparse.ArgumentParser(prog="python -m bot", description=texts.CLI_DESCRIPTION)
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("run", help=texts.CLI_RUN_HELP)
    diagnose = commands.add_parser("diagnose", help=texts.CLI_DIAGNOSE_HELP)
    diagnose.add_argument("--offline", action="store_true", help=texts.CLI_OFFLINE_HELP)
    diagnose.add_argument("--json", action="store_true", help=texts.CLI_JSON_HELP)
    mapping = commands.add_parser("mapping", help=texts.CLI_MAPPING_HELP)
    mapping.add_argument("file", type=Path)
    mapping.add_argument("--sheet", help=texts.CLI_SHEET_HELP)
    mapping.add_argument("--json", action="store_true", help=texts.CLI_JSON_HELP)
    mapping.add_argument("--offline", action="store_true", help=texts.CLI_NO_LLM_HELP)
    process = commands.add_parser("process", help=texts.CLI_PROCESS_HELP)
    process.add_argument("file", type=Path)
    process.add_argument("--sheet", help=texts.CLI_SHEET_HELP)
    process.add_argument("--offline", action="store_true", help=texts.CLI_NO_LLM_HELP)
    process.add_argument("--describe", choices=("empty", "all", "none"), default="empty", help=texts.CLI_DESCRIBE_HELP)
    process.add_argument("-o", "--output", type=Path, help=texts.CLI_OUT_HELP)
    process.add_argument("--jsonl", type=Path, help=texts.CLI_JSONL_HELP)
    process.add_argument("--yes", action="store_true", help=texts.CLI_YES_HELP)
    reviews = commands.add_parser("reviews", help=texts.CLI_REVIEWS_HELP)
    reviews.add_argument("file", type=Path, nargs="?")
    reviews.add_argument("--text", help=texts.CLI_REVIEW_TEXT_HELP)
    reviews.add_argument("--offline", action="store_true", help=texts.CLI_NO_LLM_HELP)
    reviews.add_argument("--jsonl", type=Path, help=texts.CLI_JSONL_HELP)
    reviews.add_argument("-o", "--output", type=Path, help=texts.CLI_OUT_HELP)
    users = commands.add_parser("users", help=texts.CLI_USERS_HELP)
    users_commands = users.add_subparsers(dest="action", required=True)
    users_commands.add_parser("list")
    grant = users_commands.add_parser("grant")
    grant.add_argument("telegram_id", type=int)
    grant.add_argument("role")
    revoke = users_commands.add_parser("revoke")
    revoke.add_argument("telegram_id", type=int)
    return parser


async def cmd_mapping(settings: Settings, args: argparse.Namespace) -> int:
    """Show how a file's columns map to our fields."""
    path: Path = args.file
    # The same services as the bot: every GigaChat call lands in llm_usage, under the same limit.
    async with open_services(settings, offline=args.offline) as services:
        plan = await plan_file(
            path, original_name=path.name, settings=settings, db=services.db, llm=services.llm, sheet=args.sheet
        )
    if args.json:
        print(json.dumps(plan.to_json(), ensure_ascii=False, indent=2))
        return 0
    print(texts.format_mapping_plain(plan.to_json()))
    if plan.llm_note:
        print(plan.llm_note)
    return 0


async def cmd_users(settings: Settings, args: argparse.Namespace) -> int:
    """List, grant or revoke roles without Telegram (the first admin on a fresh server)."""
    async with Database.open(settings.database_path) as db:
        users = UserService(db, settings.admin_ids)
        if args.action == "grant":
            role = Role.parse(args.role)
            await users.grant(args.telegram_id, role, by=0)
            print(texts.CLI_GRANTED.format(id=args.telegram_id, role=texts.ROLE_LABELS[role.value]))
        elif args.action == "revoke":
            await users.revoke(args.telegram_id, by=0)
            print(texts.CLI_REVOKED.format(id=args.telegram_id))
        else:
            people = await users.everyone()
            for p in people:
                label = texts.ROLE_LABELS[p.role.value] if p.role else "—"
                print(texts.CLI_USERS_LINE.format(id=p.telegram_id, role=label, name=p.full_name))
            if not people:
                print(texts.CLI_USERS_EMPTY)
    return 0


async def cmd_diagnose(settings: Settings, *, offline: bool, as_json: bool) -> int:
    """Print the diagnose report; exit 0 when nothing failed."""
    report = await run_diagnose(settings, offline=offline)
    if as_json:
        print(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
    else:
        print(texts.format_diagnose(report.rows(), offline=offline))
    return 0 if report.ok else 1


def _run_command(command: str, settings: Settings, args: argparse.Namespace) -> int:
    """One command-line command (not the bot itself); a UserFacingError goes up to `main`."""
    if command == "diagnose":
        return asyncio.run(cmd_diagnose(settings, offline=args.offline, as_json=args.json))
    if command == "users":
        return asyncio.run(cmd_users(settings, args))
    if command == "reviews":
        if args.text is None and (args.file is None or not args.file.is_file()):
            raise UserFacingError(
                texts.CLI_NO_FILE.format(path=args.file) if args.file else texts.CLI_REVIEWS_NEED_INPUT
            )
        from bot.cli.reviews import run_reviews

        return asyncio.run(
            run_reviews(
                settings, source=args.file, text=args.text, offline=args.offline, jsonl=args.jsonl, output=args.output
            )
        )
    if not args.file.is_file():
        raise UserFacingError(texts.CLI_NO_FILE.format(path=args.file))
    if command == "mapping":
        return asyncio.run(cmd_mapping(settings, args))
    from bot.cli.process import run_process

    return asyncio.run(
        run_process(
            settings, args.file, sheet=args.sheet, offline=args.offline, describe=args.describe,
            output=args.output, jsonl=args.jsonl, yes=args.yes,
        )
    )  # fmt: skip


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
    if command != "run":
        try:
            return _run_command(command, settings, args)
        except UserFacingError as error:
            print(error.message, file=sys.stderr)
            if error.fix:
                print(error.fix, file=sys.stderr)
            return 2
    try:
        check_token(settings)
    except UserFacingError as error:
        print(error.message)
        return 2
    from bot.telegram.app import run_bot  # aiogram is slow to import; only the bot itself needs it

    return run_bot(settings)


if __name__ == "__main__":
    sys.exit(main())
