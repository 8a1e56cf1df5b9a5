"""What is wrong with GigaChat and how to fix it: causes, credential findings, the shared repair prompts."""

from __future__ import annotations

from bot.core.errors import Cause

# --- GigaChat causes: (what is wrong, how to fix it) -------------------------------------------

KEY_WHERE = (
    "Ключ авторизации берётся в личном кабинете developers.sber.ru/studio: ваш проект GigaChat API → "
    "«Настройки API» → «Получить ключ». Это строка Base64 примерно из 100 символов."
)

CAUSES: dict[Cause, tuple[str, str]] = {
    Cause.MISSING_CREDENTIALS: (
        "Ключ GigaChat не задан — бот работает без GigaChat, на офлайн-правилах.",
        f"{KEY_WHERE} Запишите его в .env: GIGACHAT_CREDENTIALS=<ключ авторизации>.",
    ),
    Cause.CLIENT_ID_ONLY: (
        "Вместо ключа авторизации указан одиночный UUID — это Client ID или Client Secret, а не ключ.",
        f"{KEY_WHERE} Запишите его в GIGACHAT_CREDENTIALS. Либо задайте пару GIGACHAT_CLIENT_ID и "
        "GIGACHAT_CLIENT_SECRET — оба UUID из того же раздела.",
    ),
    Cause.ACCESS_TOKEN_AS_KEY: (
        "Указан токен доступа (access token): он живёт 30 минут, это не постоянный ключ.",
        f"{KEY_WHERE} Токены бот получает и обновляет сам.",
    ),
    Cause.INVALID_KEY_FORMAT: (
        "Значение не похоже ни на одну форму ключа GigaChat.",
        f"Скопируйте ключ заново целиком, без лишних символов. {KEY_WHERE}",
    ),
    Cause.CLIENT_ID_MISMATCH: (
        "Client ID в GIGACHAT_CLIENT_ID не совпадает с Client ID внутри ключа авторизации.",
        "Возьмите Client ID и ключ из одного проекта — или уберите GIGACHAT_CLIENT_ID: ключа достаточно.",
    ),
    Cause.BAD_SCOPE: (
        "Неизвестное значение GIGACHAT_SCOPE.",
        "Укажите GIGACHAT_SCOPE=GIGACHAT_API_PERS (физлица, бесплатный пакет), GIGACHAT_API_B2B "
        "(ИП и юрлица, предоплата) или GIGACHAT_API_CORP (юрлица, постоплата).",
    ),
    Cause.AUTH_REJECTED: (
        "Сервер авторизации отклонил ключ (401, код 6): такого ключа нет — он неверный, "
        "перевыпущен или скопирован не тот.",
        "Сгенерируйте новый ключ авторизации в личном кабинете и замените старый. "
        "Убедитесь, что скопирован ключ авторизации, а не Client Secret.",
    ),
    Cause.SCOPE_MISMATCH: (
        "Ключ не подходит к указанному scope (400, код 7).",
        "Укажите в GIGACHAT_SCOPE тот scope, что указан у проекта в личном кабинете: физлица — "
        "GIGACHAT_API_PERS, ИП и юрлица — GIGACHAT_API_B2B или GIGACHAT_API_CORP.",
    ),
    Cause.KEY_UNDECODABLE: (
        "Сервер авторизации не смог декодировать ключ (400, код 4): ключ повреждён или обрезан.",
        f"Скопируйте ключ авторизации заново целиком. {KEY_WHERE}",
    ),
    Cause.TLS_UNTRUSTED: (
        "Сертификат сервера GigaChat не принят: в системе нет корневого сертификата "
        "Минцифры (Russian Trusted Root CA).",
        "Скачайте «Russian Trusted Root CA» (gosuslugi.ru/crt), сохраните как russian_trusted_root_ca.pem "
        "и укажите путь в GIGACHAT_CA_BUNDLE_FILE — или установите сертификат в системное хранилище. "
        "Отключать проверку (GIGACHAT_VERIFY_SSL=false) можно только для разработки.",
    ),
    Cause.SSL_VERIFICATION_DISABLED: (
        "Проверка TLS-сертификатов отключена (GIGACHAT_VERIFY_SSL=false).",
        "Для работы в production включите проверку и укажите GIGACHAT_CA_BUNDLE_FILE с Russian Trusted Root CA.",
    ),
    Cause.NETWORK: (
        "Нет соединения с сервером GigaChat.",
        "Проверьте доступ в интернет и прокси, адреса GIGACHAT_BASE_URL и GIGACHAT_AUTH_URL.",
    ),
    Cause.TIMEOUT: (
        "GigaChat не ответил вовремя.",
        "Повторите позже или увеличьте GIGACHAT_TIMEOUT (секунды).",
    ),
    Cause.MODEL_NOT_FOUND: (
        "Модель не найдена.",
        "Укажите в GIGACHAT_MODEL одну из доступных моделей (их список показывает диагностика).",
    ),
    Cause.PAYMENT_REQUIRED: (
        "Токены закончились (402): пакет или баланс исчерпан.",
        "Пополните баланс или дождитесь обновления бесплатного пакета в личном кабинете.",
    ),
    Cause.FORBIDDEN: (
        "Доступ запрещён (403).",
        "Проверьте, что у проекта есть доступ к этой модели и что GIGACHAT_SCOPE указан верно.",
    ),
    Cause.RATE_LIMITED: (
        "Слишком много запросов (429).",
        "Персональный ключ даёт один поток запросов: проверьте, не запущена ли вторая копия бота, "
        "и оставьте GIGACHAT_MAX_CONCURRENCY=1.",
    ),
    Cause.SERVER_ERROR: (
        "Сервер GigaChat ответил ошибкой (5xx).",
        "Это сбой на стороне GigaChat — повторите позже.",
    ),
    Cause.BAD_REQUEST: (
        "GigaChat отклонил запрос как неверный.",
        "Обновите бота; если ошибка повторяется, сообщите разработчикам.",
    ),
    Cause.INVALID_ANSWER: (
        "GigaChat ответил в неверном формате.",
        "Обычно это разовый сбой; строки обработаны офлайн-правилами.",
    ),
    Cause.BLACKLISTED: (
        "GigaChat отказался обрабатывать этот текст (фильтр содержания).",
        "Текст нужно проверить вручную.",
    ),
    Cause.TOO_LARGE: (
        "Запрос слишком большой для GigaChat (413).",
        "Бот сам делит такие запросы на части; если ошибка повторяется, сообщите разработчикам.",
    ),
    Cause.FUNCTIONS_UNSUPPORTED: (
        "Модель не поддерживает вызов функций (422): бот не получит от неё структурированных ответов.",
        "Укажите в GIGACHAT_MODEL модель, которая умеет вызывать функции: GigaChat-2, GigaChat-2-Pro "
        "или GigaChat-2-Max.",
    ),
    Cause.EMBEDDINGS_MODEL: (
        "В GIGACHAT_MODEL указана модель эмбеддингов — она не отвечает в чате.",
        "Укажите чат-модель: GigaChat-2, GigaChat-2-Pro или GigaChat-2-Max.",
    ),
    Cause.UNEXPECTED: (
        "Непредвиденная ошибка при обращении к GigaChat.",
        "Повторите позже; если ошибка повторяется, сообщите разработчикам номер запроса из журнала.",
    ),
}


def cause_text(cause: Cause) -> str:
    """Return the one-line Russian explanation of a cause."""
    return CAUSES[cause][0]


def cause_fix(cause: Cause) -> str:
    """Return the Russian fix for a cause."""
    return CAUSES[cause][1]


# --- Credential findings -----------------------------------------------------------------------

CRED_FORM_TITLES: dict[str, str] = {
    "authorization_key": "ключ авторизации (Base64 от Client ID:Client Secret)",
    "uuid_pair": "пара Client ID:Client Secret без кодирования",
    "client_id_only": "одиночный UUID (Client ID или Client Secret)",
    "id_and_secret": "Client ID + Client Secret",
    "id_and_key": "Client ID + ключ авторизации",
    "base64_unknown": "Base64 неизвестного содержания",
    "access_token": "токен доступа (access token)",
    "invalid": "нераспознанное значение",
    "missing": "не задан",
}

CRED_OK_KEY = "{var}: ключ авторизации, отправляется как есть."
CRED_UUID_PAIR = (
    "{var}: указана пара Client ID:Client Secret без кодирования — бот сам закодировал её в Base64. "
    "Можно оставить так или записать готовый ключ авторизации."
)
CRED_ID_AND_SECRET = "GIGACHAT_CLIENT_ID + GIGACHAT_CLIENT_SECRET: ключ авторизации собран из пары."
CRED_ID_AND_KEY = (
    "GIGACHAT_CLIENT_SECRET содержит готовый ключ авторизации — используется он; "
    "GIGACHAT_CLIENT_ID нужен только для сверки."
)
CRED_ID_MISMATCH = "Client ID внутри ключа ({inside}) не совпадает с GIGACHAT_CLIENT_ID ({given}). Используется ключ."
CRED_SECRET_ONLY_KEY = "GIGACHAT_CLIENT_SECRET содержит ключ авторизации — используется он."
CRED_SECRET_ONLY_UUID = "Задан только GIGACHAT_CLIENT_SECRET (UUID) — без GIGACHAT_CLIENT_ID ключ не собрать."
CRED_ID_ONLY = "Задан только GIGACHAT_CLIENT_ID — это не ключ, нужен ещё Client Secret или ключ авторизации."
CRED_ID_NOT_UUID = "GIGACHAT_CLIENT_ID должен быть UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx), а в нём: {problem}."
CRED_SWAPPED = (
    "В GIGACHAT_CLIENT_ID записан ключ авторизации, а не Client ID — используется этот ключ; "
    "переложите его в GIGACHAT_CREDENTIALS."
)
CRED_BASE64_UNKNOWN = (
    "{var}: это Base64, но внутри не «Client ID:Client Secret» — ключ будет отправлен как есть, "
    "но, скорее всего, это не то значение."
)
CRED_CLIENT_ID_ONLY = "{var}: одиночный UUID — это Client ID или Client Secret, а не ключ авторизации."
CRED_ACCESS_TOKEN = "{var}: это токен доступа, который живёт 30 минут, а не ключ авторизации."
CRED_URLSAFE = "{var}: ключ был в варианте Base64 для URL (символы «-» и «_») — бот привёл его к обычному."
CRED_PADDING = "{var}: в конце ключа не хватало «=» — бот дописал их. Проверьте, что ключ скопирован целиком."
CRED_NEWLINE_INSIDE = (
    "{var}: внутри ключа после декодирования лишние пробелы или перевод строки "
    "(ключ кодировали вручную через echo?) — бот убрал их."
)
CRED_TRUNCATED = (
    "{var}: ключ обрезан — внутри только {got} из 73 символов «Client ID:Client Secret». Скопируйте его заново целиком."
)
CRED_BAD_CHAR = "{var}: символ {pos} — {char}; в ключе могут быть только латинские буквы, цифры и + / =."
CRED_BAD_LENGTH = "{var}: длина {length} символов невозможна для Base64 — ключ обрезан или в нём лишние символы."
CRED_JUNK = "{var}: значение не декодируется ни как ключ авторизации, ни как UUID."
CRED_CLEANED = "{var}: из значения убраны {what}."
CRED_MISSING = "Ни одна из переменных GIGACHAT_CREDENTIALS, GIGACHAT_API_KEY, GIGACHAT_CLIENT_ID/SECRET не задана."
CRED_WINS = "Заданы {names}; используется {winner}."
CRED_DISAGREE = "{other} задан, но отличается от {winner} и не используется: {why}"
CRED_IGNORED_SAME = "{other} совпадает с {winner}."

CLEANED_PARTS: dict[str, str] = {
    "quotes": "кавычки",
    "spaces": "пробелы и переводы строк",
    "invisible": "невидимые символы (неразрывные пробелы, символы нулевой ширины)",
    "basic": "префикс «Basic »",
    "assignment": "приставка «ИМЯ=»",
}


# --- GigaChat prompts shared by every structured call -------------------------------------------

LLM_REPAIR = (
    "Предыдущий ответ не прошёл проверку: {problem}. Вызови функцию ещё раз с исправленными "
    "аргументами строго по схеме."
)
LLM_TOO_LONG = "ответ оборвался по длине — отвечай короче"
LLM_ITEMS_MISSING = "в аргументах нет списка items — верни по одному элементу на каждый id из данных"
