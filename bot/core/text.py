"""The one place that folds text for comparison: lower case, «ё» as «е», punctuation as spaces, crude stems.

`normalize` and its stems serve the taxonomy, the category rules and the review rules and, through
`normalize_header` (which first splits camelCase and reads «№»), the column mapping.
"""

from __future__ import annotations

import re
import unicodedata

_CYRILLIC_RE = re.compile(r"[а-я]")
_APOSTROPHE_RE = re.compile(r"(?<=\w)['’ʼ`](?=\w)")
_NON_WORD_RE = re.compile(r"[\W_]+")
_RU_ENDINGS = ("ого", "его", "ому", "ему", "ов", "ев", "ах", "ях", "ам", "ям", "ых", "их", "ым", "им", "ми")
_RU_VOWELS = "аеиоуыэюяь"
MIN_STEM = 3


def fold(text: str) -> str:
    """Lower case with «ё» read as «е»: the comparison form every other fold here starts from."""
    return text.lower().replace("ё", "е")


def normalize(text: str) -> str:
    """Lowercase, ё→е, drop apostrophes inside words, turn quotes and punctuation into single spaces."""
    text = fold(unicodedata.normalize("NFKC", text))
    text = _APOSTROPHE_RE.sub("", text)
    return _NON_WORD_RE.sub(" ", text).strip()


def stem(word: str, *, case_endings: bool = True) -> str:
    """Return a crude stem of one normalised word, so plural and adjective forms meet.

    With ``case_endings=False`` only trailing vowels go: «остров» stays «остров», where the full
    stem «остр» would miss «острова».
    """
    if _CYRILLIC_RE.search(word):
        word = word.replace("й", "и")
        for ending in _RU_ENDINGS if case_endings else ():
            if word.endswith(ending) and len(word) - len(ending) >= MIN_STEM:
                word = word[: -len(ending)]
                break
        stripped = word.rstrip(_RU_VOWELS)
        return stripped if len(stripped) >= MIN_STEM else word[:MIN_STEM]
    if not (word.isascii() and word.isalpha()) or len(word) <= 3 or word.endswith(("ss", "us", "is")):
        return word
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "sses", "xes")):
        return word[:-2]
    return word[:-1] if word.endswith("s") else word


def stems_of(text: str) -> tuple[str, ...]:
    """Normalise a text and stem each of its words."""
    return tuple(stem(word) for word in normalize(text).split())


def phrase_forms(text: str) -> set[tuple[str, ...]]:
    """Return the stemmed forms a known phrase is indexed under (full stems and vowel-only stems)."""
    words = normalize(text).split()
    forms = {tuple(stem(word) for word in words), tuple(stem(word, case_endings=False) for word in words)}
    forms.discard(())
    return forms


def normalize_header(text: object) -> str:
    """`normalize` for a spreadsheet header: camelCase split first («PublicPhone»), «№» read as «n»."""
    raw = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", str(text or ""))  # PublicPhone → Public Phone
    return " ".join(normalize(raw.replace("№", " n ")).split())
