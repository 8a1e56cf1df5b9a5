"""Command line: `python -m bot [run|diagnose|...]`."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence

from bot import texts
from bot.config import Settings, check_token, load_settings
from bot.diagnose import run_diagnose
from bot.errors import ConfigError, UserFacingError
from bot.logs import setup_logging
from bot.storage import Database
from bot.users import Role, UserService


def build_parser() -> argparse.ArgumentParser:
    """Describe every command and its options."""
    parser = argparse.ArgumentParser(prog="python -m bot", description=texts.CLI_DESCRIPTION)
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("run", help=texts.CLI_RUN_HELP)
    diagnose = commands.add_parser("diagnose", help=texts.CLI_DIAGNOSE_HELP)
    diagnose.add_argument("--offline", action="store_true", help=texts.CLI_OFFLINE_HELP)
    diagnose.add_argument("--json", action="store_true", help=texts.CLI_JSON_HELP)
    users = commands.add_parser("users", help=texts.CLI_USERS_HELP)
    users_commands = users.add_subparsers(dest="action", required=True)
    users_commands.add_parser("list")
    grant = users_commands.add_parser("grant")
    grant.add_argument("telegram_id", type=int)
    grant.add_argument("role")
    revoke = users_commands.add_parser("revoke")
    revoke.add_argument("telegram_id", type=int)
    return parser


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
        print(texts.format_diagnose(report.rows(), ok=report.ok, offline=offline))
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
    try:
        if command == "diagnose":
            return asyncio.run(cmd_diagnose(settings, offline=args.offline, as_json=args.json))
        if command == "users":
            return asyncio.run(cmd_users(settings, args))
    except UserFacingError as error:
        print(error.message, file=sys.stderr)
        return 2
    try:
        check_token(settings)
    except UserFacingError as error:
        print(error.message)
        return 2
    from bot.app import run_bot  # aiogram is slow to import; only the bot itself needs it

    return run_bot(settings)


if __name__ == "__main__":
    sys.exit(main())
