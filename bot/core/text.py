"""The one place that reads words: folding, normalising, lemmas (pymorphy3) and fuzzy resemblance (rapidfuzz).

`normalize` and the lemmas serve the taxonomy, the category rules, the review summaries and,
through `normalize_header` (which first splits camelCase and reads «№»), the column mapping.

A word has several possible lemmas («парков» is «парк» or «парковый», «бильярдная» a noun or an
adjective), so a word is read as a tuple of candidate lemmas, the likeliest first; a phrase matches
a text when each of its lemmas is among the candidates of the word at its place. Latin words lose an
English plural ending; pymorphy3 leaves them as they are.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import cache, lru_cache
from typing import TYPE_CHECKING

from rapidfuzz import fuzz, process

if TYPE_CHECKING:
    from pymorphy3 import MorphAnalyzer

Word = tuple[str, ...]  # the candidate lemmas of one word, likeliest first

_CYRILLIC_RE = re.compile(r"[а-я]")
_APOSTROPHE_RE = re.compile(r"(?<=\w)['’ʼ`](?=\w)")
_NON_WORD_RE = re.compile(r"[\W_]+")
MAX_CANDIDATES = 3
MAX_PHRASE_FORMS = 8


def fold(text: str) -> str:
    """Lower case with «ё» read as «е»: the comparison form every other fold here starts from."""
    return text.lower().replace("ё", "е")


def normalize(text: str) -> str:
    """Lowercase, ё→е, drop apostrophes inside words, turn quotes and punctuation into single spaces."""
    text = fold(unicodedata.normalize("NFKC", text))
    text = _APOSTROPHE_RE.sub("", text)
    return _NON_WORD_RE.sub(" ", text).strip()


@cache
def _morph() -> MorphAnalyzer:
    from pymorphy3 import MorphAnalyzer

    return MorphAnalyzer(lang="ru")


def _english_singular(word: str) -> str:
    if len(word) <= 3 or word.endswith(("ss", "us", "is")):
        return word
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "sses", "xes")):
        return word[:-2]
    return word[:-1] if word.endswith("s") else word


@lru_cache(maxsize=65536)
def lemmas(word: str) -> Word:
    """The candidate lemmas of one normalised word, likeliest first (at most three)."""
    if not _CYRILLIC_RE.search(word):
        return (_english_singular(word) if word.isascii() and word.isalpha() else word,)
    found: list[str] = []
    for parse in _morph().parse(word):
        lemma = fold(parse.normal_form)
        if lemma not in found:
            found.append(lemma)
        if len(found) == MAX_CANDIDATES:
            break
    return tuple(found) or (word,)


def lemma(word: str) -> str:
    """The likeliest lemma of one normalised word."""
    return lemmas(word)[0]


def words_of(text: str) -> tuple[Word, ...]:
    """Normalise a text and read each word as its candidate lemmas."""
    return tuple(lemmas(word) for word in normalize(text).split())


def lemmas_of(text: str) -> tuple[str, ...]:
    """Normalise a text and take the likeliest lemma of each word: a key for comparing phrases."""
    return tuple(lemma(word) for word in normalize(text).split())


def phrase_forms(text: str) -> set[tuple[str, ...]]:
    """The lemma sequences a known phrase is indexed under (each combination of candidates, capped)."""
    forms: list[tuple[str, ...]] = [()]
    for candidates in words_of(text):
        forms = [(*form, candidate) for form in forms for candidate in candidates][:MAX_PHRASE_FORMS]
    return {form for form in forms if form}


def resemblance(first: str, second: str) -> float:
    """How alike two texts are, 0…1, whatever the word order: the mean of rapidfuzz's ratio and token-set ratio."""
    a, b = normalize(first), normalize(second)
    return (fuzz.ratio(a, b) + fuzz.token_set_ratio(a, b)) / 200


def closest(text: str, choices: Sequence[str], cutoff: float) -> tuple[str, float] | None:
    """The choice spelt most like the text, with its `similarity`, when it reaches the cutoff."""
    found = process.extractOne(text, choices, scorer=fuzz.ratio, score_cutoff=cutoff * 100)
    return (found[0], found[1] / 100) if found else None


def normalize_header(text: object) -> str:
    """`normalize` for a spreadsheet header: camelCase split first («PublicPhone»), «№» read as «n»."""
    raw = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", str(text or ""))  # PublicPhone → Public Phone
    return " ".join(normalize(raw.replace("№", " n ")).split())
