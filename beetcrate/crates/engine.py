"""``CrateEngine``: the crates of one library, evaluated for a listener.

One engine holds one connection to the sidecar with beets' database ATTACHed read-only as
``beets``: the crate index is built from it, beets query strings run against it, and user
fields and playlists are read from the sidecar's user data (``subsonic.userdata``'s tables,
read here by name; a sidecar the server never used has none, and then nobody loved anything).
Both front ends use it: ``beet crate`` and the Subsonic server.
"""

from __future__ import annotations

import os
import re
import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import xxhash

from beetcrate.crates.compile import (
    BeetsClause,
    CompiledCrate,
    ItemSet,
    StoredPlaylist,
    compile_crate,
)
from beetcrate.crates.index import CrateIndex, IndexReport
from beetcrate.crates.keys import Key
from beetcrate.crates.rules import Crate, CrateError, crate_files, read_crate
from beetcrate.crates.sessions import Play, Session, TransitionSummary, sessions, transitions
from beetcrate.crates.tracks import Track
from beetcrate.settings import CrateSettings

_NO_ANNOTATIONS = (
    "(SELECT NULL AS user, NULL AS target, NULL AS kind, NULL AS starred, NULL AS rating,"
    " 0 AS play_count, NULL AS last_played, NULL AS rated WHERE 0)"
)


@dataclass(frozen=True)
class CrateSet:
    """The crates of the directory that load, by name, and one error per file that does not."""

    crates: dict[str, Crate]
    errors: list[CrateError] = field(default_factory=list)

    def find(self, name: str) -> Crate | None:
        folded = name.casefold()
        return next((c for n, c in self.crates.items() if n.casefold() == folded), None)

    def read_from(self, path: Path) -> Crate | None:
        """The crate read from the file ``path``."""
        return next((c for c in self.crates.values() if c.path.resolve() == path), None)


@dataclass(frozen=True)
class CrateResult:
    """A crate's items in playlist order; for ``order: mix``, the positions whose track does
    not mix from the one before it (none when the whole sequence mixes)."""

    item_ids: tuple[int, ...]
    breaks: tuple[int, ...] = ()
    reads_user_data: bool = False  # its rules read the listener's annotations
    reads_time: bool = False  # its result moves with the clock (``inTheLast``, ``random``)


@dataclass(frozen=True)
class ListeningSession:
    session: Session
    tracks: list[Track]  # in play order; tracks no longer in the library are left out
    transitions: TransitionSummary


def _shuffle_key(item_id: int, seed: int) -> int:
    # 63 bits: SQLite's integers are signed.
    return xxhash.xxh64_intdigest(f"{seed}:{item_id}".encode()) >> 1


def _regexp(value: object, pattern: str) -> bool:
    """beets' ``regexp(field, pattern)``, which its fast regular-expression queries call;
    a path is bytes in beets' table, matched as its file-system text as beets does."""
    if value is None:
        return False
    text = os.fsdecode(value) if isinstance(value, bytes) else str(value)
    return re.search(pattern, text) is not None


def _timbre(text: str | None) -> tuple[float, ...] | None:
    if not text:
        return None
    try:
        return tuple(float(part) for part in text.split())
    except ValueError:
        return None


class CrateEngine:
    def __init__(self, sidecar_db: Path, beets_db: Path, music_dir: Path, settings: CrateSettings):
        self.settings = settings
        self.beets_db = beets_db
        # One connection, used by one thread at a time (the server shares an engine).
        self.conn = sqlite3.connect(sidecar_db, timeout=30.0, check_same_thread=False)
        self.conn.isolation_level = None
        self.conn.execute("PRAGMA journal_mode = WAL")
        self.conn.execute("ATTACH DATABASE ? AS beets", [beets_db.as_uri() + "?mode=ro"])
        self.conn.create_function("bc_shuffle", 2, _shuffle_key, deterministic=True)
        self.conn.create_function("regexp", 2, _regexp, deterministic=True)
        self.index = CrateIndex(self.conn, beets_db, music_dir)
        self.lock = threading.RLock()

    def close(self) -> None:
        self.conn.close()

    def refresh_index(self) -> IndexReport:
        with self.lock:
            return self.index.refresh()

    def load(self) -> CrateSet:
        """Every crate of the directory; a file that does not load is an error beside them.
        Names must be unique: a second file of the same name is an error."""
        crates: dict[str, Crate] = {}
        errors: list[CrateError] = []
        for path in crate_files(self.settings.directory):
            try:
                crate = read_crate(path)
            except CrateError as error:
                errors.append(error)
                continue
            if any(name.casefold() == crate.name.casefold() for name in crates):
                errors.append(CrateError(path, None, "", f"another crate is named {crate.name!r}"))
                continue
            crates[crate.name] = crate
        found = CrateSet(crates, errors)
        # A crate that does not compile (an unknown field, a missing playlist) is an error too.
        # All compile before any goes, so that one reading a broken crate names what broke it.
        broken = []
        for name, crate in crates.items():
            try:
                self.compile(crate, found)
            except CrateError as error:
                errors.append(error)
                broken.append(name)
        for name in broken:
            del crates[name]
        return found

    def compile(self, crate: Crate, crates: CrateSet, _seen: tuple[str, ...] = ()) -> CompiledCrate:
        with self.lock:
            self.index.refresh()
            context = _Context(self, crates, (*_seen, crate.name), user=None)
            return compile_crate(crate, self.index.fields(), context)

    def evaluate(
        self, crate: Crate, crates: CrateSet, user: str | None, _seen: tuple[str, ...] = ()
    ) -> list[int]:
        """The crate's items for ``user`` (whose loved, rating, plays the user fields read),
        in playlist order. Raises ``CrateError``."""
        return list(self.run(crate, crates, user, _seen).item_ids)

    def run(
        self, crate: Crate, crates: CrateSet, user: str | None, _seen: tuple[str, ...] = ()
    ) -> CrateResult:
        """``evaluate``, and for ``order: mix`` the steps that do not mix."""
        with self.lock:
            self.index.refresh()
            context = _Context(self, crates, (*_seen, crate.name), user)
            compiled = compile_crate(crate, self.index.fields(), context)
            params: list[object] = [user or ""] if compiled.reads_user_data else []
            try:
                rows = self.conn.execute(
                    compiled.select(self._annotations()), [*params, *compiled.params]
                ).fetchall()
            except sqlite3.Error as error:
                raise CrateError(crate.path, None, "", f"cannot be evaluated: {error}") from None
            ids = [row[0] for row in rows]
        ids = ids[crate.offset :]
        if crate.limit is not None:
            ids = ids[: crate.limit]
        elif crate.limit_percent is not None and ids:
            # As Navidrome: a share of what matched, at least one track; ``limit`` wins.
            ids = ids[: max(1, round(len(ids) * crate.limit_percent / 100))]
        reads = (compiled.reads_user_data, compiled.reads_time)
        if not crate.mix:
            return CrateResult(tuple(ids), (), *reads)
        from beetcrate.crates.mix import mix_order

        mix = mix_order(self.tracks(ids), crate.curve)
        return CrateResult(mix.item_ids, mix.breaks, *reads)

    def _annotations(self) -> str:
        columns = {row[1] for row in self.conn.execute("PRAGMA main.table_info(user_annotations)")}
        if not columns:
            return _NO_ANNOTATIONS
        if "rated" in columns:
            return "user_annotations"
        return (
            "(SELECT user, target, kind, starred, rating, play_count, last_played,"
            " NULL AS rated FROM user_annotations)"
        )

    def tracks(self, ids: Sequence[int]) -> list[Track]:
        """The tracks ``ids`` name, in that order; ids that are gone are left out."""
        with self.lock:
            rows = self.conn.execute(
                "SELECT c.id, c.path, c.title, c.artist, c.tempo, c.key_code, c.energy,"
                " c.danceability, c.lufs, c.timbre, c.length FROM crate_items c"
                " JOIN json_each(?) j ON j.value = c.id ORDER BY j.key",
                ["[" + ",".join(str(int(i)) for i in ids) + "]"],
            ).fetchall()
        return [_track(row) for row in rows]

    def all_tracks(self) -> list[Track]:
        """Every track of the library, for the similarity index."""
        with self.lock:
            self.index.refresh()
            rows = self.conn.execute(
                "SELECT c.id, c.path, c.title, c.artist, c.tempo, c.key_code, c.energy,"
                " c.danceability, c.lufs, c.timbre, c.length FROM crate_items c ORDER BY c.id"
            ).fetchall()
        return [_track(row) for row in rows]

    def sessions(self, user: str | None, now: float) -> list[ListeningSession]:
        """The listening sessions in the play history (``user``'s, or everyone's), each with
        its tracks in play order and how its transitions mixed."""
        with self.lock:
            if not self.conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'user_plays'"
            ).fetchone():
                return []
            self.index.refresh()
            rows = self.conn.execute(
                "SELECT p.user, p.item_id, p.played_at, c.length FROM user_plays p"
                " LEFT JOIN crate_items c ON c.id = p.item_id"
                " WHERE ? IS NULL OR p.user = ? ORDER BY p.user, p.played_at, p.id",
                [user, user],
            ).fetchall()
        plays = [Play(row[0], row[1], row[2], row[3]) for row in rows]
        found = []
        for session in sessions(plays, self.settings.session_gap, now):
            tracks = self.tracks(session.item_ids)
            found.append(ListeningSession(session, tracks, transitions(tracks)))
        return found


def _track(row: tuple) -> Track:
    return Track(
        id=row[0],
        path=row[1],
        title=row[2] or "",
        artist=row[3] or "",
        bpm=round(row[4], 2) if row[4] else None,
        key=None if row[5] is None else Key.from_code(row[5]),
        energy=row[6],
        danceability=row[7],
        lufs=row[8],
        timbre=_timbre(row[9]),
        length=row[10] or None,
    )


class _Context:
    """What compiling one crate asks of the library: playlists by name, beets queries."""

    def __init__(
        self, engine: CrateEngine, crates: CrateSet, seen: tuple[str, ...], user: str | None
    ) -> None:
        self.engine, self.crates, self.seen, self.user = engine, crates, seen, user

    def playlist(self, name: str, path: Path | None) -> StoredPlaylist | ItemSet:
        crate = self.crates.read_from(path) if path else self.crates.find(name)
        if crate is not None:
            if crate.name in self.seen:
                raise LookupError(f"the crate {crate.name!r} includes itself")
            try:
                ids = self.engine.evaluate(crate, self.crates, self.user, self.seen)
            except CrateError as error:
                # Named here as this crate's problem: the other file has its own error line.
                problem = f"the crate {crate.name!r} does not load: {error.problem}"
                raise LookupError(problem) from None
            return ItemSet(tuple(ids))
        conn = self.engine.conn
        if not conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'playlists'"
        ).fetchone():
            raise LookupError(f"no playlist or crate named {name!r}")
        row = None
        if path is not None:
            # A playlist the server read from an M3U file (``playlists.source_path``).
            row = conn.execute(
                "SELECT id FROM playlists WHERE source_path = ?", [str(path)]
            ).fetchone()
            if row is None:
                raise LookupError(f"no crate or playlist file {name!r} beside this crate")
            return StoredPlaylist(row[0])
        # Only what the listener may see: their own playlists and public ones (anyone's for
        # ``beet crate`` without --user, which runs as the library's owner).
        visible = "(? IS NULL OR owner = ? OR public)"
        if name.isdigit():
            row = conn.execute(
                f"SELECT id FROM playlists WHERE id = ? AND {visible}",
                [int(name), self.user, self.user],
            ).fetchone()
        if row is None:
            row = conn.execute(
                f"SELECT id FROM playlists WHERE name = ? COLLATE NOCASE AND {visible}"
                " ORDER BY id LIMIT 1",
                [name, self.user, self.user],
            ).fetchone()
        if row is None:
            raise LookupError(f"no playlist or crate named {name!r}")
        return StoredPlaylist(row[0])

    def beets_query(self, query: str) -> BeetsClause | ItemSet:
        from beetcrate.crates.beetsquery import parse_beets_query

        index = self.engine.index
        return parse_beets_query(query, self.engine.conn, index.beets_db, index.music_dir)
