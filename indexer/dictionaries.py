"""Plain-text dictionaries that search-quality engineers edit: user words, synonyms, stop words.

Formats (UTF-8, one entry a line, ``#`` starts a comment, blank lines ignored):

- ``userdict.txt``: ``word [freq]`` — extra words for segmentation.
- ``synonyms.txt``: ``word, word, word`` — an equivalence group; a query word of
  the group also searches the others.
- ``stopwords.txt``: ``word`` — dropped from queries and the index.

Every file feeds the analyzer fingerprint, so an edit requires a rebuild.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from indexer.errors import DictionaryError

FILES = ("userdict.txt", "synonyms.txt", "stopwords.txt")


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


@dataclass(frozen=True)
class Dictionaries:
    """The loaded contents of ``dictionaries/`` plus their digest."""

    directory: Path
    user_words: tuple[tuple[str, int | None], ...] = ()
    synonym_groups: tuple[tuple[str, ...], ...] = ()
    stopwords: frozenset[str] = frozenset()
    _digest: str = field(default="", repr=False)

    @classmethod
    def load(cls, directory: Path) -> Dictionaries:
        """Read and validate the three files; a malformed line raises DictionaryError."""
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
        h = hashlib.sha256()
        for name in FILES:
            path = directory / name
            h.update(name.encode() + b"\0")
            h.update(path.read_bytes() if path.exists() else b"")
        return cls(directory, tuple(words), tuple(groups), stop, h.hexdigest())

    def digest(self) -> str:
        """SHA-256 over the raw bytes of every dictionary file."""
        return self._digest
