"""Moderators' reviews: a text → an analysis card with ✅ / ❌ / 📍, files of reviews, /summary, /queue."""

from __future__ import annotations

import logging
from html import escape
from pathlib import Path

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Document, FSInputFile, InlineKeyboardMarkup, Message
from aiogram.utils.chat_action import ChatActionSender
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot import texts
from bot.core.config import Settings
from bot.jobs.runner import JobRunner
from bot.reviews.format import analysis_lines, summary_text
from bot.reviews.service import FileOutcome, ReviewService, StoredReview
from bot.telegram.access import RoleFilter
from bot.telegram.progress import ProgressMessage
from bot.telegram.replies import send_long
from bot.telegram.uploads import receive_upload
from bot.users import Person, Role

log = logging.getLogger(__name__)
BAR_WIDTH = 12
QUEUE_SHOWN = 10
PLACES_SHOWN = 8


class ReviewCallback(CallbackData, prefix="rv"):
    """A button under a review card: ok, no, bind, place (with the place id), open."""

    action: str
    review: int
    place: int = 0


class SummaryCallback(CallbackData, prefix="rsum"):
    """Pick a place for /summary."""

    place: int


class BindPlace(StatesGroup):
    """Waiting for the name of the place a review is about."""

    query = State()


def review_keyboard(review_id: int, status: str = "pending") -> InlineKeyboardMarkup:
    """Waiting: «✅ Опубликовать», «❌ Отклонить»; decided: «↩️ Вернуть на проверку»; always «📍 Привязать к месту»."""
    builder = InlineKeyboardBuilder()
    if status == "pending":
        builder.button(text=texts.BTN_PUBLISH, callback_data=ReviewCallback(action="ok", review=review_id))
        builder.button(text=texts.BTN_REJECT, callback_data=ReviewCallback(action="no", review=review_id))
    else:
        builder.button(text=texts.BTN_REOPEN, callback_data=ReviewCallback(action="undo", review=review_id))
    builder.button(text=texts.BTN_BIND, callback_data=ReviewCallback(action="bind", review=review_id))
    builder.adjust(2 if status == "pending" else 1, 1)
    return builder.as_markup()


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def card_text(review: StoredReview) -> str:
    """The analysis card of a stored review."""
    lines = [texts.REVIEW_CARD_TITLE.format(id=review.id)]
    place = texts.REVIEW_CARD_PLACE.format(place=escape(review.place_name or "")) if review.place_id else None
    lines.append(place or texts.REVIEW_CARD_NO_PLACE)
    status = texts.REVIEW_STATUS[review.status]
    if review.moderator_id and review.decided_at:
        when = review.decided_at[:16].replace("T", " ")
        lines.append(texts.REVIEW_CARD_DECIDED.format(status=status, moderator=review.moderator_id, when=when))
    else:
        lines.append(texts.REVIEW_CARD_STATUS.format(status=status))
    return "\n".join(lines) + "\n\n" + "\n\n".join(analysis_lines(review.analysis))


async def _send_card(bot: Bot, chat_id: int, review: StoredReview) -> None:
    keyboard = review_keyboard(review.id, review.status)
    await send_long(bot, chat_id, card_text(review), reply_markup=keyboard, file_name="review.txt")


async def _analyse(bot: Bot, chat_id: int, text: str, person: Person, reviews: ReviewService) -> None:
    async with ChatActionSender.typing(bot=bot, chat_id=chat_id):
        review = await reviews.analyse_text(text, user_id=person.telegram_id)
    assert review is not None
    await _send_card(bot, chat_id, review)


async def on_review_text(message: Message, person: Person, reviews: ReviewService, bot: Bot) -> None:
    """Any plain or forwarded text from a moderator is a review to check."""
    text = (message.text or message.caption or "").strip()
    if not text:
        await message.answer(texts.REVIEW_USAGE)
        return
    await _analyse(bot, message.chat.id, text, person, reviews)


async def cmd_review(
    message: Message, command: CommandObject, person: Person, reviews: ReviewService, bot: Bot
) -> None:
    """/review <текст>; a reply to a message with /review checks that message."""
    replied = message.reply_to_message
    text = (command.args or "").strip() or ((replied.text or replied.caption or "") if replied else "").strip()
    if not text:
        await message.answer(texts.REVIEW_USAGE)
        return
    await _analyse(bot, message.chat.id, text, person, reviews)


async def _edit_card(query: CallbackQuery, review: StoredReview) -> None:
    if not isinstance(query.message, Message):
        return
    try:
        await query.message.edit_text(card_text(review), reply_markup=review_keyboard(review.id, review.status))
    except TelegramBadRequest as error:  # "message is not modified", or a card too long to edit
        log.info("review card edit failed: %s", error.message)


_ACTIONS = {"ok": "approve", "no": "reject", "undo": "reopen"}
_DONE = {"ok": texts.REVIEW_PUBLISHED, "no": texts.REVIEW_REJECTED, "undo": texts.REVIEW_REOPENED}


async def _decide(query: CallbackQuery, action: str, review_id: int, person: Person, reviews: ReviewService) -> None:
    """Publish, reject or reopen; a button of a card already decided only refreshes it."""
    review, changed = await reviews.moderate(review_id, _ACTIONS[action], moderator_id=person.telegram_id)
    if review is None:
        await query.answer(texts.REVIEW_GONE, show_alert=True)
        return
    if changed:
        await query.answer(_DONE[action].format(id=review_id))
    else:
        await query.answer(texts.REVIEW_ALREADY.format(id=review_id, status=texts.REVIEW_STATUS[review.status]))
    await _edit_card(query, review)


async def on_review_button(
    query: CallbackQuery, callback_data: ReviewCallback, person: Person, reviews: ReviewService,
    state: FSMContext, bot: Bot,
) -> None:  # fmt: skip
    """✅ publish, ❌ reject, 📍 bind (then a place), or open a card from /queue."""
    action, review_id = callback_data.action, callback_data.review
    chat_id = query.message.chat.id if query.message else person.telegram_id
    if action in ("ok", "no", "undo"):
        await _decide(query, action, review_id, person, reviews)
    elif action == "bind":
        await query.answer()
        await state.set_state(BindPlace.query)
        await state.update_data(review=review_id)
        await bot.send_message(chat_id, texts.REVIEW_BIND_ASK.format(id=review_id))
    elif action == "place":
        review = await reviews.bind(review_id, callback_data.place)
        if review is None:
            await query.answer(texts.REVIEW_GONE, show_alert=True)
            return
        await query.answer()
        place = escape(review.place_name or "")
        if isinstance(query.message, Message):
            await query.message.edit_text(texts.REVIEW_BOUND.format(id=review_id, place=place), reply_markup=None)
        await _send_card(bot, chat_id, review)
    else:  # open
        review = await reviews.get(review_id)
        if review is None:
            await query.answer(texts.REVIEW_GONE, show_alert=True)
            return
        await query.answer()
        await _send_card(bot, chat_id, review)


async def on_bind_query(message: Message, state: FSMContext, reviews: ReviewService) -> None:
    """The moderator named the place: show the catalogue's matches as buttons."""
    query = (message.text or "").strip()
    review_id = int((await state.get_data()).get("review", 0))
    total, places = await reviews.find_places(query, limit=PLACES_SHOWN)
    if not places:
        await message.answer(texts.REVIEW_BIND_NONE.format(query=escape(query)))
        return
    await state.clear()
    builder = InlineKeyboardBuilder()
    for place in places:
        label = _short(" · ".join(str(v) for v in (place.name, place.address) if v))
        builder.button(text=label, callback_data=ReviewCallback(action="place", review=review_id, place=place.id))
    builder.adjust(1)
    await message.answer(texts.REVIEW_BIND_PICK.format(total=total, id=review_id), reply_markup=builder.as_markup())


async def _send_summary(bot: Bot, chat_id: int, place_id: int, person: Person, reviews: ReviewService) -> None:
    async with ChatActionSender.typing(bot=bot, chat_id=chat_id):
        summary = await reviews.place_summary(place_id, user_id=person.telegram_id)
    if summary is None:
        await bot.send_message(chat_id, texts.REVIEW_GONE)
        return
    await send_long(bot, chat_id, summary_text(summary), file_name="summary.txt")


async def cmd_summary(
    message: Message, command: CommandObject, person: Person, reviews: ReviewService, bot: Bot
) -> None:
    """/summary <место>: what the stored reviews of a catalogue place say together."""
    query = (command.args or "").strip()
    if not query:
        await message.answer(texts.SUMMARY_USAGE)
        return
    total, places = await reviews.find_places(query, limit=PLACES_SHOWN)
    exact = [p for p in places if p.name.strip().lower() == query.lower()]
    if len(exact) == 1 or total == 1:
        await _send_summary(bot, message.chat.id, (exact or places)[0].id, person, reviews)
        return
    if not places:
        await message.answer(texts.SUMMARY_NOT_FOUND.format(query=escape(query)))
        return
    builder = InlineKeyboardBuilder()
    for place in places:
        label = _short(" · ".join(str(v) for v in (place.name, place.address) if v))
        builder.button(text=label, callback_data=SummaryCallback(place=place.id))
    builder.adjust(1)
    await message.answer(texts.SUMMARY_PICK.format(total=total), reply_markup=builder.as_markup())


async def on_summary_button(
    query: CallbackQuery, callback_data: SummaryCallback, person: Person, reviews: ReviewService, bot: Bot
) -> None:
    """A place was picked for /summary."""
    await query.answer()
    chat_id = query.message.chat.id if query.message else person.telegram_id
    await _send_summary(bot, chat_id, callback_data.place, person, reviews)


async def cmd_queue(message: Message, reviews: ReviewService) -> None:
    """Reviews waiting for a decision, the doubtful ones first, with buttons to open them."""
    total, rows = await reviews.queue(QUEUE_SHOWN)
    if not total:
        await message.answer(texts.QUEUE_EMPTY)
        return
    lines = [texts.QUEUE_HEADER.format(total=total)]
    builder = InlineKeyboardBuilder()
    for row in rows:
        place = f"{escape(row.place_name)} · " if row.place_name else ""
        text = escape(_short(" ".join(row.text.split()), 80))
        verdict = texts.VERDICT_LABELS[row.verdict]
        lines.append(texts.QUEUE_LINE.format(id=row.id, verdict=verdict, place=place, text=text))
        button = ReviewCallback(action="open", review=row.id)
        builder.button(text=texts.BTN_OPEN_REVIEW.format(id=row.id), callback_data=button)
    builder.adjust(3)
    await message.answer("\n".join(lines), reply_markup=builder.as_markup())


# --- files of reviews -----------------------------------------------------------------------------


def _bar(done: int, total: int) -> tuple[str, float]:
    share = done / total if total else 1.0
    filled = round(BAR_WIDTH * min(share, 1.0))
    return "▓" * filled + "░" * (BAR_WIDTH - filled), share


class ReviewFileReporter:
    """One edited progress message for a file of reviews, then the summary and the enriched book."""

    def __init__(self, bot: Bot, chat_id: int, file_name: str) -> None:
        self.bot, self.chat_id, self.file_name = bot, chat_id, file_name
        self.message = ProgressMessage(bot, chat_id)

    def _progress_text(self, done: int, total: int) -> str:
        bar, share = _bar(done, total)
        title = texts.REVIEWS_FILE_STARTED.format(file=escape(self.file_name))
        return texts.REVIEWS_FILE_PROGRESS.format(title=title, bar=bar, percent=share, processed=done, total=total)

    async def started(self, resumed: bool = False) -> None:
        first = texts.REVIEWS_FILE_RESUMED.format(file=escape(self.file_name)) if resumed else None
        await self.message.start(first or self._progress_text(0, 0).split("\n", 1)[0])

    async def progress(self, done: int, total: int) -> None:
        await self.message.update(self._progress_text(done, total))

    async def finished(self, outcome: FileOutcome) -> None:
        await self.message.replace(texts.REVIEWS_FILE_DONE.format(file=escape(self.file_name)))
        v = outcome.verdicts
        summary = texts.REVIEWS_FILE_SUMMARY.format(
            file=escape(self.file_name), total=outcome.total, approve=v["approve"], needs_review=v["needs_review"],
            reject=v["reject"], places=outcome.places, bound=outcome.bound, calls=outcome.calls, tokens=outcome.tokens,
            per_review=round(outcome.tokens / outcome.total, 1) if outcome.total else 0,
        )  # fmt: skip
        if outcome.llm_note:
            summary += "\n\n" + escape(outcome.llm_note)
        await self.message.send(summary)
        name = f"{Path(self.file_name).stem}_отзывы.xlsx"
        async with ChatActionSender.upload_document(bot=self.bot, chat_id=self.chat_id):
            await self.bot.send_document(
                self.chat_id, FSInputFile(outcome.result_path, filename=name), caption=texts.REVIEWS_FILE_CAPTION
            )

    async def failed(self, error_text: str) -> None:
        await self.message.replace(
            texts.REVIEWS_FILE_FAILED.format(file=escape(self.file_name), error=escape(error_text))
        )


async def on_reviews_file(
    message: Message, document: Document, person: Person, reviews: ReviewService, settings: Settings,
    jobs: JobRunner, bot: Bot,
) -> None:  # fmt: skip
    """A moderator sent a file of reviews: download it and analyse it in the background."""
    received = await receive_upload(message, document, settings, bot, reviews.upload_path)
    if received is None:
        return
    path, name = received
    job_id = await reviews.create_job(path, file_name=name, user_id=person.telegram_id, chat_id=message.chat.id)
    jobs.start_reviews(job_id, ReviewFileReporter(bot, message.chat.id, name))


def build_router() -> Router:
    """Moderators (and admins) check reviews."""
    router = Router(name="reviews")
    allowed = RoleFilter(Role.MODERATOR, Role.ADMIN)
    router.message.filter(allowed)
    router.callback_query.filter(allowed)
    router.message.register(cmd_review, Command("review"))
    router.message.register(cmd_summary, Command("summary"))
    router.message.register(cmd_queue, Command("queue"))
    router.message.register(on_bind_query, StateFilter(BindPlace.query), F.text, ~F.text.startswith("/"))
    router.message.register(on_reviews_file, F.document.as_("document"), RoleFilter(Role.MODERATOR))
    router.message.register(on_review_text, F.text, ~F.text.startswith("/"))
    router.message.register(on_review_text, F.caption, F.forward_origin)
    router.callback_query.register(on_review_button, ReviewCallback.filter())
    router.callback_query.register(on_summary_button, SummaryCallback.filter())
    return router
