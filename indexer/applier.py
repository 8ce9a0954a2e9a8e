"""The applier: the one tantivy writer per machine, keeping the serving copy current.

Published versions are immutable. What API workers serve is a *serving copy* of
the current version under ``$MPSEARCH_HOME/live/<version>-<xxxxxx>/``: every file
of the version (the files live updates rewrite copied: brands, words, manifest and
tantivy's meta; the rest hard-linked: segments, analyzer state, category model) with
every change of the log after the version's ``change_seq`` applied and committed. The
applier

1. notices a new ``current`` and prepares a fresh serving copy of it: applies every
   decision standing in the log (``indexer.decisions``: a takedown or a go-live
   decision holds whatever export the version was built from), then replays the change
   log after the version's ``change_seq``, all *before* announcing it, so no version ever
   serves a taken-down listing, one withdrawn from a host, one without its approved
   hosts, or without the updates acknowledged after its build started;
2. applies new changes to the serving copy in log order and commits; an upserted
   listing is written as the standing decisions leave it, and a go-live decision
   rewrites its listing's latest content (the newest upsert after the build, else the
   version's) under the decisions;
3. announces each commit by atomically rewriting ``live/state.json``
   (:class:`ServingState`), which the API workers poll.

Only the holder of ``live/applier.lock`` (an ``flock``) applies; every API worker
tries to take it, so exactly one applies, and another takes over when it dies.
Applying a change twice gives the same index (delete by appid, then add), so a
crash between a tantivy commit and the state file costs nothing but a replay. While
the change log cannot be reached (a shared log's server down), the copy keeps what it
has applied and the applier reads on from there once the log answers, without a
restart or a fresh copy.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import tantivy
from pydantic import BaseModel, ValidationError

from indexer import schema as f
from indexer.analysis import Analyzer
from indexer.analyzers import analyzer_for, check_compatible
from indexer.brands import BrandTable
from indexer.changelog import Change, ChangeLog
from indexer.decisions import GO_LIVE, StandingDecisions
from indexer.dictionaries import Dictionaries
from indexer.document import analyse_listing, load_listing
from indexer.errors import ChangeLogUnavailable, IndexerError
from indexer.ids import is_valid
from indexer.locks import FileLock
from indexer.models import Brand, Listing
from indexer.store import (
    BRANDS_FILE,
    INDEX_DIR,
    MANIFEST,
    TMP_PREFIX,
    WORDS_FILE,
    IndexStore,
    Manifest,
    write_atomic,
)

log = logging.getLogger("mpsearch.applier")

LIVE_DIR = "live"
STATE_FILE = "state.json"
LOCK_FILE = "applier.lock"
BATCH = 500
WRITER_HEAP = 50_000_000
POLL_SECONDS = 0.05
LOG_RETRY_SECONDS = 0.5  # while the change log is unreachable
KEEP_COPIES = 3  # serving copies kept: the new one and the ones workers may still read


class ServingState(BaseModel):
    """What workers should serve: written by the applier after each commit."""

    version: str
    copy_dir: str  # folder name under live/
    build_seq: int  # the version's change_seq
    applied_seq: int  # every change up to here is in the copy
    brands_seq: int  # the last change that touched brands (reload the brand table)
    updated_at: datetime


def live_root(home: Path) -> Path:
    return home / LIVE_DIR


def read_state(home: Path) -> ServingState | None:
    """The serving state, or None before the first serving copy is ready."""
    path = live_root(home) / STATE_FILE
    try:
        return ServingState.model_validate_json(path.read_bytes())
    except FileNotFoundError:
        return None


def copy_path(home: Path, state: ServingState) -> Path:
    return live_root(home) / state.copy_dir


def _link_or_copy(src: Path, dst: Path) -> None:
    """Segment files are written once, so a hard link is a safe copy; meta files are
    rewritten by tantivy through a rename, which breaks the link too."""
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def make_copy(store: IndexStore, version: str, home: Path) -> Path:
    """A new serving copy of ``version`` (complete once renamed into place)."""
    root = live_root(home)
    root.mkdir(parents=True, exist_ok=True)
    name = f"{version}-{os.urandom(3).hex()}"
    staging = root / f"{TMP_PREFIX}{name}"
    src = store.path(version)
    (staging / INDEX_DIR).mkdir(parents=True)
    for item in (src / INDEX_DIR).iterdir():
        if item.is_file() and not item.name.endswith(".lock"):
            if item.name.endswith(".json"):
                shutil.copy2(item, staging / INDEX_DIR / item.name)
            else:
                _link_or_copy(item, staging / INDEX_DIR / item.name)
    rewritten = (BRANDS_FILE, WORDS_FILE, MANIFEST)  # by live updates: copies, and required
    for name_ in rewritten:
        shutil.copy2(src / name_, staging / name_)
    for item in src.iterdir():  # the rest is never rewritten (analyzer state, category model …)
        if item.is_file() and item.name not in rewritten:
            _link_or_copy(item, staging / item.name)
    final = root / name
    os.replace(staging, final)
    return final


@dataclass
class _Copy:
    """The serving copy the applier writes to."""

    manifest: Manifest
    path: Path
    index: tantivy.Index
    writer: tantivy.IndexWriter
    analyzer: Analyzer
    table: BrandTable
    applied_seq: int
    brands_seq: int
    decisions: StandingDecisions  # as of the changes applied (noted as they are)
    version_index: tantivy.Index  # the published version's own files (never written)
    pending: int = 0
    brands_dirty: bool = False


class Applier:
    """Applies the change log to the serving copy of the current version."""

    def __init__(
        self,
        home: Path,
        dicts: Dictionaries,
        changelog: ChangeLog,
        on_commit: Callable[[ServingState], None] | None = None,
    ) -> None:
        self.home = home
        self.store = IndexStore(home)
        self.dicts = dicts
        self.log = changelog
        self.on_commit = on_commit
        self.copy: _Copy | None = None
        self.failed: str | None = None  # a version that could not be prepared
        self.log_error: str | None = None  # the change log's last failure, until it answers
        self._lock = FileLock(live_root(home) / LOCK_FILE)

    # --- the lock -----------------------------------------------------------------

    def try_lock(self) -> bool:
        """Become the applier of this home if nobody else is (non-blocking)."""
        return self._lock.try_acquire()

    def reset(self) -> None:
        """Forget the serving copy (after a failure): the next step prepares a fresh one."""
        if self.copy is not None:
            self._retire(self.copy)
            self.copy = None

    @property
    def holds_lock(self) -> bool:
        return self._lock.held

    def close(self) -> None:
        """Stop writing and release the lock."""
        if self.copy is not None:
            self._retire(self.copy)
            self.copy = None
        self._lock.release()

    # --- one step -------------------------------------------------------------------

    def step(self) -> bool:
        """Prepare a newly published version or apply new changes; True if it did work."""
        current = self.store.current()
        stale = self.copy is None or self.copy.manifest.version != current
        if current is not None and current != self.failed and stale:
            try:
                self.prepare(current)
            except ChangeLogUnavailable:
                raise  # not the version's fault: prepared again once the log is back
            except (IndexerError, OSError, ValueError) as exc:
                self.failed = current  # keep serving (and updating) the copy we have
                log.error("cannot serve version %s: %s", current, exc)
            return True
        if self.copy is None:
            return False
        return self.apply_pending()

    def run(self, stop: threading.Event) -> None:
        """Loop until ``stop`` is set: take the lock when free, then apply."""
        while not stop.is_set():
            if not self.try_lock():
                stop.wait(1.0)
                continue
            try:
                busy = self.step()
            except ChangeLogUnavailable as exc:
                # What is applied stays (committed or pending in the writer); the next
                # step reads on from the applied sequence once the log answers again.
                if str(exc) != self.log_error:
                    log.warning("%s; serving what is applied, retrying", exc)
                self.log_error = str(exc)
                stop.wait(LOG_RETRY_SECONDS)
                continue
            except Exception:
                # The copy may hold changes counted as applied but not committed:
                # drop it, so the next step prepares a fresh copy and replays the log.
                log.exception("applier step failed; preparing a fresh serving copy")
                self.reset()
                busy = False
                stop.wait(1.0)
            self.log_error = None
            if not busy:
                stop.wait(POLL_SECONDS)
        self.close()

    # --- preparing a version -------------------------------------------------------------

    def prepare(self, version: str) -> ServingState:
        """Make a serving copy of ``version``, apply the standing decisions, replay the log
        after its build, announce it."""
        # `publish` verified the checksum; re-hashing a large index here would delay
        # the swap by seconds. A missing or incomplete version still raises.
        manifest = self.store.manifest(version)
        check_compatible(manifest, self.dicts)
        decisions = StandingDecisions.read(self.log)
        path = make_copy(self.store, version, self.home)
        analyzer = analyzer_for(self.dicts, path)
        index = tantivy.Index.open(str(path / INDEX_DIR))
        table = BrandTable.read(path)
        new = _Copy(
            manifest=manifest,
            path=path,
            index=index,
            writer=index.writer(heap_size=WRITER_HEAP, num_threads=1),
            analyzer=analyzer,
            table=table,
            applied_seq=manifest.change_seq,
            brands_seq=manifest.change_seq,
            decisions=decisions,
            version_index=tantivy.Index.open(str(self.store.path(version) / INDEX_DIR)),
        )
        try:
            for decision in decisions.changes:
                self._apply(new, decision)  # idempotent: replayed again if after change_seq
            while self._apply_batch(new):
                pass
            self._commit(new)
        except BaseException:  # e.g. the log went away mid-replay: never announced
            self._retire(new)
            shutil.rmtree(path, ignore_errors=True)
            raise
        old, self.copy = self.copy, new
        if old is not None:
            self._retire(old)
        state = self._announce(new)
        log.info(
            "serving %s (built at change %d, replayed to %d)",
            version,
            manifest.change_seq,
            new.applied_seq,
        )
        self._remove_old_copies()
        return state

    def _retire(self, copy: _Copy) -> None:
        try:
            copy.writer.wait_merging_threads()
        except Exception as exc:  # the writer is dropped either way
            log.warning("closing the writer of %s: %s", copy.path.name, exc)

    def _remove_old_copies(self) -> None:
        """Keep the newest serving copies (workers may still be reading them)."""
        root = live_root(self.home)
        copies = sorted(
            (p for p in root.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime_ns
        )
        keep = {p.name for p in copies[-KEEP_COPIES:]}
        if self.copy is not None:
            keep.add(self.copy.path.name)
        for p in copies:
            if p.name not in keep:
                shutil.rmtree(p, ignore_errors=True)

    # --- applying changes ---------------------------------------------------------------

    def apply_pending(self) -> bool:
        """Apply and commit the changes after the copy's applied sequence."""
        copy = self.copy
        assert copy is not None
        if not self._apply_batch(copy):
            return False
        while self._apply_batch(copy):
            pass
        self._commit(copy)
        self._announce(copy)
        return True

    def _apply_batch(self, copy: _Copy) -> bool:
        changes = self.log.since(copy.applied_seq, BATCH)
        for change in changes:
            self._apply(copy, change)
            copy.applied_seq = change.seq
        return bool(changes)

    def _apply(self, copy: _Copy, change: Change) -> None:
        copy.decisions.note(change)
        try:
            if change.kind == "listing_delete":
                copy.writer.delete_documents_by_term(f.APPID, change.key)
            elif change.kind == "listing_put":
                listing = Listing.model_validate(change.payload)
                self._put_decided(copy, listing.appid, listing)
            elif change.kind == "brand_put":
                self._put_brand(copy, Brand.model_validate(change.payload))
                copy.brands_seq = change.seq
            elif change.kind in GO_LIVE.kinds:
                appid = GO_LIVE.appid_of(change)
                self._put_decided(copy, appid, self._content(copy, appid))
            else:  # applications and rejections: a record of the workflow, nothing to serve
                return
            copy.pending += 1
        except ValidationError as exc:  # validated before it was logged; never expected
            log.error("change %d (%s %s) skipped: %s", change.seq, change.kind, change.key, exc)

    def _put_decided(self, copy: _Copy, appid: str, content: Listing | None) -> None:
        """Serve ``content`` as the standing decisions leave it (nothing when they hold it
        back, or when there is no content)."""
        admitted = None if content is None else copy.decisions.admit(content)
        if admitted is None:
            copy.writer.delete_documents_by_term(f.APPID, appid)
        else:
            self._put_listing(copy, admitted)

    def _content(self, copy: _Copy, appid: str) -> Listing | None:
        """The listing's latest content: its newest upsert after the version's build (the
        export reflects the earlier ones), else the version's own document."""
        upsert = self.log.latest("listing_put", appid)
        if upsert is not None and upsert.seq > copy.manifest.change_seq:
            return Listing.model_validate(upsert.payload)
        searcher = copy.version_index.searcher()
        query = tantivy.Query.term_query(copy.version_index.schema, f.APPID, appid)
        hits = searcher.search(query, limit=1).hits
        if not hits:
            return None
        blob = searcher.doc(hits[0][1]).get_first(f.CARD)
        return Listing.model_validate(load_listing(blob)) if isinstance(blob, bytes) else None

    def _put_listing(self, copy: _Copy, listing: Listing) -> None:
        brand = copy.table.brands.get(listing.brand_id or "")
        copy.writer.delete_documents_by_term(f.APPID, listing.appid)
        copy.writer.add_document(analyse_listing(listing, brand, copy.analyzer))

    def _put_brand(self, copy: _Copy, brand: Brand) -> None:
        """Replace the brand and re-analyse its listings (their brand words and flags)."""
        others = [b for b in copy.table.brands.values() if b.brand_id != brand.brand_id]
        copy.table = BrandTable.build([*others, brand])
        copy.brands_dirty = True
        # Earlier changes of this batch must be visible to find the brand's listings.
        self._commit(copy)
        searcher = copy.index.searcher()
        query = tantivy.Query.term_query(copy.index.schema, f.BRAND_ID, brand.brand_id)
        total = max(searcher.doc_freq(f.BRAND_ID, brand.brand_id), 1)
        for _, addr in searcher.search(query, limit=total).hits:
            blob = searcher.doc(addr).get_first(f.CARD)
            if isinstance(blob, bytes):
                listing = Listing.model_validate(load_listing(blob))
                self._put_listing(copy, listing)

    def _commit(self, copy: _Copy) -> None:
        if copy.brands_dirty:
            copy.table.write(copy.path)
            copy.brands_dirty = False
        if copy.pending:
            copy.writer.commit()
            copy.pending = 0
        copy.index.reload()

    def _announce(self, copy: _Copy) -> ServingState:
        state = ServingState(
            version=copy.manifest.version,
            copy_dir=copy.path.name,
            build_seq=copy.manifest.change_seq,
            applied_seq=copy.applied_seq,
            brands_seq=copy.brands_seq,
            updated_at=datetime.now(UTC),
        )
        write_atomic(live_root(self.home) / STATE_FILE, state.model_dump_json().encode())
        if self.on_commit is not None:
            self.on_commit(state)
        return state


def served_versions(home: Path) -> set[str]:
    """Versions with a serving copy on disk (gc must not remove them)."""
    root = live_root(home)
    if not root.is_dir():
        return set()
    out = set()
    for p in root.iterdir():
        name = p.name[: -len("-xxxxxx")]
        if p.is_dir() and is_valid("version", name):
            out.add(name)
    state = read_state(home)
    if state is not None:
        out.add(state.version)
    return out
