"""Telegram: people, roles, invites, menus, errors, and the message formatting helpers."""

from __future__ import annotations

# --- Telegram: people and roles --------------------------------------------------------------------

ROLE_LABELS = {"admin": "администратор", "manager": "менеджер", "moderator": "модератор"}
ROLE_WORDS: dict[str, set[str]] = {
    "admin": {"admin", "админ", "администратор", "administrator"},
    "manager": {"manager", "менеджер"},
    "moderator": {"moderator", "модератор", "mod"},
}
ROLE_UNKNOWN = "Не знаю роль «{text}». Роли: manager (менеджер), moderator (модератор), admin (администратор)."

# Commands per role: (command, description). Strangers see only the first two.
STRANGER_COMMANDS = [("start", "Начать и узнать свой ID"), ("id", "Мой Telegram ID")]
COMMON_COMMANDS = [
    ("start", "Начать"),
    ("help", "Что умеет бот"),
    ("id", "Мой Telegram ID"),
    ("cancel", "Отменить текущее действие"),
]
MANAGER_COMMANDS = [
    ("jobs", "Мои загрузки"),
    ("places", "Найти место: /places запрос"),
    ("export", "Выгрузить каталог"),
    ("template", "Шаблон файла"),
    ("categories", "Категории"),
]
ROLE_COMMANDS: dict[str, list[tuple[str, str]]] = {
    "manager": MANAGER_COMMANDS,
    "moderator": [
        ("review", "Проверить отзыв: /review текст"),
        ("summary", "Сводка отзывов о месте: /summary место"),
        ("queue", "Отзывы, ждущие решения"),
        ("places", "Найти место: /places запрос"),
        ("categories", "Категории"),
    ],
    "admin": [
        *MANAGER_COMMANDS,
        ("stats", "Статистика"),
        ("users", "Люди и роли"),
        ("grant", "Выдать роль: /grant ID роль"),
        ("revoke", "Забрать роль: /revoke ID"),
        ("invite", "Ссылка-приглашение: /invite роль"),
        ("diagnose", "Проверить GigaChat"),
    ],
}

START_STRANGER = (
    "Здравствуйте! Это бот каталога мест.\n\n"
    "Ваш Telegram ID: <code>{id}</code>\n"
    "Доступ выдаёт администратор: отправьте ему этот ID или попросите ссылку-приглашение."
)
ID_TEXT = "Ваш Telegram ID: <code>{id}</code>"
REFUSAL = "У вас пока нет доступа. Ваш Telegram ID: <code>{id}</code> — отправьте его администратору."
REFUSAL_CALLBACK = "Нет доступа. Попросите администратора выдать роль."
START_ROLE = {
    "admin": (
        "Здравствуйте, {name}! Вы администратор.\n\n"
        "• /users — люди и роли, /invite — ссылка-приглашение\n"
        "• /diagnose — проверить, работает ли GigaChat\n"
        "Подробнее — /help."
    ),
    "manager": ("Здравствуйте, {name}! Вы менеджер: вы загружаете в каталог файлы с местами.\nПодробнее — /help."),
    "moderator": "Здравствуйте, {name}! Вы модератор: вы проверяете отзывы о местах.\nПодробнее — /help.",
}
HELP_COMMON = "\n\n<b>Для всех</b>\n/id — ваш Telegram ID\n/cancel — отменить текущее действие"
HELP_ROLE = {
    "admin": (
        "<b>Администратор</b>\n"
        "/users — кто есть в боте и с какими ролями\n"
        "/grant 123456789 manager — выдать роль (manager, moderator, admin); можно ответить "
        "<code>/grant manager</code> на пересланное сообщение человека\n"
        "/revoke 123456789 — забрать роль\n"
        "/invite moderator — одноразовая ссылка-приглашение на 24 часа\n"
        "/diagnose — проверка ключа GigaChat, scope, модели, сертификатов и сети с советами, что исправить"
    ),
    "manager": (
        "<b>Менеджер</b>\n"
        "Пришлите файл с местами (.xlsx, .xlsm, .xlsb, .xls, .ods, .csv) — бот найдёт заголовки, покажет, "
        "какие колонки куда пойдут, и после «✅ Всё верно» импортирует: категории, недостающие описания, "
        "каталог без дубликатов — и пришлёт обогащённую книгу.\n"
        "/jobs — мои загрузки (прислать результат ещё раз, продолжить остановленную)\n"
        "/places кофейня — поиск по каталогу\n/export музеи — выгрузка каталога или категории\n"
        "/template — пример файла\n/categories — список категорий"
    ),
    "moderator": (
        "<b>Модератор</b>\n"
        "Пришлите или перешлите текст отзыва (или <code>/review текст</code>) — бот покажет тональность, оценку, "
        "краткое содержание, плюсы и минусы, аспекты и вердикт с причинами; кнопки «✅ Опубликовать», "
        "«❌ Отклонить», «📍 Привязать к месту».\n"
        "Файл с отзывами (.xlsx, .csv, .txt — по отзыву в строке) вернётся с анализом и листом «По местам».\n"
        "/summary кафе «Ромашка» — что говорят все отзывы о месте\n/queue — отзывы, ждущие решения\n"
        "/places кофейня — поиск по каталогу"
    ),
}
CANCELLED = "Отменено."
NOTHING_TO_CANCEL = "Сейчас нечего отменять."
UNKNOWN_COMMAND = "Не знаю такой команды. Список команд — /help."
ADMIN_ONLY = "Эта команда доступна только администраторам."
PLAIN_TEXT_HINT = "Не понял, что сделать с этим сообщением. Что умеет бот — /help."

KNOCK_ALERT = "🔔 Просит доступ: {who}, ID <code>{id}</code>. Выдать роль:"
BTN_ROLE = {"manager": "👤 Менеджер", "moderator": "🛡 Модератор", "admin": "👑 Администратор"}
GRANT_USAGE = (
    "Как выдать роль: <code>/grant ID роль</code>, например <code>/grant 123456789 manager</code>.\n"
    "Роли: manager (менеджер), moderator (модератор), admin (администратор).\n"
    "Можно ответить <code>/grant роль</code> на пересланное сообщение человека."
)
GRANT_HIDDEN_FORWARD = (
    "Человек скрыл свой аккаунт при пересылке, ID не виден. Попросите его отправить боту /id и выдайте роль по ID."
)
GRANTED = "Готово: {who} — {role}."
GRANTED_NOTICE = "Вам выдана роль «{role}». Что умеет бот — /help."
GRANT_CONFIG_ADMIN = "Этот человек — администратор из ADMIN_IDS; его роль меняется только в настройках."
REVOKE_USAGE = "Как забрать роль: <code>/revoke ID</code>, например <code>/revoke 123456789</code>."
REVOKE_SELF = "Нельзя забрать роль у самого себя."
REVOKED = "Готово: у {who} больше нет доступа."
REVOKED_NOTICE = "Ваш доступ к боту отозван."
INVITE_USAGE = "Как создать приглашение: <code>/invite роль</code>, например <code>/invite manager</code>."
INVITE_LINK = "Ссылка-приглашение для роли «{role}» — одноразовая, действует 24 часа:\n{link}"
INVITE_BAD = "Приглашение недействительно: оно уже использовано или устарело. Попросите у администратора новое."
INVITE_OK = "Добро пожаловать! Вам выдана роль «{role}». Что умеет бот — /help."
USERS_HEADER = "<b>Люди и роли</b>"
USERS_EMPTY = "Пока никого нет. Пригласите людей: /invite manager"
USERS_WAITING = "<b>Ждут доступа</b>"
USERS_FROM_SETTINGS = " (из ADMIN_IDS)"
NOBODY_NAME = "без имени"

ERROR_FOR_USER = (
    "Что-то пошло не так, запрос не выполнен. Код ошибки: <code>{error_id}</code> — "
    "сообщите его администратору, если повторится."
)
ERROR_FOR_ADMINS = "⚠️ Ошибка <code>{error_id}</code> у {who}: {error}"
ERROR_SUPPRESSED = "\n(ещё ошибок с прошлого уведомления: {count})"

DIAG_RUNNING = "Проверяю GigaChat…"
BTN_RETRY = "🔁 Повторить"

TOKEN_MISSING = (
    "Не задан BOT_TOKEN — токен Telegram-бота.\n"
    "Как получить: откройте в Telegram @BotFather, отправьте /newbot, задайте имя и username бота — "
    "BotFather пришлёт токен вида 123456789:AAE… Запишите его в .env: BOT_TOKEN=<токен> — и "
    "запустите бота снова.\n"
    "Без Telegram работают команды CLI: python -m bot diagnose."
)
TOKEN_MALFORMED = (
    "BOT_TOKEN задан, но не похож на токен бота (ожидается вид 123456789:AAE…, около 46 символов). "
    "Скопируйте токен из @BotFather заново."
)
TOKEN_REJECTED = "Telegram отклонил BOT_TOKEN ({error}). Проверьте токен в @BotFather (/mybots → API Token)."
CLI_USERS_HELP = "люди и роли: list, grant ID РОЛЬ, revoke ID"
CLI_USERS_LINE = "{id}\t{role}\t{name}"
CLI_USERS_EMPTY = "Пока никого нет."
CLI_GRANTED = "Готово: {id} — {role}."
CLI_REVOKED = "Готово: у {id} больше нет роли."


# --- Formatting helpers for Telegram -----------------------------------------------------------------

TELEGRAM_LIMIT = 4096


def split_message(text: str, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Split text into Telegram-sized parts at line breaks (a longer line is cut hard)."""
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            if current:
                parts.append(current)
                current = ""
            parts.append(line[:limit])
            line = line[limit:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            parts.append(current)
            current = line
        else:
            current = candidate
    if current or not parts:
        parts.append(current)
    return [p for p in parts if p.strip()] or [text[:limit]]
