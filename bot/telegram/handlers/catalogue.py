"""The catalogue in the chat: /places, /export, /template, /categories, and /stats for admins."""

from __future__ import annotations

import asyncio
import secrets
import shutil
from collections import OrderedDict
from html import escape
from pathlib import Path

from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, FSInputFile, Message
from aiogram.utils.chat_action import ChatActionSender

from bot import texts
from bot.places.catalogue import Catalogue, SearchPage
from bot.places.taxonomy import Taxonomy
from bot.telegram.access import RoleFilter
from bot.telegram.keyboards import PageCallback, pages_keyboard
from bot.telegram.replies import send_long
from bot.users import Role

PAGE = 5
_queries: OrderedDict[str, str] = OrderedDict()  # token → query, for the page buttons (callback data is tiny)


def _remember(query: str) -> str:
    token = secrets.token_urlsafe(6)
    _queries[token] = query
    while len(_queries) > 500:
        _queries.popitem(last=False)
    return token


def page_text(page: SearchPage, catalogue: Catalogue) -> str:
    """One page of places."""
    last = page.offset + len(page.places)
    lines = [texts.PLACES_HEADER.format(total=page.total, first=page.offset + 1, last=last)]
    for place in page.places:
        details = " · ".join(escape(str(v)) for v in (place.address, place.phone) if v)
        lines.append(
            f"\n<b>{escape(place.name)}</b> — {escape(catalogue.label(place))}" + (f"\n{details}" if details else "")
        )
        if place.description:
            lines.append(f"<i>{escape(place.description[:200])}</i>")
    return "\n".join(lines)


async def cmd_places(message: Message, command: CommandObject, catalogue: Catalogue) -> None:
    """Search the catalogue."""
    if not command.args:
        await message.answer(texts.PLACES_USAGE)
        return
    page = await catalogue.search(command.args, 0, PAGE)
    if not page.total:
        await message.answer(texts.PLACES_EMPTY.format(query=escape(command.args)))
        return
    token = _remember(command.args)
    await message.answer(page_text(page, catalogue), reply_markup=pages_keyboard(token, 0, page.total, PAGE))


async def on_page(query: CallbackQuery, callback_data: PageCallback, catalogue: Catalogue) -> None:
    """◀️ / ▶️ in search results."""
    text = _queries.get(callback_data.token)
    if text is None:
        await query.answer(texts.PLACES_EXPIRED, show_alert=True)
        return
    await query.answer()
    page = await catalogue.search(text, callback_data.offset, PAGE)
    if isinstance(query.message, Message):
        markup = pages_keyboard(callback_data.token, callback_data.offset, page.total, PAGE)
        await query.message.edit_text(page_text(page, catalogue), reply_markup=markup)


async def _send_file(bot: Bot, chat_id: int, path: Path, name: str, caption: str) -> None:
    try:
        async with ChatActionSender.upload_document(bot=bot, chat_id=chat_id):
            await bot.send_document(chat_id, FSInputFile(path, filename=name), caption=caption)
    finally:
        await asyncio.to_thread(shutil.rmtree, path.parent, True)


async def cmd_export(message: Message, command: CommandObject, catalogue: Catalogue, bot: Bot) -> None:
    """The catalogue (or one category) as .xlsx."""
    category = catalogue.resolve_category(command.args)
    what = f" в категории «{escape(command.args or '')}»" if category else ""
    path, count = await catalogue.export(category)
    if not count:
        await asyncio.to_thread(shutil.rmtree, path.parent, True)
        await message.answer(texts.EXPORT_EMPTY.format(what=what))
        return
    await _send_file(bot, message.chat.id, path, "каталог.xlsx", texts.EXPORT_CAPTION.format(count=count, what=what))


async def cmd_template(message: Message, catalogue: Catalogue, bot: Bot) -> None:
    """An example workbook to fill in."""
    path = await catalogue.template()
    await _send_file(bot, message.chat.id, path, "шаблон_мест.xlsx", texts.TEMPLATE_CAPTION)


async def cmd_categories(message: Message, taxonomy: Taxonomy, bot: Bot) -> None:
    """The taxonomy in force."""
    text = texts.CATEGORIES_HEADER.format(version=escape(taxonomy.version)) + "\n\n" + escape(taxonomy.describe())
    await send_long(bot, message.chat.id, text, file_name="categories.txt")


async def cmd_stats(message: Message, catalogue: Catalogue) -> None:
    """Admins: places per category, jobs, GigaChat calls and tokens per person this month."""
    stats = await catalogue.stats()
    lines = [
        texts.STATS_HEADER,
        texts.STATS_PLACES.format(count=stats["places"]),
        texts.STATS_JOBS.format(count=stats["jobs"]),
    ]
    chart = texts.text_chart(stats["categories"])
    if chart:
        lines.append("<pre>" + escape("\n".join(chart)) + "</pre>")
    lines.append(texts.STATS_USAGE)
    for user_id, calls, tokens in stats["usage"]:
        who = "CLI" if not user_id else f"<code>{user_id}</code>"
        lines.append(texts.STATS_USAGE_LINE.format(who=who, calls=calls, tokens=tokens))
    if not stats["usage"]:
        lines.append(texts.STATS_NO_USAGE)
    if stats["tokens_per_place"] is not None:
        lines.append(texts.STATS_TOKENS_PER_PLACE.format(tokens=stats["tokens_per_place"]))
    if stats["tokens_per_review"] is not None:
        lines.append(texts.STATS_TOKENS_PER_REVIEW.format(tokens=stats["tokens_per_review"]))
    await message.answer("\n".join(lines))


def build_router() -> Router:
    """Catalogue commands: managers and admins; /stats for admins only."""
    router = Router(name="catalogue")
    allowed = RoleFilter(Role.MANAGER, Role.ADMIN, Role.MODERATOR)
    router.message.filter(allowed)
    router.callback_query.filter(allowed)
    router.message.register(cmd_places, Command("places"))
    router.message.register(cmd_categories, Command("categories"))
    router.callback_query.register(on_page, PageCallback.filter())
    managers = RoleFilter(Role.MANAGER, Role.ADMIN)
    router.message.register(cmd_export, Command("export"), managers)
    router.message.register(cmd_template, Command("template"), managers)
    router.message.register(cmd_stats, Command("stats"), RoleFilter(Role.ADMIN))
    return router
