"""Review rules, used before GigaChat, to check it, and instead of it.

Obscenity (with its disguises), insults, hate, ads and contacts, personal data and its masking, a
stated rating, a sentiment lexicon and aspects; the moderation verdict without GigaChat.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

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
from bot.core.text import fold
from bot.reviews.sentiment import (
    AspectHit,
    _points,
    aspects_of,
    rule_summary,
    sentiment_of,
)

SENTIMENTS = ("positive", "neutral", "negative", "mixed")
VERDICTS = ("approve", "needs_review", "reject")
MODEL_REASONS = (
    "profanity", "insult_threat", "hate", "spam_ads", "personal_data", "off_topic", "suspected_fake",
    "rating_mismatch", "illegal",
)  # fmt: skip
# The bot's own reasons, never asked of GigaChat: «похоже на отклонённый отзыв №N».
REVIEW_REASONS = (*MODEL_REASONS, "like_rejected")
ASPECTS = (
    "food", "drinks", "service", "price", "atmosphere", "cleanliness", "location", "wait_time", "rooms",
    "staff", "exhibits",
)  # fmt: skip
POLARITIES = ("positive", "negative", "neutral", "mixed")
CLEAR_CUT = frozenset({"profanity", "insult_threat", "hate", "spam_ads", "illegal"})

# Look-alikes inside a Cyrillic word: «xyй», «бл@дь», «пи3дец», «ё6аный».
_LOOKALIKES = str.maketrans(
    {"a": "а", "c": "с", "e": "е", "o": "о", "p": "р", "x": "х", "y": "у", "k": "к", "m": "м", "t": "т",
     "h": "н", "b": "ь", "u": "и", "n": "п", "z": "з", "3": "з", "0": "о", "6": "б", "4": "ч", "@": "а", "$": "с",
     "ё": "е"}
)  # fmt: skip
_INVISIBLE_RE = re.compile("[\u00ad\u200b-\u200f\u2060\ufeff]")
_TOKEN_RE = re.compile(r"[\w*@$]+")
_SPACED_RE = re.compile(r"(?<![\w*@$])[\w*@$](?:[ .\-_,·]{1,3}[\w*@$](?![\w*@$])){2,}")
_REPEATS_RE = re.compile(r"(\w)\1+")
_CYRILLIC_ANY_RE = re.compile(r"[а-яё]", re.I)

_MAT_PREFIX = r"(?:за|вы|у|на|по|от|отъ|съ|с|раз|разъ|про|под|подъ|до|об|объ|недо|пере|при|а|о|ни|в|вз|въ)?"
# Roots at the start of a (prefixed) word. Each alternative was checked against common words:
# «небо», «хлеб», «корабля», «мудрый», «сукно», «мандарин», «херсон» do not match.
PROFANITY_PATTERNS = tuple(
    re.compile(p)
    for p in (
        rf"^{_MAT_PREFIX}ху[йеяюи]",
        rf"^{_MAT_PREFIX}пизд",
        rf"^{_MAT_PREFIX}[её]б(?:а|у|и|ну|л|ок|ыр|ош|еш|ет|ен|ч)",
        r"^долбо[её]б",
        r"^бля(?:д|т|$)|^блад[ьи]",
        r"^сук(?:а|и|у|ой|ам|ами|ах|ин|ины|ино)?$",
        r"^суч(?:ар|ий|ья|ье|ка|ки|ку|кой|ек)",
        r"^муд(?:ак|ач|ил|озвон|охал)",
        r"^залуп",
        r"^г[ао]нд[ао]н",
        r"^манд(?:а|у|ой|ы|ец)$",
        r"^шлюх",
        r"^(?:на|по|ни)?хер(?:а|ня|ни|ней|ово|ов|ом)?$",
        r"^пид[оа]р",
    )
)
# The same, written in Latin letters by sound.
PROFANITY_LATIN_RE = re.compile(
    r"\b(?:blya[dt]?|blyat|bljad|pizd\w*|nahu[iy]|pohu[iy]|xu[iyj]|hu[iy]|huy\w+|eba[tl]\w*|suka|mudak\w*)\b"
)
# Whole words a `*` disguise may stand for: «х*й», «п***ц», «бл*дь», «е**ть».
_CENSORED_VOCABULARY = (
    "хуй", "хуя", "хуе", "хуи", "хую", "хуйня", "хуево", "нахуй", "похуй", "пизда", "пизды", "пизде",
    "пизду", "пиздец", "пиздато", "спиздили", "блядь", "блять", "бляди", "бля", "ебать", "ебаный",
    "ебанутый", "ебал", "заебал", "заебали", "наебали", "уебок", "долбоеб", "сука", "суки", "сучка",
    "мудак", "мудаки", "мудила", "залупа", "гандон", "гондон", "пидор", "пидорас", "шлюха", "нахер",
)  # fmt: skip

INSULT_RE = re.compile(
    r"\b(?:идиот\w*|дебил\w*|кретин\w*|придур\w*|ублюд\w*|мраз\w*|твар(?:ь|и|ей|ью)|быдл\w*|"
    r"урод(?:ы|ов|а|ам|ами|ина|ины)?|дура(?:к|ки|ков|ком|чье|чина)?|чмо\w*|лох(?:и|ов|ам|а)?|скотин\w*|"
    r"имбецил\w*|олигофрен\w*|недоум\w*|тупиц\w*|тупорыл\w*|дебильн\w*|козл(?:ы|ов|ина|ины))\b"
)
THREAT_RE = re.compile(
    r"\b(?:убью|убьем|убьём|прибью|зарежу|застрелю|сожгу|подожгу|взорву|урою|закопаю|порешу|"
    r"сдохн(?:и|ите|ете|ёте|ешь)|ноги переломаю|голову оторву|вам не жить|пожалеете)\b"
)
HATE_RE = re.compile(
    r"\b(?:чурк\w*|хач(?:и|ей|ам|ами|ик\w*)?|жид(?:ы|ов|ам|ами|овск\w*)?|черножоп\w*|нерус\w*|"
    r"понаехавш\w*|пидор\w*|педик\w*|хохл\w*|узкоглаз\w*|обезьян[ыа] черн\w*)\b"
)
ILLEGAL_RE = re.compile(
    r"\b(?:закладк\w*|мефедрон\w*|гашиш\w*|амфетамин\w*|кокаин\w*|спайс\w*|героин\w*|"
    r"продам (?:права|диплом|паспорт)|купить (?:права|диплом)|обнал\w*)\b"
)
LINK_RE = re.compile(
    r"(?:https?://|www\.)\S+|\bt\.me/\S+|"
    r"\b[a-zа-я0-9][a-zа-я0-9\-]*\.(?:ru|рф|com|net|org|su|info|io|me|site|online|shop|store|club|pro|biz)\b(?:/\S*)?",
    re.I,
)
HANDLE_RE = re.compile(r"(?<![\w.])@[A-Za-z][\w]{3,}")
EMAIL_RE = re.compile(
    r"\b[\w.+\-]+\s*(?:@|\(at\)|\[at\]|\s собака\s)\s*[\w\-]+(?:\s*(?:\.|\sточка\s)\s*[\w\-]+)+\b", re.I
)
PHONE_RE = re.compile(
    r"(?<![\d\w])(?:\+\s?7|8|7)[\s\-.]*\(?\s*\d{3}\s*\)?[\s\-.]*\d{3}[\s\-.]*\d{2}[\s\-.]*\d{2}(?!\d)"
    r"|(?<![\d\w\-])\d{3}-\d{2}-\d{2}(?![\d\-])"
)
PROMO_RE = re.compile(
    r"промо[\s\-]?код\w*|\bпо коду\b|\bкупон\w*|скидк\w* по код\w*|\bкод на скидку\b|\bpromo\s?code\b", re.I
)
AD_CUE_RE = re.compile(
    r"\b(?:пишите|пиши|звоните|звони|обращайтесь|заказывайте|подписывайтесь|переходите|жмите|"
    r"в лс|в личку|в личные сообщения|в директ|в (?:вотсап|ватсап|whatsapp|телеграм|telegram|тг|вайбер|viber)|"
    r"наш канал|наш сайт|заработ\w* (?:на дому|без вложений|онлайн)|скидк\w* \d+ ?%|"
    r"акция|бесплатная доставка по|оптом)\b",
    re.I,
)
_SURNAME = r"[А-ЯЁ][а-яё]+(?:ов|ев|ёв|ин|ын|ский|цкий|ова|ева|ёва|ина|ына|ская|цкая|енко|ук|юк|ян|дзе|швили|их|ых)"
_NAME = r"[А-ЯЁ][а-яё]{1,15}"
_PATRONYMIC = r"[А-ЯЁ][а-яё]+(?:ович|евич|ьич|ична|овна|евна|инична)"
FULL_NAME_RE = re.compile(
    rf"\b(?:{_SURNAME}\s+{_NAME}\s+{_PATRONYMIC}|{_NAME}\s+{_PATRONYMIC}\s+{_SURNAME}|"
    rf"{_SURNAME}\s+{_NAME}(?=\s*[,.!?;:)]|\s+[а-яё])|{_SURNAME}\s+[А-ЯЁ]\.\s?[А-ЯЁ]\.|[А-ЯЁ]\.\s?[А-ЯЁ]\.\s?{_SURNAME})"
)
# Words that look like a surname + name pair but are a place or a brand, not a person.
_NOT_PEOPLE = ("Пушкинский", "Русский", "Эрмитаж", "Петровский", "Московский", "Гостиный", "Кремлевский")

STATED_RATING_RE = re.compile(
    r"(?P<a>[1-5])\s*(?:звезд\w*|звёзд\w*|зв\.|\*|★|⭐)"
    r"|(?:оценк\w*|ставлю|рейтинг|балл\w*)\s*[:\-—]?\s*(?P<b>[1-5])(?:\s*(?:/|из)\s*5)?\b"
    r"|(?<![\d/])(?P<c>[1-5])\s*(?:/|из)\s*5\b"
    r"|(?P<stars>[★⭐]{1,5})"
    r"|ставлю\s+(?P<word>единиц\w*|кол\w*|двойк\w*|тройк\w*|четверк\w*|четвёрк\w*|пятерк\w*|пятёрк\w*)",
    re.I,
)
_RATING_WORDS = {"единиц": 1, "кол": 1, "двойк": 2, "тройк": 3, "четверк": 4, "четвёрк": 4, "пятерк": 5, "пятёрк": 5}


@dataclass(frozen=True)
class Finding:
    """One thing the rules found: why it matters and the fragment of the text."""

    reason: str
    fragment: str
    kind: str  # e.g. "obscenity", "phone", "email", "link", "promo", "name", "insult"


@dataclass
class RuleAnalysis:
    """Everything the deterministic layer can say about one review."""

    sentiment: str
    score: float
    rating: int
    summary: str
    pros: list[str]
    cons: list[str]
    aspects: dict[str, AspectHit]
    verdict: str
    reasons: list[str]
    masked_text: str
    findings: list[Finding] = field(default_factory=list)
    stated_rating: int | None = None
    text_sentiment: str | None = None  # what the text alone says, when a stated rating decided `sentiment`

    @property
    def clear_cut(self) -> bool:
        """True when the rules reject the review on their own and GigaChat need not be asked."""
        return self.verdict == "reject"

    @property
    def never_approve(self) -> bool:
        """Obscenity, a phone or an e-mail: whatever GigaChat says, the review is not approved."""
        return any(f.kind in {"obscenity", "phone", "email"} for f in self.findings) or self.verdict == "reject"


def squeeze_word(word: str) -> str:
    """Undo the usual disguises in one word: look-alikes, invisible characters, repeated letters."""
    word = _INVISIBLE_RE.sub("", word.lower())
    if _CYRILLIC_ANY_RE.search(word) or "*" in word:
        word = word.translate(_LOOKALIKES)
    return word


def obscene_words(text: str) -> list[str]:
    """Return the fragments of the text that are Russian obscenity, disguised or not."""
    clean = _INVISIBLE_RE.sub("", unicodedata.normalize("NFKC", text))
    lowered = clean.lower()
    candidates = [(m.group(0), m.group(0)) for m in _TOKEN_RE.finditer(lowered)]
    for found in _SPACED_RE.finditer(lowered):
        joined = re.sub(r"[ .\-_,·]", "", found.group(0))
        candidates.append((found.group(0), joined))
    hits: list[str] = []
    for fragment, word in candidates:
        if _is_obscene(squeeze_word(word)) and fragment not in hits:
            hits.append(fragment)
    hits.extend(m.group(0) for m in PROFANITY_LATIN_RE.finditer(lowered) if m.group(0) not in hits)
    return hits


def _is_obscene(word: str) -> bool:
    if "*" in word:
        letters = word.replace("*", "")
        if len(letters) < 1 or not _CYRILLIC_ANY_RE.search(letters) or len(word) < 3:
            return False
        pattern = re.compile("".join(".{1,4}" if ch == "*" else re.escape(ch) for ch in _collapse_stars(word)))
        return any(pattern.fullmatch(v) for v in _CENSORED_VOCABULARY)
    if not _CYRILLIC_ANY_RE.search(word):
        return False
    forms = {word, _REPEATS_RE.sub(r"\1", word)}
    return any(p.search(form) for p in PROFANITY_PATTERNS for form in forms)


def _collapse_stars(word: str) -> str:
    return re.sub(r"\*+", "*", word)


def find_problems(text: str) -> list[Finding]:
    """Every moderation finding of the rules, in the order of the fixed reasons."""
    lowered = fold(unicodedata.normalize("NFKC", text))
    findings = [Finding("profanity", w, "obscenity") for w in obscene_words(text)]
    findings += [Finding("insult_threat", m.group(0), "insult") for m in INSULT_RE.finditer(lowered)]
    findings += [Finding("insult_threat", m.group(0), "threat") for m in THREAT_RE.finditer(lowered)]
    findings += [Finding("hate", m.group(0), "hate") for m in HATE_RE.finditer(lowered)]
    findings += [Finding("illegal", m.group(0), "illegal") for m in ILLEGAL_RE.finditer(lowered)]
    emails = [m.group(0) for m in EMAIL_RE.finditer(text)]
    findings += [Finding("personal_data", e, "email") for e in emails]
    findings += [Finding("spam_ads", m.group(0), "link") for m in LINK_RE.finditer(text) if not _inside(m, emails)]
    findings += [Finding("spam_ads", m.group(0), "handle") for m in HANDLE_RE.finditer(text)]
    phones = [m.group(0) for m in PHONE_RE.finditer(text)]
    findings += [Finding("personal_data", p, "phone") for p in phones]
    findings += [Finding("spam_ads", m.group(0), "promo") for m in PROMO_RE.finditer(text)]
    ad_cues = [m.group(0) for m in AD_CUE_RE.finditer(lowered)]
    if ad_cues and (phones or emails or any(f.kind in {"link", "handle", "promo"} for f in findings)):
        findings += [Finding("spam_ads", cue, "ad") for cue in ad_cues]
    findings += [Finding("personal_data", name, "name") for name in full_names(text)]
    return findings


def _inside(match: re.Match[str], fragments: list[str]) -> bool:
    return any(match.group(0) in fragment for fragment in fragments)


def full_names(text: str) -> list[str]:
    """Full names of people («Иванов Иван Иванович», «Петрова А. В.») found in the text."""
    names = []
    for found in FULL_NAME_RE.finditer(text):
        name = found.group(0).strip()
        if not any(name.startswith(word) for word in _NOT_PEOPLE):
            names.append(name)
    return names


def mask_personal_data(text: str, extra: Sequence[str] = ()) -> str:
    """The text with phones, e-mails and full names replaced by placeholders, ready to publish."""
    masked = EMAIL_RE.sub("[e-mail скрыт]", text)
    masked = PHONE_RE.sub("[телефон скрыт]", masked)
    for name in [*full_names(masked), *extra]:
        if name and len(name) >= 5:
            masked = masked.replace(name, "[имя скрыто]")
    return masked


_PROMO_CODE_RE = re.compile(
    r"(?:промо[\s\-]?код\w*|по коду|купон\w*|promo\s?code)\s*[:\-—«\"]?\s*([A-Za-z0-9_\-]{3,})", re.I
)


def review_marks(text: str) -> list[str]:
    """What identifies an advertiser across reviews: phones, e-mails, links, handles and promo codes."""
    marks = {"phone:" + re.sub(r"\D", "", p)[-10:] for p in _phones(text)}
    marks |= {"email:" + re.sub(r"\s+", "", e.lower()) for e in EMAIL_RE.findall(text)}
    for found in LINK_RE.finditer(text):
        link = re.sub(r"^(?:https?://)?(?:www\.)?", "", found.group(0).lower()).rstrip("/.,!?)")
        marks.add("link:" + link)
    marks |= {"handle:" + h.lower() for h in HANDLE_RE.findall(text)}
    marks |= {"promo:" + code.upper() for code in _PROMO_CODE_RE.findall(text)}
    return sorted(marks)


def _phones(text: str) -> list[str]:
    return [m.group(0) for m in PHONE_RE.finditer(text)]


def mask_for_card(text: str, extra: Sequence[str] = ()) -> str:
    """A piece of a card (summary, a pro or con, a quote): personal data and obscenity never shown."""
    masked = mask_personal_data(text, extra)
    for fragment in sorted(obscene_words(masked), key=len, reverse=True):
        masked = re.sub(re.escape(fragment), fragment[:1] + "***", masked, flags=re.IGNORECASE)
    return masked


def stated_rating(text: str) -> int | None:
    """The rating the author states in the text: «5 звёзд», «оценка 1/5», «ставлю двойку», «★★★»."""
    for found in STATED_RATING_RE.finditer(text):
        for group in ("a", "b", "c"):
            if found.group(group):
                return int(found.group(group))
        if found.group("stars"):
            return len(found.group("stars"))
        word = (found.group("word") or "").lower()
        for stem_, value in _RATING_WORDS.items():
            if word.startswith(stem_):
                return value
    return None


def verdict_for(reasons: Sequence[str], findings: Sequence[Finding]) -> str:
    """The rules' verdict: clear-cut reasons and contacts reject, other reasons ask a moderator."""
    if set(reasons) & CLEAR_CUT or any(f.kind in {"phone", "email"} for f in findings):
        return "reject"
    return "needs_review" if reasons else "approve"


def ordered_reasons(reasons: Sequence[str]) -> list[str]:
    """Unique reasons from the fixed set, in the fixed order."""
    wanted = set(reasons)
    return [r for r in REVIEW_REASONS if r in wanted]


def rating_contradicts(stated: int | None, score: float, sentiment: str) -> bool:
    """A stated rating that says the opposite of the text: «5 звёзд» under a furious review."""
    if stated is None or sentiment in ("mixed", "neutral"):
        return False
    return (stated >= 4 and score <= -0.3) or (stated <= 2 and score >= 0.3)


def sentiment_of_rating(stated: int) -> str:
    """The sentiment an author's own rating says: 4–5 positive, 3 neutral, 1–2 negative."""
    return "positive" if stated >= 4 else "negative" if stated <= 2 else "neutral"


def with_stated(sentiment: str, score: float, rating: int, stated: int | None) -> tuple[str, float, int]:
    """The author's own rating decides the sentiment and the rating; the text's score stays as it is."""
    if stated is None:
        return sentiment, score, rating
    return sentiment_of_rating(stated), score, stated


def analyse_review(text: str, *, stated: int | None = None) -> RuleAnalysis:
    """Everything the rules can tell about one review, with a verdict (for use without GigaChat too)."""
    findings = find_problems(text)
    text_sentiment, score, text_rating = sentiment_of(text)
    aspects = aspects_of(text)
    stated = stated if stated is not None else stated_rating(text)
    reasons = [f.reason for f in findings]
    if rating_contradicts(stated, score, text_sentiment):
        reasons.append("rating_mismatch")
    reasons = ordered_reasons(reasons)
    sentiment, score, rating = with_stated(text_sentiment, score, text_rating, stated)
    return RuleAnalysis(
        sentiment=sentiment, score=score, rating=rating, summary=rule_summary(text, text_sentiment, aspects),
        pros=_points(text, "positive"), cons=_points(text, "negative"), aspects=aspects,
        verdict=verdict_for(reasons, findings), reasons=reasons, masked_text=mask_personal_data(text),
        findings=findings, stated_rating=stated, text_sentiment=text_sentiment,
    )  # fmt: skip
