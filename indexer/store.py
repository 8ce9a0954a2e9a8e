"""Index versions under ``$MPSEARCH_HOME/indexes/``: manifests and the ``current`` pointer.

A version is an immutable directory, complete once its manifest exists. Every
write goes to a temporary name and is renamed into place, so a crash never
leaves a half-written version or pointer behind.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from collections.abc import Collection
from datetime import UTC, datetime
from pathlib import Path

import orjson
from pydantic import BaseModel

from indexer.errors import VersionError
from indexer.ids import VERSION_RE, check_version, child_path, is_valid

MANIFEST = "manifest.json"
INDEX_DIR = "index"
BRANDS_FILE = "brands.json"
WORDS_FILE = "words.txt"
WORD_FREQS_FILE = "word_freqs.tsv"  # jieba frequencies of WORDS_FILE, for a fast start
# The analyzer's saved state (jieba's dictionary as a word trie), for a fast, small start.
ANALYZER_STATE_FILE = "analyzer.state"
ANALYZER_TRIE_FILE = "analyzer.trie"
CURRENT = "current"
PREVIOUS = "previous"
TMP_PREFIX = ".tmp-"
STALE_STAGING_SECONDS = 3600.0


class SourceFile(BaseModel):
    """A catalog file an index was built from."""

    path: str
    sha256: str
    bytes: int


class Manifest(BaseModel):
    """What a version holds and how it was made."""

    version: str
    created_at: datetime
    schema_version: int
    fingerprint: str
    sources: dict[str, SourceFile]
    counts: dict[str, int]
    by_status: dict[str, int]
    by_platform: dict[str, int]
    files_sha256: str
    change_seq: int = 0  # the change log's last sequence when the build started
    # The host apps of the build's settings: every listing it wrote says whether it is live
    # in each (schema.LIVE or schema.HIDDEN); a host added later has no HIDDEN terms.
    hosts: tuple[str, ...] = ()


def read_manifest(folder: Path) -> Manifest:
    """The manifest of a version folder (or of a serving copy of one)."""
    return Manifest.model_validate(orjson.loads((folder / MANIFEST).read_bytes()))


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, read in blocks."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def tree_sha256(root: Path) -> str:
    """One checksum over every file below ``root`` but the manifest (names and contents)."""
    h = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file() and p.name != MANIFEST):
        h.update(str(path.relative_to(root)).encode() + b"\0")
        h.update(file_sha256(path).encode())
    return h.hexdigest()


def new_version_id(now: datetime | None = None) -> str:
    """A sortable, unique version name: ``vYYYYMMDD-HHMMSS-xxxxxx``."""
    now = now or datetime.now(UTC)
    return f"v{now:%Y%m%d-%H%M%S}-{os.urandom(3).hex()}"


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file, fsync and rename."""
    tmp = path.with_name(f"{TMP_PREFIX}{path.name}.{os.getpid()}")
    with tmp.open("wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def complete_versions(root: Path) -> list[str]:
    """The versions in folder ``root`` that have their manifest, oldest first."""
    if not root.is_dir():
        return []
    return sorted(
        p.name
        for p in root.iterdir()
        if p.is_dir() and VERSION_RE.fullmatch(p.name) and (p / MANIFEST).is_file()
    )


class IndexStore:
    """The versions folder of one ``MPSEARCH_HOME``."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.root = home / "indexes"

    def check_name(self, version: str) -> str:
        """Reject names that are not version ids (and so could escape the folder)."""
        return check_version(version)

    def path(self, version: str) -> Path:
        """The folder of a version, never outside ``indexes/`` (see :mod:`indexer.ids`)."""
        return child_path(self.root, "version", version)

    def staging_dir(self, version: str) -> Path:
        """A fresh temporary directory for a version being built."""
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = self.root / f"{TMP_PREFIX}{self.check_name(version)}"
        if tmp.exists():
            shutil.rmtree(tmp)
        tmp.mkdir()
        return tmp

    def commit(self, staging: Path, manifest: Manifest) -> Path:
        """Write the manifest last, then rename the staging folder to its version name."""
        write_atomic(staging / MANIFEST, manifest.model_dump_json(indent=2).encode())
        final = self.path(manifest.version)
        os.replace(staging, final)
        _fsync_dir(self.root)
        return final

    def versions(self) -> list[str]:
        """Complete versions, oldest first."""
        return complete_versions(self.root)

    def manifest(self, version: str) -> Manifest:
        folder = self.path(version)
        if not (folder / MANIFEST).is_file():
            raise VersionError(
                f"version {version} not found or incomplete under {self.root} "
                "(see `mpsearch index list`)"
            )
        return read_manifest(folder)

    def verify(self, version: str) -> Manifest:
        """The manifest of a complete version whose files match their checksum."""
        manifest = self.manifest(version)
        actual = tree_sha256(self.path(version))
        if actual != manifest.files_sha256:
            raise VersionError(
                f"version {version} is corrupt: index files checksum {actual[:12]} does not "
                f"match the manifest's {manifest.files_sha256[:12]}; rebuild it"
            )
        return manifest

    def current(self) -> str | None:
        """The published version, or None when nothing is published."""
        pointer = self.home / CURRENT
        if not pointer.is_file():
            return None
        name = pointer.read_text(encoding="utf-8").strip()
        return name or None

    def previous(self) -> str | None:
        """The version that was current before the last publish, if any."""
        pointer = self.home / PREVIOUS
        if not pointer.is_file():
            return None
        name = pointer.read_text(encoding="utf-8").strip()
        return name if is_valid("version", name) else None

    def publish(self, version: str) -> Manifest:
        """Point ``current`` at a verified version with an atomic rename.

        ``previous`` is written first (to the version being replaced), so a crash
        between the two renames leaves ``previous == current``, never a pointer at
        a version that was not published.
        """
        manifest = self.verify(version)
        current = self.current()
        self.point_at(version, current if current != version else self.previous())
        return manifest

    def point_at(self, version: str, previous: str | None) -> None:
        """Write ``previous`` (when given), then ``current``, each with an atomic rename; the
        caller has verified ``version`` (a replica mirrors the shared publication history)."""
        if previous is not None and previous != version:
            write_atomic(self.home / PREVIOUS, f"{self.check_name(previous)}\n".encode())
        write_atomic(self.home / CURRENT, f"{self.check_name(version)}\n".encode())

    def rollback(self) -> tuple[str, Manifest]:
        """Publish the previous version again (the replaced one becomes ``previous``)."""
        target = self.previous()
        if target is None or target == self.current():
            raise VersionError(
                f"no previous version to roll back to under {self.home} "
                "(a rollback needs two publishes)"
            )
        return target, self.publish(target)

    def gc(self, keep: int, protect: Collection[str] = ()) -> list[str]:
        """Remove all but the ``keep`` newest versions, never the current, the previous
        or one in ``protect`` (being served); also stale staging folders. Returns what
        was removed."""
        if keep < 0:
            raise VersionError(f"--keep must be 0 or more, got {keep}")
        versions = self.versions()
        keep_set = set(versions[len(versions) - keep :] if keep else [])
        keep_set |= {v for v in (self.current(), self.previous()) if v} | set(protect)
        removed: list[str] = []
        for name in versions:
            if name in keep_set:
                continue
            self.remove(name)
            removed.append(name)
        removed += self._remove_stale_staging()
        return removed

    def remove(self, version: str) -> None:
        """Remove a version: renamed first, so a crash mid-removal leaves a staging folder,
        not a version directory without its files."""
        doomed = self.root / f"{TMP_PREFIX}gc-{self.check_name(version)}"
        os.replace(self.path(version), doomed)
        shutil.rmtree(doomed, ignore_errors=True)

    def _remove_stale_staging(self, older_than: float = STALE_STAGING_SECONDS) -> list[str]:
        """Staging folders left by a killed build or gc (untouched for ``older_than`` s)."""
        if not self.root.is_dir():
            return []
        now = time.time()
        out = []
        for path in self.root.iterdir():
            if not (path.name.startswith(TMP_PREFIX) and path.is_dir()):
                continue
            leftover = path.name.startswith(f"{TMP_PREFIX}gc-")
            if leftover or now - path.stat().st_mtime > older_than:
                shutil.rmtree(path, ignore_errors=True)
                out.append(path.name)
        return out

    def latest(self) -> str:
        versions = self.versions()
        if not versions:
            raise VersionError(f"no index version under {self.root}; run `mpsearch index build`")
        return versions[-1]
