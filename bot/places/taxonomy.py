"""The category taxonomy: keys, Russian labels, synonyms, OSM tags, and matching a file's own values.

Two levels: a top category (``food``) and an optional subcategory (``cafe``), written together as
``food/cafe``. The default lives in ``bot/data/taxonomy.json``; ``TAXONOMY_FILE`` may point at another
file of the same shape, which is validated on load. Every lookup index is built once, in ``load``,
so matching a value costs a few dictionary look-ups per word.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from bot.core.errors import UserFacingError
from bot.core.text import Word, closest, normalize, phrase_forms, words_of

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "data" / "taxonomy.json"
OTHER = "other"

CONFIDENCE_EXACT = 1.0
CONFIDENCE_OSM = 0.95
CONFIDENCE_SYNONYM = 0.95
CONFIDENCE_KEYWORD = 0.8
FUZZY_WEIGHT = 0.7  # a fuzzy match scores FUZZY_WEIGHT × similarity, so 0.6–0.7
FUZZY_CUTOFF = 0.85
# Several values in one cell ("бар, паб"): the first recognised one wins, with less confidence
# when the others point to another subcategory or, worse, another category.
SAME_CATEGORY_FACTOR = 0.9
MIXED_CATEGORY_FACTOR = 0.75

FIX = "Исправьте файл или уберите TAXONOMY_FILE, чтобы работать со стандартными категориями."
MAX_PROBLEMS_SHOWN = 5

Target = tuple[str, str | None]

_KEY_RE = re.compile(r"[a-z][a-z0-9_]*")
_OSM_RE = re.compile(r"([a-z_:]+)\s*=\s*([a-z0-9_:-]+)")
_SPLIT_RE = re.compile(r"[,;|/\\\n]+|\s+(?:или|or)\s+")

# --- public value types ----------------------------------------------------------------------


@dataclass(frozen=True)
class Category:
    """One node of the taxonomy; ``parent`` is None for a top category."""

    key: str
    label: str
    parent: str | None

    @property
    def full_key(self) -> str:
        """Return ``food`` for a top category and ``food/cafe`` for a subcategory."""
        return f"{self.parent}/{self.key}" if self.parent else self.key


@dataclass(frozen=True)
class CategoryMatch:
    """A category found for a value or a place, how sure we are, and which rule found it."""

    category: str
    subcategory: str | None
    confidence: float
    method: str  # "exact" | "synonym" | "osm" | "fuzzy" | "keyword"

    @property
    def full_key(self) -> str:
        """Return ``food`` or ``food/cafe``."""
        return f"{self.category}/{self.subcategory}" if self.subcategory else self.category


@dataclass(frozen=True)
class PhraseHit:
    """A known phrase found in a text: its first word, its length in words and what it means."""

    start: int
    length: int
    category: str
    subcategory: str | None
    source: str = "synonym"


class PhraseIndex:
    """Phrases of lemmas mapped to categories, found in a text left to right.

    A text is a sequence of words, each a tuple of candidate lemmas; a phrase matches where each of
    its lemmas is a candidate of the word at its place.
    """

    def __init__(self) -> None:
        self._by_first: dict[str, list[tuple[tuple[str, ...], Target, str]]] = {}

    def add(self, phrase: Sequence[str], target: Target, source: str = "synonym") -> None:
        """Add a phrase; the first meaning given to a phrase is kept."""
        words = tuple(phrase)
        if not words:
            return
        bucket = self._by_first.setdefault(words[0], [])
        if all(existing != words for existing, _, _ in bucket):
            bucket.append((words, target, source))
            bucket.sort(key=lambda entry: -len(entry[0]))  # stable: longest first, then first added

    def knows(self, lemma: str) -> bool:
        """True when some phrase starts with this lemma."""
        return lemma in self._by_first

    def extended(self, other: PhraseIndex) -> PhraseIndex:
        """Return a new index with this index's phrases, then the other's."""
        merged = PhraseIndex()
        for index in (self, other):
            for bucket in index._by_first.values():
                for words, target, source in bucket:
                    merged.add(words, target, source)
        return merged

    def scan(self, words: Sequence[Word]) -> list[PhraseHit]:
        """Return non-overlapping hits, taking the longest phrase at each position, left to right."""
        hits: list[PhraseHit] = []
        position = 0
        while position < len(words):
            hit = self._longest_at(words, position)
            if hit is None:
                position += 1
                continue
            hits.append(hit)
            position += hit.length
        return hits

    def _longest_at(self, words: Sequence[Word], position: int) -> PhraseHit | None:
        best: PhraseHit | None = None
        for candidate in words[position]:
            for phrase, (category, subcategory), source in self._by_first.get(candidate, ()):
                if best is not None and len(phrase) <= best.length:
                    break
                tail = words[position : position + len(phrase)]
                if len(tail) == len(phrase) and all(lemma in word for lemma, word in zip(phrase, tail, strict=True)):
                    best = PhraseHit(position, len(phrase), category, subcategory, source)
                    break
        return best


@dataclass(frozen=True)
class _Node:
    category: Category
    synonyms: tuple[str, ...]
    osm: tuple[str, ...]

    @property
    def target(self) -> Target:
        parent = self.category.parent
        return (parent, self.category.key) if parent else (self.category.key, None)


# --- the taxonomy ----------------------------------------------------------------------------


class Taxonomy:
    """The closed list of categories, with indexes to map free text onto it."""

    def __init__(self, version: str, nodes: Sequence[_Node]) -> None:
        self.version = version
        self._nodes = {node.category.full_key: node.category for node in nodes}
        self._tops = [node.category for node in nodes if node.category.parent is None]
        self._subs: dict[str, list[Category]] = {top.key: [] for top in self._tops}
        self._keys: dict[str, Target] = {}
        self._exact: dict[str, Target] = {}
        self._whole: dict[tuple[str, ...], Target] = {}
        self._osm: dict[str, Target] = {}
        self._fuzzy: dict[str, Target] = {}  # joined lemmas of whole phrases, for near spellings
        self.phrases = PhraseIndex()
        sub_keys = Counter(node.category.key for node in nodes if node.category.parent)
        for node in nodes:
            self._register(node, unique_key=sub_keys[node.category.key] <= 1)
        self._match_cached = lru_cache(maxsize=4096)(self._match)
        self._closest_cached = lru_cache(maxsize=4096)(self._closest)

    @classmethod
    def load(cls, path: Path | None = None) -> Taxonomy:
        """Load the packaged taxonomy, or a custom file; a bad file raises UserFacingError in Russian."""
        source = path or DEFAULT_PATH
        raw = _read_bytes(source)
        try:
            data = json.loads(raw.decode("utf-8-sig"))
        except UnicodeDecodeError as exc:
            raise _bad_file(source, ["файл не в кодировке UTF-8"]) from exc
        except json.JSONDecodeError as exc:
            place = f"строка {exc.lineno}, столбец {exc.colno}"
            raise _bad_file(source, [f"это не JSON, ошибка около: {place}"]) from exc
        problems: list[str] = []
        version, nodes = _parse_document(data, problems)
        if problems:
            raise _bad_file(source, problems)
        return cls(version or f"custom-{hashlib.sha256(raw).hexdigest()[:8]}", nodes)

    def top(self) -> list[Category]:
        """Return the top categories in file order."""
        return list(self._tops)

    def subcategories(self, top_key: str) -> list[Category]:
        """Return the subcategories of one top category (empty for an unknown key)."""
        return list(self._subs.get(top_key, ()))

    def label(self, category: str, subcategory: str | None = None) -> str:
        """Return «Еда» or «Еда / Кафе»; unknown keys are shown as they are, never raised."""
        top = self._nodes.get(category)
        top_label = top.label if top else category
        if subcategory is None:
            return top_label
        sub = self._nodes.get(f"{category}/{subcategory}")
        return f"{top_label} / {sub.label if sub else subcategory}"

    def is_valid(self, category: str, subcategory: str | None = None) -> bool:
        """Return True when the category (and the subcategory, if given) exist."""
        key = f"{category}/{subcategory}" if subcategory is not None else category
        return key in self._nodes and category in self._subs

    def keys_for_prompt(self) -> str:
        """Return the closed list of keys for an LLM prompt, one line per top category."""
        lines = []
        for top in self._tops:
            subs = ", ".join(f"{sub.key} ({sub.label})" for sub in self._subs[top.key])
            lines.append(f"{top.key}: {top.label}" + (f" — {subs}" if subs else ""))
        return "\n".join(lines)

    def all_keys(self) -> list[str]:
        """Every key an answer may use: each top key, then its `top/sub` keys, in file order."""
        keys = []
        for top in self._tops:
            keys.append(top.key)
            keys.extend(sub.full_key for sub in self._subs[top.key])
        return keys

    def resolve_key(self, value: str) -> tuple[str, str | None] | None:
        """Read a model's near-miss of a key deterministically; None when it is not one of ours.

        Accepted: the key itself with stray case or spaces («FOOD/Cafe »), other separators
        («food.cafe», «food > cafe»), a subcategory key alone («cafe»), a Russian label («Кафе»,
        «Еда / Кафе»). A known top with an unknown subcategory keeps the top.
        """
        text = " ".join(value.split()).lower()
        if not text:
            return None
        text = re.sub(r"\s*(?:/|\\|>|:|\.|\s-\s)\s*", "/", text).replace(" ", "_").strip("/")
        found = self._keys.get(text)
        if found is None and "/" in text:
            top, _, sub = text.partition("/")
            if top in self._subs:
                found = self._keys.get(f"{top}/{sub}") or (top, None)
        if found is None:
            found = self._exact.get(normalize(value))
        return (found[0], found[1]) if found else None

    def describe(self) -> str:
        """Return the tree of labels with keys, in Russian, for the /categories command."""
        lines = [f"Категории (версия {self.version}):"]
        for top in self._tops:
            lines.append(f"• {top.label} — {top.key}")
            lines.extend(f"    ◦ {sub.label} — {sub.full_key}" for sub in self._subs[top.key])
        lines.append("В столбце категории в файле можно писать название или ключ: «Кафе», «food/cafe».")
        return "\n".join(lines)

    def match_value(self, value: str) -> CategoryMatch | None:
        """Map a file's own category cell («Кафе», «tourism=museum», «бар, паб») onto our keys."""
        return self._match_cached(value.strip())

    def match_fuzzy(self, words: Sequence[Word]) -> CategoryMatch | None:
        """Find a near spelling of a known phrase or word among a text's words; the last resort."""
        lemmas = [word[0] for word in words]
        candidates = [" ".join(lemmas), *(lemma for lemma in lemmas if len(lemma) >= 5)]
        for text in candidates:
            found = self._closest_cached(text)
            if found:
                target, ratio = found
                return _make(target, round(FUZZY_WEIGHT * ratio, 2), "fuzzy")
        return None

    # --- building the indexes ---

    def _register(self, node: _Node, *, unique_key: bool) -> None:
        category, target = node.category, node.target
        if category.parent:
            self._subs[category.parent].append(category)
            if unique_key:
                self._keys.setdefault(category.key, target)
        self._keys.setdefault(category.full_key, target)
        for text in (category.label, self.label(*target)):
            self._exact.setdefault(normalize(text), target)
        for text in (category.label, category.key, *node.synonyms):
            self._register_phrase(text, target)
        if target[0] != OTHER:  # "другое" in running text says nothing about the place
            for text in (category.label, *node.synonyms):
                for words in phrase_forms(text):
                    self.phrases.add(words, target)
        for tag in node.osm:
            self._osm.setdefault(tag.lower(), target)

    def _register_phrase(self, text: str, target: Target) -> None:
        """A whole phrase that names the category, also kept for the near-spelling match."""
        for words in phrase_forms(text) - self._whole.keys():
            self._whole[words] = target
            joined = " ".join(words)
            if len(joined) >= 4:
                self._fuzzy.setdefault(joined, target)

    # --- matching ---

    def _match(self, value: str) -> CategoryMatch | None:
        if not value:
            return None
        target = self._keys.get(value.lower()) or self._exact.get(normalize(value))
        if target:
            return _make(target, CONFIDENCE_EXACT, "exact")
        matches = [found for part in _SPLIT_RE.split(value) if (found := self._match_part(part))]
        if not matches:
            return None
        first = matches[0]
        if first.subcategory is None:  # «Питание / Кафе»: a later part names the subcategory
            first = next((m for m in matches if m.category == first.category and m.subcategory), first)
        if all(m.category == first.category and m.subcategory in (None, first.subcategory) for m in matches):
            return first
        same_top = all(match.category == first.category for match in matches)
        factor = SAME_CATEGORY_FACTOR if same_top else MIXED_CATEGORY_FACTOR
        return _make((first.category, first.subcategory), round(first.confidence * factor, 2), first.method)

    def _match_part(self, part: str) -> CategoryMatch | None:
        part = part.strip()
        osm = _OSM_RE.fullmatch(part.lower())
        if osm:
            target = self._osm.get(f"{osm[1]}={osm[2]}")
            return _make(target, CONFIDENCE_OSM, "osm") if target else None
        target = self._keys.get(part.lower()) or self._exact.get(normalize(part))
        if target:
            return _make(target, CONFIDENCE_EXACT, "exact")
        words = tuple(word for word in words_of(part) if not word[0].isdigit())
        if not words:
            return None
        target = self.whole_phrase(words)
        if target:
            return _make(target, CONFIDENCE_SYNONYM, "synonym")
        hits = self.phrases.scan(words)
        if hits:
            return _make((hits[0].category, hits[0].subcategory), CONFIDENCE_KEYWORD, "keyword")
        return self.match_fuzzy(words)

    def whole_phrase(self, words: Sequence[Word]) -> Target | None:
        """The category a whole text names when it is exactly one known phrase («краеведческие музеи»)."""
        forms: list[tuple[str, ...]] = [()]
        for word in words:
            forms = [(*form, candidate) for form in forms for candidate in word][:16]
        return next((self._whole[form] for form in forms if form in self._whole), None)

    def _closest(self, text: str) -> tuple[Target, float] | None:
        if len(text) < 4:
            return None
        found = closest(text, list(self._fuzzy), FUZZY_CUTOFF)
        return (self._fuzzy[found[0]], found[1]) if found else None


def _make(target: Target, confidence: float, method: str) -> CategoryMatch:
    return CategoryMatch(target[0], target[1], confidence, method)


# --- reading and validating a taxonomy file --------------------------------------------------


def _bad_file(path: Path, problems: list[str]) -> UserFacingError:
    shown = "; ".join(problems[:MAX_PROBLEMS_SHOWN])
    if len(problems) > MAX_PROBLEMS_SHOWN:
        shown += f" и ещё {len(problems) - MAX_PROBLEMS_SHOWN}"
    return UserFacingError(f"Файл категорий «{path.name}» не подходит: {shown}.", FIX)


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError as exc:
        raise _bad_file(path, [f"файл не найден по пути {path}"]) from exc
    except OSError as exc:
        raise _bad_file(path, [f"файл не читается ({exc.strerror or exc.__class__.__name__})"]) from exc


def _parse_document(data: Any, problems: list[str]) -> tuple[str | None, list[_Node]]:
    """Return the version and the nodes (each top followed by its subcategories)."""
    if not isinstance(data, dict) or not isinstance(data.get("categories"), list):
        problems.append('нет списка "categories": нужен вид {"version": "1", "categories": [...]}')
        return None, []
    version = data.get("version")
    if version is not None and not isinstance(version, str | int | float):
        problems.append('поле "version" должно быть строкой')
    groups: list[tuple[_Node, list[_Node]]] = []  # each top with its subcategories
    loose: list[_Node] = []  # subcategories declared at the top level with "parent"
    for number, entry in enumerate(data["categories"], 1):
        node = _parse_node(entry, f"№{number}", None, problems)
        if node is None:
            continue
        if node.category.parent:
            loose.append(node)
            continue
        children = entry.get("subcategories") or []
        if not isinstance(children, list):
            problems.append(f'у категории «{node.category.key}» поле "subcategories" должно быть списком')
            children = []
        where = f"в «{node.category.key}»"
        parsed = (_parse_node(child, f"№{i} {where}", node, problems) for i, child in enumerate(children, 1))
        groups.append((node, [child for child in parsed if child]))
    by_key: dict[str, list[_Node]] = {}
    for top, children in groups:
        by_key.setdefault(top.category.key, children)
    for node in loose:
        parent = node.category.parent or ""
        if parent in by_key:
            by_key[parent].append(node)
        else:
            problems.append(f"у подкатегории «{node.category.key}» нет родительской категории «{parent}»")
    ordered = [node for top, children in groups for node in (top, *children)]
    _check_whole(ordered, problems)
    return (str(version) if version is not None else None), ordered


def _parse_node(entry: Any, where: str, parent: _Node | None, problems: list[str]) -> _Node | None:
    if not isinstance(entry, dict):
        problems.append(f"категория {where} — не объект с полями key и label")
        return None
    key, label = entry.get("key"), entry.get("label")
    if not isinstance(key, str) or not key.strip():
        problems.append(f'у категории {where} нет ключа ("key")')
        return None
    if not _KEY_RE.fullmatch(key):
        problems.append(f"ключ «{key}» не подходит: нужны латинские строчные буквы, цифры и «_»")
    parent_key = parent.category.key if parent else entry.get("parent")
    if parent_key is not None and not isinstance(parent_key, str):
        problems.append(f'у категории «{key}» поле "parent" должно быть ключом категории')
        parent_key = None
    if parent_key and entry.get("subcategories"):
        problems.append(f"у подкатегории «{parent_key}/{key}» не может быть своих подкатегорий — уровней два")
    if not isinstance(label, str) or not label.strip():
        problems.append(f'у категории «{key}» нет названия ("label")')
        label = ""
    synonyms = _strings(entry, "synonyms", key, problems)
    osm = _strings(entry, "osm", key, problems)
    problems.extend(
        f"OSM-тег «{tag}» у категории «{key}» должен выглядеть как «amenity=cafe»"
        for tag in osm
        if not _OSM_RE.fullmatch(tag.strip().lower())
    )
    category = Category(key, label.strip(), parent_key or None)
    return _Node(category, tuple(synonyms), tuple(tag.strip().lower() for tag in osm))


def _strings(entry: dict[str, Any], field: str, key: str, problems: list[str]) -> list[str]:
    values = entry.get(field) or []
    if not isinstance(values, list) or not all(isinstance(value, str) for value in values):
        problems.append(f'у категории «{key}» поле "{field}" должно быть списком строк')
        return []
    return [value for value in values if value.strip()]


def _check_whole(nodes: list[_Node], problems: list[str]) -> None:
    counts = Counter(node.category.full_key for node in nodes)
    problems.extend(f"ключ «{key}» повторяется" for key, count in counts.items() if count > 1)
    if not any(node.category.full_key == OTHER for node in nodes):
        problems.append(f"нет обязательной категории «{OTHER}» для мест, которые не подошли никуда")
