"""Hashing and fingerprinting items, skipping the ones whose files have not changed.

``analyse`` reads one file and returns plain facts (it runs in worker processes and on the
queue); ``Scanner`` decides which items need it and records the facts on the beets item
(typed flexible attributes) and in the sidecar (one fingerprint per audio hash).
"""

from __future__ import annotations

import functools
import itertools
import os
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import sqlite_utils
from beets.library import Item, Library
from mediafile import MediaFile, UnreadableFileError

from beetcrate import audiohash, fingerprints
from beetcrate.fingerprints import Fingerprint, TooShort
from beetcrate.media import MediaError
from beetsplug.dupes import store

BATCH = 50


@dataclass(frozen=True)
class Facts:
    audio_hash: str
    prescreen: str
    mtime: float
    size: int
    has_art: bool
    fingerprint: Fingerprint | None  # None when the sidecar already holds this audio's


@dataclass
class ScanReport:
    scanned: int = 0
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)


@functools.lru_cache(maxsize=4)
def _store(db_path: str, pid: int) -> sqlite_utils.Database:
    """One sidecar connection per process (the pid keeps a forked worker off its parent's)."""
    db = store.open_store(db_path)
    fingerprints.prepare(db)
    return db


def analyse(path: str, db_path: str, with_prints: bool = True, full: bool = True) -> Facts:
    """Pre-screen ``path``; unless ``full`` is false, hash it in full and fingerprint it (if
    ``with_prints`` and its audio is not fingerprinted yet)."""
    try:
        before = os.stat(path)
    except OSError as exc:
        raise MediaError(f"cannot read {path}: {exc.strerror}") from exc
    prescreen = audiohash.prescreen(path)
    audio_hash = audiohash.audio_hash(path) if full else ""
    db = _store(db_path, os.getpid())
    known = (
        bool(audio_hash)
        and store.has_fingerprint(db, audio_hash)
        and fingerprints.stored(db, audio_hash) is not None
    )
    try:
        has_art = bool(MediaFile(path).images)
    except (UnreadableFileError, OSError):
        has_art = False
    return Facts(
        audio_hash=audio_hash,
        prescreen=prescreen,
        mtime=before.st_mtime,
        size=before.st_size,
        has_art=has_art,
        fingerprint=_fingerprint(path, db_path, audio_hash)
        if full and with_prints and not known
        else None,
    )


def _fingerprint(path: str, db_path: str, audio_hash: str) -> Fingerprint | None:
    """The file's fingerprint, computed unless another stage (identify) already did.

    A very short track (a jingle, a skit) gets none: it still has its audio hash, so exact
    copies of it are grouped; only same-recording matching leaves it out."""
    try:
        return fingerprints.fingerprint_of(_store(db_path, os.getpid()), path, audio_hash)
    except TooShort:
        return None


def _analyse_or_error(args: tuple[str, str, bool, bool]) -> Facts | str:
    """``analyse`` for worker processes: an unreadable file is a message, not a crash."""
    try:
        return analyse(*args)
    except MediaError as exc:
        return str(exc)
    except Exception as exc:  # a decoder bug on one file must not end a library-wide scan
        return f"cannot analyse {args[0]}: {type(exc).__name__}: {exc}"


def is_current(item: Item, need_hash: bool = True) -> bool:
    """Whether the item's stored facts still describe its file (same mtime and size).

    Without ``need_hash`` a pre-screen alone is enough (exact-only scans hash a file in full
    only when another file shares its pre-screen key).
    """
    if not item.get("audio_hash") and (need_hash or not item.get("audio_prescreen")):
        return False
    try:
        stat = os.stat(item.path)
    except OSError:
        return False
    # beets keeps flexible floats as text with ~15 significant digits: compare to the millisecond.
    return (
        abs(float(item.get("audio_hash_mtime", 0)) - stat.st_mtime) < 1e-3
        and int(item.get("audio_hash_size", -1)) == stat.st_size
    )


def record(item: Item, facts: Facts, db_path: str) -> None:
    """Store ``facts`` on the item (and its fingerprint, once per audio hash, in the sidecar)."""
    db = _store(db_path, os.getpid())
    if facts.fingerprint is not None:
        fp = facts.fingerprint
        store.save_fingerprint(db, facts.audio_hash, fp.values, fp.duration)
    if facts.audio_hash:
        item["audio_hash"] = facts.audio_hash
    elif "audio_hash" in item:
        del item["audio_hash"]  # the file changed and was only pre-screened
    item["audio_hash_mtime"] = facts.mtime
    item["audio_hash_size"] = facts.size
    item["audio_prescreen"] = facts.prescreen
    item["dupes_art"] = facts.has_art
    stored = fingerprints.stored(db, facts.audio_hash) if facts.audio_hash else None
    if stored is not None:
        item.acoustid_fingerprint = stored.encoded
    item.store()


class Scanner:
    """Brings the stored hashes and fingerprints of some items up to date."""

    def __init__(self, lib: Library, db_path: str | Path, fingerprints: bool = True, jobs: int = 1):
        self.lib = lib
        self.db_path = os.fspath(db_path)
        self.fingerprints = fingerprints
        self.jobs = max(1, jobs)

    def run(
        self, items: Iterable[Item], progress: Callable[[int], None] | None = None
    ) -> ScanReport:
        report = ScanReport()
        todo = []
        for item in items:
            if is_current(item, need_hash=self.fingerprints):
                report.unchanged += 1
                if progress:
                    progress(1)
            else:
                todo.append(item)
        # Fingerprints are stored per audio hash, so with them every file is hashed in full;
        # without them, the pre-screen decides which files need a full hash at all.
        self._analyse(todo, report, progress, full=self.fingerprints)
        if not self.fingerprints:
            self._analyse(self._prescreen_collisions(), ScanReport(), None, full=True)
        return report

    def _prescreen_collisions(self) -> list[Item]:
        """Items lacking a full hash whose pre-screen key another item shares."""
        items = [item for item in self.lib.items() if item.get("audio_prescreen")]
        keys = Counter(item["audio_prescreen"] for item in items)
        return [i for i in items if keys[i["audio_prescreen"]] > 1 and not i.get("audio_hash")]

    def _analyse(
        self,
        items: list[Item],
        report: ScanReport,
        progress: Callable[[int], None] | None,
        full: bool,
    ) -> None:
        jobs = [(os.fsdecode(item.path), self.db_path, self.fingerprints, full) for item in items]
        if self.jobs > 1 and len(items) > 1:
            with ProcessPoolExecutor(self.jobs) as pool:
                results = pool.map(_analyse_or_error, jobs, chunksize=4)
                self._record_all(items, results, report, progress)
        else:
            self._record_all(items, map(_analyse_or_error, jobs), report, progress)

    def _record_all(
        self,
        items: list[Item],
        results: Iterable[Facts | str],
        report: ScanReport,
        progress: Callable[[int], None] | None,
    ) -> None:
        # Results arrive in order and are written by this one process: one writer per database,
        # committing to beets every BATCH items rather than once per item.
        pairs = zip(items, results, strict=True)
        while batch := list(itertools.islice(pairs, BATCH)):
            with self.lib.transaction():
                for item, result in batch:
                    if isinstance(result, str):
                        report.errors.append(result)
                    else:
                        record(item, result, self.db_path)
                        report.scanned += 1
                    if progress:
                        progress(1)
