"""Category rules: guess a place's category from its name, description and other texts, before GigaChat."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import takewhile
from pathlib import Path

from bot.core.text import Word, lemma, lemmas, normalize, words_of
from bot.places.taxonomy import CategoryMatch, PhraseHit, PhraseIndex, Taxonomy

# =============================================================================================
# Categories
# =============================================================================================
#
# The keywords are the taxonomy's own synonyms and labels plus the brands below. In a Russian
# name the head noun comes first («Каток в парке» is a rink, «Кафе «Музей»» is a cafe), so the
# earliest keyword wins; an English name puts it last («Garden Hotel»), so within a run of
# adjacent keywords in a Latin-script name the last one wins. Words in quotes are a proper name
# («Бар «Библиотека»»), so they count only when nothing outside the quotes matched, and a keyword
# right after a locative preposition («на набережной», «у вокзала») names the surroundings, not
# the place. When nothing matches, the answer is None: the caller asks GigaChat.

NAME_CONFIDENCE = 0.9
QUOTED_CONFIDENCE = 0.7  # a generic word inside the quotes: «Баня» could be a bar's name
FUZZY_NAME_CONFIDENCE = 0.7
TEXT_CONFIDENCE = 0.6  # description or other columns only

# Chains and brands whose exact full name says what the place is (bot/data/chains.json). Matched on
# the whole name only — the whole cell, the quoted part, or the name before a branch suffix
# («Шоколадница на Тверской», «Пятёрочка №1234») — because a partial match does harm: «Магнит
# Косметик» is not a grocery, «Сбер Маркет» not a bank.
CHAINS_PATH = Path(__file__).resolve().parent.parent / "data" / "chains.json"
_BRANCH_SUFFIX_RE = re.compile(r"\s+(?:№|n|no|#)?\s*\d+\s*$|\s*\(.*\)\s*$", re.IGNORECASE)
# A chain's name followed by its city is still the chain: «Hilton Moscow Leningradskaya», «Novotel Moscow City».
_CITY_WORDS = frozenset({
    "moscow", "москва", "st", "saint", "petersburg", "санкт", "петербург", "спб", "spb", "kazan", "казань",
    "sochi", "сочи", "ekaterinburg", "yekaterinburg", "екатеринбург", "novosibirsk", "новосибирск",
    "kaliningrad", "калининград", "nizhny", "нижний", "samara", "самара", "krasnodar", "краснодар",
})  # fmt: skip


@lru_cache(maxsize=1)
def _chains() -> dict[str, str]:
    data = json.loads(CHAINS_PATH.read_text(encoding="utf-8"))
    return {_chain_key(name): full_key for full_key, names in data["chains"].items() for name in names}


def _chain_key(text: str) -> str:
    return normalize(text).replace(" ", "")


# After these words a keyword names the surroundings: «Кафе на набережной», «Шаурма у вокзала».
# fmt: off
LOCATIVE_PREPOSITIONS = frozenset(
    lemma(word)
    for word in (
        "в", "во", "на", "у", "около", "возле", "рядом", "с", "со", "напротив", "вблизи", "недалеко",
        "от", "до", "за", "под", "над", "при", "через", "по", "к", "ко", "near", "at", "in", "by", "on",
        "opposite", "behind",
    )
)
# fmt: on

_QUOTED_RE = re.compile(r"«([^«»]*)»|\"([^\"]*)\"|“([^“”]*)”|„([^„“”]*)[“”]")
_STRAY_QUOTES_RE = re.compile(r"[«»\"“”„]")
_LATIN_RE = re.compile(r"[a-z]")
_CYRILLIC_RE = re.compile(r"[а-я]")


def guess_category(
    taxonomy: Taxonomy, *, name: str, description: str | None = None, extra: str | None = None
) -> CategoryMatch | None:
    """Guess the category from the words of the name, then of the texts; None when nothing tells."""
    index = _keyword_index(taxonomy)
    found = _from_name(taxonomy, index, name)
    if found:
        return found
    for text in (description, extra):
        hits = _kept_hits(index, words_of(text or ""))
        if hits:
            return _as_match(hits[0], TEXT_CONFIDENCE)
    return None


def chain_of(taxonomy: Taxonomy, name: str) -> CategoryMatch | None:
    """A well-known chain whose exact name is the whole name (or its quoted part, or before a branch suffix)."""
    outside, quoted = _split_quoted(name)
    words = normalize(name).split()
    texts = [name, _BRANCH_SUFFIX_RE.sub("", name), " ".join(outside), *quoted]
    # a branch named after the chain: «Шоколадница на Тверской», «Hilton Moscow Leningradskaya»
    at_preposition = next((n for n, w in enumerate(words) if n and lemma(w) in LOCATIVE_PREPOSITIONS), None)
    at_city = next((n for n, w in enumerate(words) if n and w in _CITY_WORDS), None)
    texts += [" ".join(words[:cut]) for cut in (at_preposition, at_city) if cut is not None]
    chains = _chains()
    for text in texts:
        full_key = chains.get(_chain_key(text))
        if full_key:
            category, _, subcategory = full_key.partition("/")
            if taxonomy.is_valid(category, subcategory or None):
                return CategoryMatch(category, subcategory or None, NAME_CONFIDENCE, "chain")
    return None


def _from_name(taxonomy: Taxonomy, index: PhraseIndex, name: str) -> CategoryMatch | None:
    chain = chain_of(taxonomy, name)
    if chain and _chain_key(name) in _chains():
        return chain  # the whole name is the chain's: «Парк Инн» is a hotel
    outside, quoted = _split_quoted(name)
    if not any(normalize(part) for part in outside):  # the whole cell is in quotes
        outside, quoted = quoted, []
    outside_hits = [(_kept_hits(index, words_of(part)), _is_latin(part)) for part in outside]
    quoted_hits = [hit for part in quoted for hit in _kept_hits(index, words_of(part))]
    for hits, latin in outside_hits:
        head = _head(hits, latin=latin)
        if head:
            if chain and chain.category == head.category and head.subcategory is None:
                return chain  # «Магазин «Буквоед»»: the chain says which shop
            others = [hit for hits, _ in outside_hits for hit in hits] + quoted_hits
            return _as_match(_refined(head, others), NAME_CONFIDENCE)
    if chain:
        return chain
    if quoted_hits:
        return _as_match(quoted_hits[0], QUOTED_CONFIDENCE)
    # A misspelt head noun («Рестаран») is looked for only at the head, before any preposition.
    words = [word for part in outside for word in words_of(part) if not word[0].isdigit()]
    head_words = list(takewhile(lambda word: word[0] not in LOCATIVE_PREPOSITIONS, words))[:2]
    fuzzy = taxonomy.match_fuzzy(head_words) if head_words else None
    if fuzzy:
        return CategoryMatch(fuzzy.category, fuzzy.subcategory, FUZZY_NAME_CONFIDENCE, "fuzzy")
    return None


def _refined(head: PhraseHit, others: list[PhraseHit]) -> PhraseHit:
    """Take the subcategory from another keyword of the same category: «Магазин «Буквоед»» → books."""
    if head.subcategory is not None:
        return head
    same = (hit for hit in others if hit.category == head.category and hit.subcategory is not None)
    return next(same, head)


def _split_quoted(name: str) -> tuple[list[str], list[str]]:
    """Split a name into the parts outside quotes and the quoted parts, each in order."""
    outside: list[str] = []
    quoted: list[str] = []
    position = 0
    for found in _QUOTED_RE.finditer(name):
        outside.append(name[position : found.start()])
        quoted.append(next(group for group in found.groups() if group is not None))
        position = found.end()
    outside.append(name[position:])
    return [_STRAY_QUOTES_RE.sub(" ", part) for part in outside], quoted


# A compound's head is its last part: «Экомойка» is a car wash, «Велопрокат» a rental, «Гастробар» a bar.
# fmt: off
_COMPOUND_PREFIXES = (
    "авто", "мото", "вело", "эко", "фито", "гастро", "арт", "спорт", "пив", "фитнес", "аква", "мини", "фото",
    "аэро", "кино", "вино", "кофе", "бьюти", "нейл", "тату", "бизнес", "этно", "агро", "термо", "крио",
    "хлеб", "мясо", "рыбо", "зоо", "турист", "медиа", "интернет", "кибер", "лофт",
)
# fmt: on


def _split_compounds(index: PhraseIndex, words: Sequence[Word]) -> list[Word]:
    """Read an unknown compound word by its last part, when its first part is a known prefix."""
    result: list[Word] = []
    for word in words:
        if any(index.knows(candidate) for candidate in word):
            result.append(word)
            continue
        raw = word[0]
        heads = (lemmas(raw[len(prefix) :]) for prefix in _COMPOUND_PREFIXES
                 if raw.startswith(prefix) and len(raw) - len(prefix) >= 3)  # fmt: skip
        result.append(next((head for head in heads if any(index.knows(c) for c in head)), word))
    return result


def _kept_hits(index: PhraseIndex, words: Sequence[Word]) -> list[PhraseHit]:
    """Return the keyword hits that do not follow a locative preposition."""
    words = _split_compounds(index, words)
    after_preposition = {n + 1 for n, word in enumerate(words) if word[0] in LOCATIVE_PREPOSITIONS}
    return [hit for hit in index.scan(words) if hit.start not in after_preposition]


def _head(hits: list[PhraseHit], *, latin: bool) -> PhraseHit | None:
    """Return the head keyword: the first one, or in English the last of the first adjacent run."""
    if not hits or not latin:
        return hits[0] if hits else None
    head = hits[0]
    for hit in hits[1:]:
        if hit.start != head.start + head.length:
            break
        head = hit
    return head


def _is_latin(text: str) -> bool:
    lowered = text.lower()
    return bool(_LATIN_RE.search(lowered)) and not _CYRILLIC_RE.search(lowered)


def _as_match(hit: PhraseHit, confidence: float) -> CategoryMatch:
    return CategoryMatch(hit.category, hit.subcategory, confidence, "keyword")


def _keyword_index(taxonomy: Taxonomy) -> PhraseIndex:
    """The taxonomy's own phrases: the type words of every category."""
    return taxonomy.phrases


# =============================================================================================
# The file's own context
# =============================================================================================
#
# Rows nothing could place (no rule, no GigaChat answer) take a weak prior from the file itself:
# what its sheet or file name says («Музеи.xlsx»), else the category most confidently classified
# rows share. Such a row is always flagged for a person to check.

CONTEXT_CONFIDENCE = 0.3
DOMINANT_SHARE = 0.6
DOMINANT_MIN_ROWS = 5
CONFIDENT = 0.8
_FILE_NAME_NOISE_RE = re.compile(r"[_\-.]+|\b(лист|sheet|выгрузка|export|список|реестр|перечень)\b|\d+", re.IGNORECASE)


@dataclass
class FileContext:
    """A weak prior for the rows of one file: its name, then its confidently classified rows."""

    named: tuple[str, str | None] | None = None
    counts: Counter[tuple[str, str | None]] = field(default_factory=Counter)

    @classmethod
    def of(cls, taxonomy: Taxonomy, *names: str) -> FileContext:
        """The context of a file from its sheet name and file name (the sheet first)."""
        for raw in names:
            text = _FILE_NAME_NOISE_RE.sub(" ", raw.rsplit(".", 1)[0] if "." in raw else raw)
            match = taxonomy.match_value(text) if text.strip() else None
            if match is not None and match.confidence >= CONFIDENT and match.category != "other":
                return cls(named=(match.category, match.subcategory))
        return cls()

    def learn(self, category: str, subcategory: str | None, confidence: float) -> None:
        """A row classified with confidence counts towards the file's dominant category."""
        if confidence >= CONFIDENT and category != "other":
            self.counts[(category, subcategory)] += 1

    def prior(self) -> tuple[str, str | None] | None:
        """The file's name's category, else the one most confident rows share; None when unclear."""
        if self.named is not None:
            return self.named
        total = sum(self.counts.values())
        if total < DOMINANT_MIN_ROWS:
            return None
        (top, count), *_ = self.counts.most_common(1)
        return top if count >= DOMINANT_SHARE * total else None
