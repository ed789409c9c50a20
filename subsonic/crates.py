"""Crates and listening sessions served as read-only playlists.

Every crate (``beetcrate.crates``: a rule file in ``crates: directory:``) is a playlist of its
owner's (``owner:`` in the file, else ``playlists: owner``, else the first admin), public when
the file says ``public: true``. A finished listening session is a private playlist of its
listener. Both are stored like the playlists that follow M3U files (``FilePlaylist``), so
listing, counting, visibility and the read-only refusal are the playlist store's own.

``CratePlaylists.poll`` runs before the playlist requests and, through the watcher, after every
catalog sync. At most every ``refresh_interval`` it compares what crates read: the crate files,
beets' database, the user data (annotation versions, plays) and the clock in steps of
``crates: refresh_delay`` (rules like ``inTheLast`` and a seeded ``random`` move with time). Only
when one of them moved are the crates evaluated again; a playlist's ``changed`` moves only when
its songs, name or sharing do. A crate whose rules read user fields is evaluated for whoever
asks (``view``): Alice sees her loved songs in Bob's public "Loved techno".
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import xxhash

from beetcrate.crates.compile import describe
from beetcrate.crates.engine import CrateEngine, CrateSet
from beetcrate.crates.rules import Crate, CrateError, crate_files
from beetcrate.crates.sessions import title
from beetcrate.settings import Settings
from subsonic.store import User, Users
from subsonic.userdata.playlists import FileKind, FilePlaylist, Playlist, PlaylistStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Evaluated:
    crate: Crate
    reads_user_data: bool
    evaluated_at: float


def _signature(*parts: object) -> str:
    return xxhash.xxh64_hexdigest(repr(parts).encode())


class CratePlaylists:
    """Keeps the crate and session playlists of one process in step with their sources."""

    def __init__(self, settings: Settings, users: Users) -> None:
        self.settings = settings
        self.users = users
        self._engine: CrateEngine | None = None
        self._checked = -float("inf")
        self._state: str | None = None
        self._crates: CrateSet = CrateSet({})
        self._evaluated: dict[str, _Evaluated] = {}
        self._reported: set[str] = set()
        self._lock = threading.Lock()

    @property
    def state(self) -> str | None:
        """Changes whenever the crates were evaluated against changed sources."""
        return self._state

    @property
    def engine(self) -> CrateEngine:
        if self._engine is None:
            s = self.settings
            self._engine = CrateEngine(s.db, s.beets_library, s.music_directory, s.crates)
        return self._engine

    def poll(self, store: PlaylistStore, force: bool = False) -> None:
        with self._lock:
            now = time.monotonic()
            if not force and now - self._checked < self.settings.refresh_interval:
                return
            self._checked = now
            state = self._sources_state(store)
            if state == self._state:
                return
            try:
                self._sync(store)
            except CrateError as error:  # a crate that broke between load and evaluation
                self._report(str(error))
                return
            self._state = state

    def _sources_state(self, store: PlaylistStore) -> str:
        """Changes whenever anything a crate or a session reads may have changed."""
        conn = store.library.conn
        files = []
        for path in crate_files(self.settings.crates.directory):
            try:
                stat = path.stat()
            except OSError:
                continue
            files.append((str(path), stat.st_mtime_ns, stat.st_size))
        annotations = conn.execute("SELECT coalesce(sum(version), 0) FROM annotation_versions")
        plays = conn.execute("SELECT coalesce(max(id), 0) FROM user_plays")
        step = int(time.time() // self.settings.crates.refresh_delay)
        admins = tuple(user.name for user in self.users.list() if user.admin)
        return _signature(
            files,
            store.catalog_version(),
            annotations.fetchone()[0],
            plays.fetchone()[0],
            step,
            admins,
        )

    def _owner(self, crate: Crate) -> str | None:
        if crate.owner:
            return crate.owner if self.users.get(crate.owner) else None
        if self.settings.playlists.owner:
            return self.settings.playlists.owner
        return next((user.name for user in self.users.list() if user.admin), None)

    def _report(self, message: str) -> None:
        """Log a crate's problem once, not at every poll."""
        if message not in self._reported:
            self._reported.add(message)
            log.warning("crate: %s", message)

    def _sync(self, store: PlaylistStore) -> None:
        engine = self.engine
        crates = engine.load()
        for error in crates.errors:
            self._report(str(error))
        now = time.time()
        playlists, evaluated = [], {}
        for crate in crates.crates.values():
            owner = self._owner(crate)
            if owner is None:
                self._report(f"{crate.path.name}: no user {crate.owner or '(admin)'} to own it")
                continue
            result = engine.run(crate, crates, owner)
            item_ids = list(result.item_ids)
            compiled = engine.compile(crate, crates)
            comment = _crate_comment(crate, len(result.breaks))
            playlists.append(
                FilePlaylist(
                    source_path=str(crate.path),
                    signature=_signature(crate.name, comment, owner, crate.public, item_ids),
                    name=crate.name,
                    comment=comment,
                    owner=owner,
                    changed=now,
                    item_ids=item_ids,
                    public=crate.public,
                )
            )
            evaluated[str(crate.path)] = _Evaluated(crate, compiled.reads_user_data, now)
        store.sync_files(playlists, {p.source_path for p in playlists}, FileKind.CRATE)
        self._crates, self._evaluated = crates, evaluated
        self._sync_sessions(store, now)

    def _sync_sessions(self, store: PlaylistStore, now: float) -> None:
        zone = datetime.now().astimezone().tzinfo or UTC
        playlists = []
        for found in self.engine.sessions(None, now):
            session = found.session
            if not session.finished:
                continue
            share = found.transitions.share_harmonic
            mixed = f"; {share:.0%} of its transitions harmonic" if share is not None else ""
            playlists.append(
                FilePlaylist(
                    source_path=f"session:{session.user}:{session.start:.3f}",
                    signature=_signature(session.item_ids),
                    name=title(session, zone),
                    comment=f"Listening session of {session.user}{mixed} (read-only).",
                    owner=session.user,
                    changed=session.end,
                    item_ids=list(session.item_ids),
                    public=False,
                )
            )
        store.sync_files(playlists, {p.source_path for p in playlists}, FileKind.SESSION)

    def view(self, playlist: Playlist, viewer: User) -> list[int] | None:
        """A crate's songs as ``viewer`` sees them when its rules read user fields and the
        viewer is not the owner they were stored for; None when the stored songs hold."""
        if playlist.source_kind != FileKind.CRATE.value or viewer.name == playlist.owner:
            return None
        evaluated = self._evaluated.get(playlist.source_path or "")
        if evaluated is None or not evaluated.reads_user_data:
            return None
        with self._lock:
            return self.engine.evaluate(evaluated.crate, self._crates, viewer.name)

    def valid_until(self, playlist: Playlist) -> float | None:
        """Until when a crate's songs stand at the latest (``crates: refresh_delay``)."""
        if playlist.source_kind != FileKind.CRATE.value:
            return None
        evaluated = self._evaluated.get(playlist.source_path or "")
        since = evaluated.evaluated_at if evaluated else time.time()
        return since + self.settings.crates.refresh_delay


def _crate_comment(crate: Crate, breaks: int) -> str:
    rules = describe(crate).replace("\n", "; ").replace(":;", ":")
    own = f"{crate.comment} " if crate.comment else ""
    mix = f" {breaks} steps do not mix." if crate.mix and breaks else ""
    return f"{own}(Smart playlist from the crate {crate.path.name}: {rules}.{mix})"
