"""Builds the Bot and the Dispatcher, wires services in, runs polling or a webhook, shuts down cleanly."""

from __future__ import annotations

import asyncio
import logging
import secrets
import signal
from contextlib import suppress
from urllib.parse import urlsplit

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import PRODUCTION, TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import TelegramUnauthorizedError
from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
from aiohttp import web

from bot import texts
from bot.core.config import Settings, check_token
from bot.core.errors import UserFacingError
from bot.core.logs import Scrubber
from bot.services import Services, open_services
from bot.storage.rows import JobRow
from bot.telegram.access import AccessMiddleware
from bot.telegram.handlers import admin, catalogue, common, errors, imports, jobs, reviews
from bot.telegram.handlers.errors import AdminAlerts
from bot.telegram.handlers.jobs import TelegramNotifier
from bot.telegram.handlers.reviews import ReviewFileReporter
from bot.telegram.menus import refresh_menus
from bot.telegram.session import ReliableRequests

log = logging.getLogger(__name__)


def create_bot(settings: Settings) -> Bot:
    """The Bot with the reliable session (flood control, edit throttle) and HTML by default."""
    api = TelegramAPIServer.from_base(settings.telegram_api_url) if settings.telegram_api_url else PRODUCTION
    session = AiohttpSession(api=api)
    session.middleware(ReliableRequests())
    return Bot(check_token(settings), session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))


def create_dispatcher(services: Services) -> Dispatcher:
    """The one factory production and tests use: routers, middlewares, dependencies, hooks."""
    dp = Dispatcher()
    dp.workflow_data.update(
        settings=services.settings,
        users=services.users,
        llm=services.llm,
        tasks=services.tasks,
        services=services,
        imports=services.imports,
        jobs=services.jobs,
        taxonomy=services.taxonomy,
        catalogue=services.catalogue,
        reviews=services.reviews,
        alerts=AdminAlerts(scrub=Scrubber(services.settings)),
    )
    access = AccessMiddleware(services.users)
    dp.message.outer_middleware(access)
    dp.callback_query.outer_middleware(access)
    dp.include_routers(
        common.build_router(),
        admin.build_router(),
        imports.build_router(),
        jobs.build_router(),
        catalogue.build_router(),
        reviews.build_router(),
        common.build_fallback_router(),
        errors.build_router(),
    )
    dp.startup.register(on_startup)
    return dp


async def on_startup(bot: Bot, services: Services) -> None:
    """Command menus for everyone, and one line saying what is running."""
    me = await bot.me()
    await refresh_menus(bot, await services.users.everyone())
    log.info("bot @%s started; %s", me.username, services.gigachat_mode())

    async def notifier_for(job: JobRow) -> TelegramNotifier:
        return TelegramNotifier(bot, job.chat_id)

    async def reporter_for(job: JobRow) -> ReviewFileReporter:
        return ReviewFileReporter(bot, job.chat_id, job.file_name)

    resumed = await services.jobs.resume_all(notifier_for, reporter_for)
    if resumed:
        log.info("resumed %d interrupted job(s)", resumed)


def webhook_path(settings: Settings) -> str:
    """The local path Telegram posts updates to: the path of WEBHOOK_URL, else /telegram."""
    path = urlsplit(settings.webhook_url or "").path
    return path if path and path != "/" else "/telegram"


async def run_webhook(bot: Bot, dp: Dispatcher, settings: Settings, stop: asyncio.Event) -> None:
    """Serve updates over HTTPS-terminated aiohttp until `stop` is set; the secret header is checked."""
    assert settings.webhook_url
    secret = settings.secret("webhook_secret") or secrets.token_urlsafe(32)
    path = webhook_path(settings)
    app = web.Application()
    SimpleRequestHandler(dispatcher=dp, bot=bot, secret_token=secret).register(app, path=path)
    setup_application(app, dp, bot=bot)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, settings.webhook_host, settings.webhook_port)
    await site.start()
    try:
        await bot.set_webhook(settings.webhook_url, secret_token=secret, allowed_updates=dp.resolve_used_update_types())
        log.info("webhook on %s:%s%s", settings.webhook_host, settings.webhook_port, path)
        await stop.wait()
    finally:
        await runner.cleanup()


async def serve(settings: Settings, stop: asyncio.Event | None = None, *, handle_signals: bool = True) -> None:
    """Run the bot until stopped: long polling, or a webhook when WEBHOOK_URL is set."""
    stop = stop or asyncio.Event()
    bot = create_bot(settings)
    try:
        async with open_services(settings) as services:
            dp = create_dispatcher(services)
            if settings.webhook_url:
                loop = asyncio.get_running_loop()
                signals = (signal.SIGINT, signal.SIGTERM) if handle_signals else ()
                for sig in signals:
                    with suppress(NotImplementedError, RuntimeError):
                        loop.add_signal_handler(sig, stop.set)
                await run_webhook(bot, dp, settings, stop)
            else:
                polling = asyncio.create_task(
                    dp.start_polling(bot, handle_signals=handle_signals, close_bot_session=False)
                )
                stopper = asyncio.create_task(stop.wait())
                await asyncio.wait({polling, stopper}, return_when=asyncio.FIRST_COMPLETED)
                if not polling.done():
                    await dp.stop_polling()
                stopper.cancel()
                await polling
    finally:
        await bot.session.close()


def run_bot(settings: Settings) -> int:
    """Entry point of `python -m bot run`; returns the exit code."""
    try:
        asyncio.run(serve(settings))
    except UserFacingError as error:
        print(error.message)
        return 2
    except TelegramUnauthorizedError as error:
        print(texts.TOKEN_REJECTED.format(error=error.message))
        return 2
    except KeyboardInterrupt:
        pass
    return 0
