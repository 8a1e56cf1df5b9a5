"""The rules' sentiment lexicon and aspects: polarity of a text and of its clauses, evidence, a summary."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.core.text import fold

# =============================================================================================
# Reviews
# =============================================================================================
#
# Moderation runs on three views of a review: the text as written (links, phones, e-mails, names),
# a "squeezed" view for obscenity (Latin look-alikes and digits turned into Cyrillic inside
# Cyrillic words, letters spaced out «х у й» / «б.л.я» joined, repeated letters collapsed, `*`
# read as "some letters"), and stems for sentiment and aspects. Obscenity is matched by roots
# anchored at the start of a word (after the usual prefixes), so «оскорблять», «страхуй» and
# «хлебать» stay clean. A clear-cut finding (obscenity, insult or threat, hate, contacts, ads,
# illegal offers) rejects the review at once and costs no GigaChat call.

LITTLE_DATA = "мало данных"
MIN_WORDS_FOR_SUMMARY = 4
MAX_SUMMARY = 250
MAX_POINTS = 3
MAX_EVIDENCE = 120

# Sentiment lexicon: stems (prefixes of normalised words). A «не»/«нет»/«ни» right before a word
# flips it: «не вкусно» is negative, «не плохо» positive.
POSITIVE_STEMS = (
    "отличн", "прекрасн", "замечательн", "вкусн", "уютн", "великолепн", "понрав", "рекоменд", "хорош",
    "приятн", "вежлив", "чист", "довол", "восторг", "супер", "класс", "шикарн", "любим", "лучш",
    "быстр", "внимательн", "дружелюбн", "свеж", "красив", "интересн", "удобн", "качествен", "ароматн",
    "спасиб", "благодар", "профессионал", "душевн", "атмосферн", "сочн", "молодц", "недорог", "доступн",
    "обожа", "идеальн", "потрясающ", "чудесн", "комфортн", "радушн", "улыбчив", "познавательн", "тих",
    "просторн", "нрав", "советую", "вернемся", "вернёмся", "придем", "придём", "топ", "кайф", "норм",
    "достойн", "щедр", "бесплатн", "гостеприимн", "заботлив", "порадовал", "впечатлил", "захватывающ",
)  # fmt: skip
NEGATIVE_STEMS = (
    "ужасн", "отвратит", "плох", "грязн", "хамск", "хамств", "хамил", "хамк", "груб", "невкусн", "холодн",
    "долг", "медленн", "дорог", "разочаров", "кошмар", "жутк", "противн", "вон", "тесн", "шумн",
    "неприятн", "испорчен", "несвеж", "тухл", "пересол", "недовол", "обсчита", "обман", "отрав",
    "таракан", "сломан", "равнодушн", "неуважит", "хуже", "худш", "жаль", "зря", "потрачен", "душн",
    "пыльн", "липк", "скучн", "сыр", "пригорел", "подгорел", "навязчив", "неудобн", "переплат",
    "ожидал большего", "безобраз", "позор", "отстой", "убог", "воняет", "вонял", "опоздал", "забыли",
    "перепутал", "игнорир", "не советую", "не рекомендую", "никогда больше", "ни ногой", "катастроф",
    "завышен", "облом", "дерьм", "мерзк", "гадк", "пресн", "жестк", "жёстк", "засохш", "черств",
)  # fmt: skip
_NEGATIONS = frozenset({"не", "нет", "ни", "без"})

ASPECT_STEMS: dict[str, tuple[str, ...]] = {
    "food": ("еда", "еду", "еде", "едой", "блюд", "кухн", "суп", "салат", "стейк", "пицц", "паст", "десерт",
             "мяс", "рыб", "порци", "меню", "завтрак", "обед", "ужин", "шашлык", "бургер", "выпечк", "торт",
             "пирож", "закуск", "гарнир", "роллы", "суши", "вкус"),
    "drinks": ("кофе", "чай", "чая", "напит", "вин", "пив", "коктейл", "сок", "лимонад", "капучино", "латте",
               "раф", "какао", "морс"),
    "service": ("обслуж", "сервис", "официант", "подач", "бармен", "заказ", "принесл", "счет", "счёт"),
    "price": ("цен", "дорог", "дешев", "дешёв", "недорог", "стоимост", "чек", "руб", "переплат", "бюджетн",
              "деньг", "прайс"),
    "atmosphere": ("атмосфер", "уют", "интерьер", "музык", "шум", "обстановк", "дизайн", "освещ", "тихо",
                   "тишин", "вид"),
    "cleanliness": ("чист", "грязн", "убор", "туалет", "санитар", "пыль", "пыльн", "таракан", "липк", "мусор",
                    "запах"),
    "location": ("располож", "добира", "парковк", "метро", "центр", "район", "найти", "остановк", "локаци",
                 "рядом"),
    "wait_time": ("ждал", "ждат", "ждем", "ждём", "ожидан", "долг", "очеред", "минут", "быстр", "медленн"),
    "rooms": ("номер", "комнат", "кроват", "душ", "ванн", "постел", "бель", "кондиционер", "матрас", "полотенц",
              "подушк", "балкон"),
    "staff": ("персонал", "сотрудник", "администратор", "ресепшн", "ресепшен", "горничн", "гид", "экскурсовод",
              "смотрител", "кассир", "хостес", "менеджер", "охранник"),
    "exhibits": ("экспонат", "экспозиц", "выставк", "коллекц", "картин", "экскурси", "зал", "скульптур",
                 "инсталляц", "артефакт"),
}  # fmt: skip
_ASPECT_RES = {name: re.compile("(?:" + "|".join(stems) + ")") for name, stems in ASPECT_STEMS.items()}
ASPECT_EXCLUDE = {"rooms": ("номер телефон", "номер карт"), "wait_time": ("долго не думая",)}
_CLAUSE_SPLIT_RE = re.compile(r"(?<=[.!?…;\n])\s*|,\s*(?=(?:но|а|однако|зато|хотя)\b)|\s+(?=(?:но|однако|зато)\b)")
_LEADING_CONJUNCTION_RE = re.compile(r"^(?:но|а|однако|зато|хотя|и)\s+", re.I)
_WORD_RE = re.compile(r"[а-яёa-z0-9]+")


@dataclass(frozen=True)
class AspectHit:
    """An aspect the review talks about, how, and the words that say it."""

    polarity: str
    evidence: str


def _words(text: str) -> list[str]:
    return _WORD_RE.findall(fold(text))


_NEGATIVE_PHRASES = tuple(s for s in NEGATIVE_STEMS if " " in s)
_NEGATIVE_WORD_RE = re.compile("(?:" + "|".join(s for s in NEGATIVE_STEMS if " " not in s) + ")")
_POSITIVE_WORD_RE = re.compile("(?:" + "|".join(POSITIVE_STEMS) + ")")


def _polarity_counts(text: str) -> tuple[int, int]:
    """(positive, negative) hits of the lexicon in a text, with negation."""
    joined = " ".join(_words(text))
    positive = negative = 0
    for phrase in _NEGATIVE_PHRASES:
        if phrase in joined:
            negative += 1
            joined = joined.replace(phrase, " ")
    words = joined.split()
    for n, word in enumerate(words):
        before = [w for w in words[max(0, n - 3) : n] if w not in _NEGATION_SKIP][-1:]
        flipped = bool(before) and before[0] in _NEGATIONS
        if _NEGATIVE_WORD_RE.match(word) and not word.startswith("нрав"):
            positive, negative = (positive + 1, negative) if flipped else (positive, negative + 1)
        elif _POSITIVE_WORD_RE.match(word):
            positive, negative = (positive, negative + 1) if flipped else (positive + 1, negative)
    return positive, negative


_TEMPLATE_RE = re.compile(
    r"(?P<label>достоинства|плюсы|недостатки|минусы|комментарий|отзыв|итог|общее впечатление)\s*:", re.I
)
_VERDICT_LABELS = frozenset({"комментарий", "отзыв", "итог", "общее впечатление"})
_CONTRAST_RE = re.compile(r"(?:^|[\s,;])(?:но|однако|зато|правда)\s", re.I)
_NEGATION_SKIP = frozenset({"очень", "слишком", "особо", "особенно", "совсем", "так", "сильно", "то", "всегда"})
CONTRAST_WEIGHT = 2.0  # what follows «но», «однако», «зато» usually decides


def _weighted_counts(text: str) -> tuple[float, float]:
    """(positive, negative) weights of a text: a review site's template by its verdict, contrast weighted."""
    parts = list(_TEMPLATE_RE.finditer(text))
    if len(parts) >= 2:
        sections = [
            (found.group("label").lower(), text[found.end() : parts[n + 1].start() if n + 1 < len(parts) else None])
            for n, found in enumerate(parts)
        ]
        verdicts = [body for label, body in sections if label in _VERDICT_LABELS]
        verdict = _contrasted(" ".join(verdicts)) if verdicts else (0.0, 0.0)
        if sum(verdict):
            return verdict  # the comment decides, not the length of the lists
        listed = [_contrasted(body) for label, body in sections if label not in _VERDICT_LABELS]
        return sum(p for p, _ in listed), sum(n for _, n in listed)
    return _contrasted(text)


def _contrasted(text: str) -> tuple[float, float]:
    pieces = _CONTRAST_RE.split(text)
    positive = negative = 0.0
    for n, piece in enumerate(pieces):
        p, q = _polarity_counts(piece)
        weight = CONTRAST_WEIGHT if n > 0 and n == len(pieces) - 1 else 1.0
        positive, negative = positive + weight * p, negative + weight * q
    return positive, negative


def sentiment_of(text: str) -> tuple[str, float, int]:
    """(sentiment, score from −1 to 1, rating estimate 1–5) from the lexicon."""
    positive, negative = _weighted_counts(text)
    total = positive + negative
    if total == 0:
        return "neutral", 0.0, 3
    score = round((positive - negative) / total * min(1.0, 0.5 + total / 4), 2)
    if positive and negative and min(positive, negative) / max(positive, negative) >= 0.34:
        sentiment = "mixed"
    elif score >= 0.2:
        sentiment = "positive"
    elif score <= -0.2:
        sentiment = "negative"
    else:
        sentiment = "neutral"
    rating = 3 if sentiment == "mixed" else max(1, min(5, round(3 + 2 * score)))
    return sentiment, score, rating


def clauses(text: str) -> list[str]:
    """The review split into short verbatim pieces: sentences, and their «…, но …» halves."""
    pieces = [_LEADING_CONJUNCTION_RE.sub("", p.strip(" ,;")) for p in _CLAUSE_SPLIT_RE.split(text) if p]
    return [p for p in pieces if _WORD_RE.search(p.lower())]


def _clause_polarity(clause: str) -> str:
    positive, negative = _polarity_counts(clause)
    if positive and negative:
        return "mixed"
    return "positive" if positive else "negative" if negative else "neutral"


def aspects_of(text: str) -> dict[str, AspectHit]:
    """The aspects a review mentions, each with its polarity and a verbatim quote (≤120 characters).

    A listing «уютно, персонал вежливый, кофе отличный» is read part by part; a part that says
    nothing good or bad on its own («Еда, которую принесли, была холодной») takes its clause's tone.
    """
    found: dict[str, AspectHit] = {}
    for clause in clauses(text):
        clause_polarity = _clause_polarity(clause)
        for part in (p.strip() for p in clause.split(",")):
            words = _words(part)
            lowered = " ".join(words)
            own = _clause_polarity(part)
            polarity, quote = (own, part) if own != "neutral" else (clause_polarity, clause)
            for aspect in ASPECT_STEMS:
                if aspect in found and found[aspect].polarity != "neutral":
                    continue
                if any(x in lowered for x in ASPECT_EXCLUDE.get(aspect, ())):
                    continue
                if any(_ASPECT_RES[aspect].match(word) for word in words):
                    found[aspect] = AspectHit(polarity, _evidence(quote))
    return found


def _evidence(clause: str) -> str:
    clause = clause.strip()
    return clause if len(clause) <= MAX_EVIDENCE else clause[:MAX_EVIDENCE].rsplit(" ", 1)[0]


def _points(text: str, polarity: str) -> list[str]:
    return [_evidence(c) for c in clauses(text) if _clause_polarity(c) == polarity][:MAX_POINTS]


ASPECT_LABELS_GENITIVE = {
    "food": "еду", "drinks": "напитки", "service": "обслуживание", "price": "цены", "atmosphere": "атмосферу",
    "cleanliness": "чистоту", "location": "расположение", "wait_time": "скорость", "rooms": "номера",
    "staff": "персонал", "exhibits": "экспозицию",
}  # fmt: skip
_SENTIMENT_PHRASES = {
    "positive": "Отзыв положительный.",
    "negative": "Отзыв отрицательный.",
    "mixed": "Отзыв смешанный.",
    "neutral": "Отзыв нейтральный.",
}


def rule_summary(text: str, sentiment: str, aspects: dict[str, AspectHit]) -> str:
    """A neutral summary made of what the review mentions; «мало данных» for a very short text."""
    if len(_words(text)) < MIN_WORDS_FOR_SUMMARY:
        return LITTLE_DATA
    praised = [ASPECT_LABELS_GENITIVE[a] for a, hit in aspects.items() if hit.polarity == "positive"]
    criticised = [ASPECT_LABELS_GENITIVE[a] for a, hit in aspects.items() if hit.polarity == "negative"]
    parts = [_SENTIMENT_PHRASES[sentiment]]
    if praised:
        parts.append(f"Хвалят {', '.join(praised)}.")
    if criticised:
        parts.append(f"Критикуют {', '.join(criticised)}.")
    return " ".join(parts)[:MAX_SUMMARY]
