"""The diagnose report: check titles and details, the plain-text report, and the command line's own lines."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

# --- Diagnose ------------------------------------------------------------------------------------

DIAG_TITLES: dict[str, str] = {
    "env": "Переменные",
    "credentials": "Ключ GigaChat",
    "client_id": "Client ID",
    "scope": "Scope",
    "model": "Модель",
    "ssl": "Проверка сертификатов",
    "ca_bundle": "Корневой сертификат",
    "host": "Адреса API",
    "versions": "Версии",
    "oauth": "Токен (OAuth)",
    "models": "Список моделей",
    "completion": "Тестовый запрос",
    "functions": "Вызов функций",
    "balance": "Баланс",
    "fallback_host": "Другой адрес API",
}
STATUS_ICONS = {"ok": "✅", "warn": "⚠️", "fail": "❌", "skip": "⏭"}

DIAG_HEADER = "Диагностика GigaChat"
DIAG_HEADER_OFFLINE = "Диагностика GigaChat (только настройки, без обращения к серверу)"
DIAG_FIX_HEADER = "Что исправить:"
DIAG_ALL_GOOD = "Всё в порядке: GigaChat готов к работе."
DIAG_OFFLINE_GOOD = "Настройки в порядке. Запустите без --offline, чтобы проверить связь с GigaChat."
DIAG_ENV_NONE = "ни одна переменная ключа не задана (файл .env не найден или пуст)"
DIAG_ENV_SET = "заданы {names}; используется {winner}"
DIAG_CLIENT_ID = "Client ID в ключе: {client_id}"
DIAG_CLIENT_ID_UNKNOWN = "нечего сверять"
DIAG_SCOPE_BAD = "«{scope}» — такого scope нет."
DIAG_SCOPE_OK: dict[str, str] = {
    "GIGACHAT_API_PERS": "GIGACHAT_API_PERS — физлица; потоков запросов: {streams}",
    "GIGACHAT_API_B2B": "GIGACHAT_API_B2B — ИП и юрлица, предоплата; потоков запросов: {streams}",
    "GIGACHAT_API_CORP": "GIGACHAT_API_CORP — юрлица, постоплата; потоков запросов: {streams}",
}
DIAG_MODEL_UNKNOWN = "«{model}» — незнакомое имя (известные: {known}); проверка на сервере покажет, есть ли она."
DIAG_SSL_ON = "включена"
DIAG_CA_NOT_NEEDED = "не нужен: проверка сертификатов отключена"
DIAG_CA_IN_STORE = "Russian Trusted Root CA есть в хранилище сертификатов"
DIAG_CA_NOT_SET = (
    "GIGACHAT_CA_BUNDLE_FILE не задан, а в хранилище сертификатов нет Russian Trusted Root CA — "
    "серверы Сбера могут не пройти проверку."
)
DIAG_CA_PROVEN = "соединение с API установлено, сертификат принят"
DIAG_CA_MISSING = "файл {path} не найден."
DIAG_CA_NOT_PEM = "файл {path} не похож на сертификат в формате PEM (нет блока BEGIN CERTIFICATE)."
DIAG_CA_OK = "{path}: сертификатов — {count}"
DIAG_CA_NO_RUSSIAN = "(Russian Trusted Root CA среди них не найден)"
DIAG_HOST = "API: {base}; OAuth: {auth}"
DIAG_HOST_NO_VERSION = "Адрес API обычно оканчивается на /api/v1 или /v1."
DIAG_SKIP_CONFIG = "пропущено: сначала исправьте настройки выше"
DIAG_SKIP_NO_TOKEN = "пропущено: нет токена"
DIAG_SKIP_API = "пропущено: API недоступен"
DIAG_SKIP_MODEL = "пропущено: модель не найдена"
DIAG_TOKEN_OK = "получен за {s:.2f} с, действует до {until}"
DIAG_MODELS_OK = "«{model}» доступна; модели для чата: {models}"
DIAG_MODELS_MISSING = "модели «{model}» нет среди доступных: {models}"
DIAG_MODELS_FIX = "Укажите в GIGACHAT_MODEL одну из доступных моделей, например GIGACHAT_MODEL={first}."
DIAG_PROMPT = "Ответь одним словом: работает?"
DIAG_COMPLETION_OK = "ответ за {s:.2f} с, токенов: {tokens}, модель {model}: «{reply}»"
DIAG_BALANCE_POSTPAID = "не применимо: постоплата (сервер ответил 403)"
DIAG_BALANCE_NONE = "сервер не вернул остатков"
DIAG_BALANCE_EMPTY = "токены закончились: {parts}"
DIAG_FALLBACK_NONE = "других адресов для проверки нет"
DIAG_FALLBACK_WORKS = "адрес {url} работает с этим ключом"
DIAG_FALLBACK_FIX = "Укажите в .env GIGACHAT_BASE_URL={url}"
DIAG_FALLBACK_FAILED = "другие адреса тоже не отвечают: {urls}"
DIAG_ENV_IGNORED = "Бот не читает {names}: эти настройки SDK задаются только переменными из README."
DIAG_ENV_IGNORED_FIX = "Уберите из окружения и .env переменные GIGACHAT_*, которых нет в README (.env.example)."
DIAG_CA_UNUSED = "{path} задан, но не используется: проверка сертификатов отключена"
DIAG_MODEL_EMBEDDINGS = "«{model}» — модель эмбеддингов: она превращает текст в векторы и не отвечает в чате."
DIAG_SKIP_EMBEDDINGS = "пропущено: модель эмбеддингов не отвечает в чате"
DIAG_SKIP_COMPLETION = "пропущено: тестовый запрос не прошёл"
DIAG_SKIP_BUSY = "пропущено: GigaChat занят"
DIAG_PING_DESCRIPTION = "Проверка связи: верни одно слово."
DIAG_PING_FIELD = "слово «работает»"
DIAG_PING_PROMPT = "Вызови функцию ping и передай в reply слово «работает»."
DIAG_FUNCTIONS_OK = "функция вызвана за {s:.2f} с"
DIAG_FUNCTIONS_TEXT = (
    "модель ответила текстом вместо вызова функции: структурированные ответы (разметка колонок, категории) "
    "будут ненадёжны."
)
DIAG_BUSY = "GigaChat занят (429): ключ сейчас обслуживает другие запросы — например, идущую обработку файла."
DIAG_BUSY_FIX = (
    "Повторите диагностику, когда задачи закончатся. Если GigaChat «занят», а бот ничего не обрабатывает, "
    "проверьте, не запущена ли вторая копия бота с тем же ключом."
)


def format_diagnose(checks: Sequence[tuple[str, str, str, str | None]], *, offline: bool) -> str:
    """Render (status, title, detail, fix) rows as the plain-text report with numbered fixes."""
    lines = [DIAG_HEADER_OFFLINE if offline else DIAG_HEADER, ""]
    lines += [f"{STATUS_ICONS[status]} {title}: {detail}" for status, title, detail, _ in checks]
    fixes: list[str] = []
    for wanted in ("fail", "warn"):
        for status, _, _, fix in checks:
            if status == wanted and fix and fix not in fixes:
                fixes.append(fix)
    lines.append("")
    if fixes:
        lines.append(DIAG_FIX_HEADER)
        lines += [f"{n}. {fix}" for n, fix in enumerate(fixes, start=1)]
    else:
        lines.append(DIAG_OFFLINE_GOOD if offline else DIAG_ALL_GOOD)
    return "\n".join(lines)


# --- Command line --------------------------------------------------------------------------------

CLI_DESCRIPTION = "Бот каталога мест: импорт Excel, описания GigaChat, модерация отзывов."
CLI_RUN_HELP = "запустить Telegram-бота (по умолчанию)"
CLI_DIAGNOSE_HELP = "проверить настройки GigaChat и связь с ним"
CLI_OFFLINE_HELP = "только настройки, без обращения к серверу"
CLI_JSON_HELP = "вывести результат одним JSON-объектом"
CONFIG_ERROR = "Ошибка в настройках (.env или переменные окружения):\n{error}"


def format_diagnose_html(checks: Sequence[tuple[str, str, str, str | None]]) -> str:
    """Render the diagnose report for Telegram (HTML, every value escaped)."""
    lines = [f"<b>{DIAG_HEADER}</b>", ""]
    lines += [f"{STATUS_ICONS[s]} <b>{escape(title)}</b>: {escape(detail)}" for s, title, detail, _ in checks]
    fixes: list[str] = []
    for wanted in ("fail", "warn"):
        fixes += [fix for s, _, _, fix in checks if s == wanted and fix and fix not in fixes]
    lines.append("")
    if fixes:
        lines.append(f"<b>{DIAG_FIX_HEADER}</b>")
        lines += [f"{n}. {escape(fix)}" for n, fix in enumerate(fixes, start=1)]
    else:
        lines.append(DIAG_ALL_GOOD)
    return "\n".join(lines)
