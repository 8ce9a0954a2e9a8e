"""Plain-text dictionaries that search-quality engineers edit: user words, synonyms, stop
words, needs.

Formats (UTF-8, one entry a line, ``#`` starts a comment, blank lines ignored):

- ``userdict.txt``: ``word [freq]`` — extra words for segmentation.
- ``synonyms.txt``: ``word, word, word`` — an equivalence group; a query word of
  the group also searches the others.
- ``stopwords.txt``: ``word`` — dropped from queries and the index.
- ``needs.txt``: ``need, need => service, service | Top/sub, Top`` — words that state a
  need, the words listings serving it use, and the categories serving it
  (:class:`NeedEntry`; looked up by :mod:`indexer.needs`).

Every file feeds the analyzer fingerprint, so an edit requires a rebuild. A malformed
line raises :class:`DictionaryError` naming ``file:line``.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from indexer.errors import DictionaryError

FILES = ("userdict.txt", "synonyms.txt", "stopwords.txt", "needs.txt")
NEED_SYNTAX = "need, need => service, service | Top/sub, Top"


def default_dictionaries_dir() -> Path:
    """The repo's ``dictionaries/`` folder (installed beside the packages)."""
    return Path(__file__).resolve().parent.parent / "dictionaries"


def _entries(path: Path) -> list[tuple[int, str]]:
    """Non-empty, comment-stripped lines with their 1-based numbers."""
    out: list[tuple[int, str]] = []
    if not path.exists():
        return out
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DictionaryError(f"{path}: not UTF-8 ({exc.reason} at byte {exc.start})") from None
    for no, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if line:
            out.append((no, line))
    return out


@dataclass(frozen=True, slots=True)
class NeedEntry:
    """One line of ``needs.txt``, as written (normalised by :mod:`indexer.needs`).

    ``categories`` are ``Top`` or ``Top/sub``, ``Top`` one of the catalog's top-level
    categories; ``service_words`` or ``categories`` may be empty, not both.
    """

    line: int
    need_words: tuple[str, ...]
    service_words: tuple[str, ...]
    categories: tuple[str, ...]


def _words(text: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(w.strip() for w in text.split(",") if w.strip()))


def _parse_need(path: Path, no: int, line: str) -> NeedEntry:
    """One ``needs.txt`` line; a malformed one raises DictionaryError naming ``file:line``."""
    # Imported here: indexer.models imports the settings, which import this module.
    from indexer.models import LISTING_TOP_CATEGORIES

    def fail(reason: str) -> DictionaryError:
        return DictionaryError(f"{path}:{no}: {reason}; expected '{NEED_SYNTAX}', got {line!r}")

    # NFKC: full-width separators (，｜＝＞) typed with a Chinese keyboard work too.
    left, arrow, right = unicodedata.normalize("NFKC", line).partition("=>")
    if not arrow:
        raise fail("no '=>' between the need words and what serves them")
    if "=>" in right:
        raise fail("more than one '=>'")
    services_text, _, categories_text = right.partition("|")
    if "|" in categories_text:
        raise fail("more than one '|'")
    needs, services, categories = _words(left), _words(services_text), _words(categories_text)
    if not needs:
        raise fail("no need word before '=>'")
    if not services and not categories:
        raise fail("nothing after '=>': give service words, categories after '|', or both")
    for word in (*needs, *services):
        if not any(ch.isalnum() for ch in word):
            raise fail(f"{word!r} has no letter or digit")
    for category in categories:
        top, slash, sub = (part.strip() for part in category.partition("/"))
        if top not in LISTING_TOP_CATEGORIES:
            raise fail(
                f"category {category!r}: {top!r} is not a top-level category "
                f"(one of {', '.join(LISTING_TOP_CATEGORIES)})"
            )
        if slash and (not sub or "/" in sub):
            raise fail(f"category {category!r}: expected 'Top' or 'Top/sub'")
    cleaned = tuple(dict.fromkeys("/".join(p.strip() for p in c.split("/")) for c in categories))
    return NeedEntry(no, needs, services, cleaned)


@dataclass(frozen=True)
class Dictionaries:
    """The loaded contents of ``dictionaries/`` plus their digest."""

    directory: Path
    user_words: tuple[tuple[str, int | None], ...] = ()
    synonym_groups: tuple[tuple[str, ...], ...] = ()
    stopwords: frozenset[str] = frozenset()
    needs: tuple[NeedEntry, ...] = ()
    _digest: str = field(default="", repr=False)

    @classmethod
    def load(cls, directory: Path) -> Dictionaries:
        """Read and validate the files; a malformed line raises DictionaryError."""
        if not directory.is_dir():
            raise DictionaryError(f"{directory}: dictionaries folder not found")
        words: list[tuple[str, int | None]] = []
        for no, line in _entries(directory / "userdict.txt"):
            parts = line.split()
            if len(parts) > 2 or (len(parts) == 2 and not parts[1].isdecimal()):
                raise DictionaryError(
                    f"{directory / 'userdict.txt'}:{no}: expected 'word [freq]', got {line!r}"
                )
            words.append((parts[0], int(parts[1]) if len(parts) == 2 else None))
        groups: list[tuple[str, ...]] = []
        for no, line in _entries(directory / "synonyms.txt"):
            group = tuple(w.strip() for w in line.split(",") if w.strip())
            if len(group) < 2:
                raise DictionaryError(
                    f"{directory / 'synonyms.txt'}:{no}: a synonym group needs two or more "
                    f"comma-separated words, got {line!r}"
                )
            groups.append(group)
        stop = frozenset(line for _, line in _entries(directory / "stopwords.txt"))
        needs_path = directory / "needs.txt"
        needs = tuple(_parse_need(needs_path, no, line) for no, line in _entries(needs_path))
        h = hashlib.sha256()
        for name in FILES:
            path = directory / name
            h.update(name.encode() + b"\0")
            h.update(path.read_bytes() if path.exists() else b"")
        return cls(directory, tuple(words), tuple(groups), stop, needs, h.hexdigest())

    def digest(self) -> str:
        """SHA-256 over the raw bytes of every dictionary file."""
        return self._digest
