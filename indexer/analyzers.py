"""The analyzer of an index version, loaded once per process and shared by its users.

A version folder (or a serving copy of one) holds its catalog words; the analyzer
over them is loaded from the saved state when the version has one
(``analyzer.state`` and ``analyzer.trie``), else built from the words and their recorded frequencies
(``word_freqs.tsv``), else from the words alone (versions built before either
existed). The applier and the engines a worker swaps in both ask here, so a
process holds one analyzer per set of words however many of them use it.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import weakref
from pathlib import Path

from indexer.analysis import Analyzer, analyzer_fingerprint, parse_word_freqs
from indexer.dictionaries import Dictionaries
from indexer.errors import IncompatibleIndexError
from indexer.schema import SCHEMA_VERSION
from indexer.store import (
    ANALYZER_STATE_FILE,
    ANALYZER_TRIE_FILE,
    WORD_FREQS_FILE,
    WORDS_FILE,
    Manifest,
)

log = logging.getLogger("mpsearch.analyzers")

_lock = threading.Lock()  # one load at a time; a second asker waits and reuses it
_loaded: weakref.WeakValueDictionary[str, Analyzer] = weakref.WeakValueDictionary()
_latest: Analyzer | None = None  # kept while nothing else holds it (between two engines)


def check_compatible(manifest: Manifest, dicts: Dictionaries) -> None:
    """Refuse a version written with another schema, analyzer or dictionaries."""
    rebuild = "Rebuild: `mpsearch index build ...` then `mpsearch index publish --latest`"
    if manifest.schema_version != SCHEMA_VERSION:
        raise IncompatibleIndexError(
            f"index {manifest.version} was written with schema version "
            f"{manifest.schema_version}, this code reads version {SCHEMA_VERSION}. {rebuild}"
        )
    expected = analyzer_fingerprint(dicts)
    if manifest.fingerprint != expected:
        raise IncompatibleIndexError(
            f"index {manifest.version} was built with analyzer fingerprint "
            f"{manifest.fingerprint}, but this analyzer and {dicts.directory} give {expected}: "
            f"the dictionaries, the analyzer or the index schema changed since the build. {rebuild}"
        )


def analyzer_for(dicts: Dictionaries, root: Path, version_dir: Path | None = None) -> Analyzer:
    """The analyzer for the words of the version (or serving copy) at ``root``.

    ``version_dir``: the version a serving copy was made from, whose saved state is used
    when the copy has none (a copy made before copies got it).
    """
    global _latest
    words = (root / WORDS_FILE).read_text(encoding="utf-8")
    key = _key(dicts, words)
    with _lock:
        analyzer = _loaded.get(key)
        if analyzer is None:
            analyzer = load_analyzer(dicts, root, words, version_dir)
            _loaded[key] = analyzer
        _latest = analyzer
        return analyzer


def _key(dicts: Dictionaries, words: str) -> str:
    h = hashlib.sha256(words.encode())
    return f"{dicts.digest()}:{h.hexdigest()}"


def load_analyzer(
    dicts: Dictionaries, root: Path, words: str | None = None, version_dir: Path | None = None
) -> Analyzer:
    """A new analyzer for the version at ``root`` (``words``: its words file, if read)."""
    if words is None:
        words = (root / WORDS_FILE).read_text(encoding="utf-8")
    for folder in (root, version_dir):
        if folder is None:
            continue
        state, trie = folder / ANALYZER_STATE_FILE, folder / ANALYZER_TRIE_FILE
        if not (state.is_file() and trie.is_file()):
            continue
        try:  # the state must be for these words, so another folder's is checked too
            return Analyzer.from_state(dicts, state, trie, words)
        except (OSError, ValueError) as exc:
            log.warning("%s: %s; building the analyzer from the words instead", state, exc)
    freqs = None
    for folder in (root, version_dir):
        if folder is not None and (folder / WORD_FREQS_FILE).is_file():
            freqs = parse_word_freqs((folder / WORD_FREQS_FILE).read_text("utf-8"))
            break
    return Analyzer(dicts, words.split(), freqs)
