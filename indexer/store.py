"""Index versions under ``$MPSEARCH_HOME/indexes/``: manifests and the ``current`` pointer.

A version is an immutable directory, complete once its manifest exists. Every
write goes to a temporary name and is renamed into place, so a crash never
leaves a half-written version or pointer behind.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

import orjson
from pydantic import BaseModel

from indexer.errors import VersionError

MANIFEST = "manifest.json"
INDEX_DIR = "index"
BRANDS_FILE = "brands.json"
WORDS_FILE = "words.txt"
WORD_FREQS_FILE = "word_freqs.tsv"  # jieba frequencies of WORDS_FILE, for a fast start
CURRENT = "current"
TMP_PREFIX = ".tmp-"
VERSION_RE = re.compile(r"^v[0-9]{8}-[0-9]{6}-[0-9a-f]{6}\Z")


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


class IndexStore:
    """The versions folder of one ``MPSEARCH_HOME``."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.root = home / "indexes"

    def check_name(self, version: str) -> str:
        """Reject names that are not version ids (and so could escape the folder)."""
        if not VERSION_RE.match(version):
            raise VersionError(
                f"{version!r} is not a version name; expected vYYYYMMDD-HHMMSS-xxxxxx "
                "(see `mpsearch index list`)"
            )
        return version

    def path(self, version: str) -> Path:
        return self.root / self.check_name(version)

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
        if not self.root.is_dir():
            return []
        return sorted(
            p.name
            for p in self.root.iterdir()
            if p.is_dir() and VERSION_RE.match(p.name) and (p / MANIFEST).is_file()
        )

    def manifest(self, version: str) -> Manifest:
        path = self.path(version) / MANIFEST
        if not path.is_file():
            raise VersionError(
                f"version {version} not found or incomplete under {self.root} "
                "(see `mpsearch index list`)"
            )
        return Manifest.model_validate(orjson.loads(path.read_bytes()))

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

    def publish(self, version: str) -> Manifest:
        """Point ``current`` at a verified version with an atomic rename."""
        manifest = self.verify(version)
        write_atomic(self.home / CURRENT, f"{version}\n".encode())
        return manifest

    def latest(self) -> str:
        versions = self.versions()
        if not versions:
            raise VersionError(f"no index version under {self.root}; run `mpsearch index build`")
        return versions[-1]
