"""Crates and listening sessions served as read-only playlists.

Every crate (``beetcrate.crates``: a rule file in ``crates: directory:``) is a playlist of its
owner's (``owner:`` in the file, else ``playlists: owner``, else the first admin), public when
the file says ``public: true``. A finished listening session is a private playlist of its
listener. Both are stored like the playlists that follow M3U files (``FilePlaylist``), so
listing, counting, visibility and the read-only refusal are the playlist store's own.

``CratePlaylists.poll`` runs before the playlist requests and, through the watcher, after every
catalog sync. It compares what the crates read: the crate
files, beets' database, the user data (annotation versions, playlists) and, when a crate reads
the clock (``inTheLast``, a ``random`` sort), the time in steps of ``crates: refresh_delay``;
sessions look at the plays and the clock. Only what moved is evaluated again, and a playlist's
``changed`` moves only when its songs, name or sharing do. A crate file that stops loading (a
typo) keeps its playlist and its songs until it loads again: its id does not change. A crate
whose rules read user fields is evaluated for whoever asks (``view``): Alice sees her own loved
songs in Bob's public "Loved techno".

Several gunicorn workers each keep their crates in step and write the same playlists; a worker
that evaluated before a change may write its older result after a newer one, and the next
change or ``refresh_delay`` step corrects it.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo

import xxhash

from beetcrate.crates.compile import describe
from beetcrate.crates.engine import CrateEngine, CrateSet, ListeningSession
from beetcrate.crates.rules import Crate, CrateError, crate_files
from beetcrate.crates.sessions import title
from beetcrate.settings import Settings
from subsonic.store import User, Users
from subsonic.userdata.playlists import FileKind, FilePlaylist, Playlist, PlaylistStore

log = logging.getLogger(__name__)

SESSION_PREFIX = "session:"


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
        self._crates_state: str | None = None
        self._sessions_state: str | None = None
        # The newest play already looked at, and the users whose last session was still
        # running then (with the time of its last play).
        self._plays_seen = 0
        self._running: dict[str, float] = {}
        self._reads_time = True  # until the crates were read once
        self._crates: CrateSet = CrateSet({})
        self._evaluated: dict[str, _Evaluated] = {}
        self._reported: set[str] = set()
        # One thread evaluates at a time; the engine's connection is its own.
        self._lock = threading.RLock()

    @property
    def state(self) -> str | None:
        """Changes whenever the crates were evaluated against changed sources."""
        return self._crates_state

    @property
    def engine(self) -> CrateEngine:
        with self._lock:
            if self._engine is None:
                s = self.settings
                self._engine = CrateEngine(s.db, s.beets_library, s.music_directory, s.crates)
            return self._engine

    def poll(self, store: PlaylistStore) -> None:
        """Evaluate again what changed. Looking costs a few small queries and a ``stat`` per
        crate file, so it is done at every playlist request: a play, a star or an edited
        playlist shows in the next listing."""
        with self._lock:
            crates_state, sessions_state = self._sources_state(store)
            if crates_state != self._crates_state:
                self._sync_crates(store)
                self._crates_state = crates_state
            if sessions_state != self._sessions_state:
                self._sync_sessions(store)
                self._sessions_state = sessions_state

    def _sources_state(self, store: PlaylistStore) -> tuple[str, str]:
        """What the crates read, and what the sessions read, each as one signature."""
        conn = store.library.conn
        files = []
        for path in crate_files(self.settings.crates.directory):
            try:
                stat = path.stat()
            except OSError:
                continue
            files.append((str(path), stat.st_mtime_ns, stat.st_size))
        (annotations,) = conn.execute(
            "SELECT coalesce(sum(version), 0) FROM annotation_versions"
        ).fetchone()
        # Playlists people edit (``inPlaylist``), not those kept here or from M3U files.
        (playlists,) = conn.execute(
            "SELECT coalesce(max(changed), 0) || ':' || count(*) FROM playlists"
            " WHERE source_kind IS NULL"
        ).fetchone()
        (plays,) = conn.execute("SELECT coalesce(max(id), 0) FROM user_plays").fetchone()
        step = int(time.time() // self.settings.crates.refresh_delay)
        admins = tuple(user.name for user in self.users.list() if user.admin)
        catalog = store.catalog_version()
        crates = _signature(
            files,
            catalog,
            annotations,
            playlists,
            admins,
            step if self._reads_time else None,
        )
        return crates, _signature(catalog, plays, step)

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

    def _sync_crates(self, store: PlaylistStore) -> None:
        engine = self.engine
        crates = engine.load()
        for error in crates.errors:
            self._report(str(error))
        now = time.time()
        playlists, evaluated, reads_time = [], {}, False
        for crate in crates.crates.values():
            owner = self._owner(crate)
            if owner is None:
                self._report(f"{crate.path.name}: no user {crate.owner or '(admin)'} to own it")
                continue
            try:
                result = engine.run(crate, crates, owner)
            except CrateError as error:
                self._report(str(error))
                continue
            comment = _crate_comment(crate, len(result.breaks))
            item_ids = list(result.item_ids)
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
            evaluated[str(crate.path)] = _Evaluated(crate, result.reads_user_data, now)
            reads_time = reads_time or result.reads_time
        # Every crate file still there is present: one that does not load keeps its playlist.
        present = {str(path) for path in crate_files(self.settings.crates.directory)}
        store.sync_files(playlists, present, FileKind.CRATE)
        self._crates, self._evaluated, self._reads_time = crates, evaluated, reads_time

    def _sync_sessions(self, store: PlaylistStore) -> None:
        """Make the finished sessions playlists, reading again only the histories that can
        have changed: of users with plays since the last look, and of users whose last session
        was still running (time may have finished it). A history of years is not read again
        at every play of someone else's."""
        now = time.time()
        conn = store.library.conn
        (newest,) = conn.execute("SELECT coalesce(max(id), 0) FROM user_plays").fetchone()
        changed = {
            user
            for (user,) in conn.execute(
                "SELECT DISTINCT user FROM user_plays WHERE id > ?", [self._plays_seen]
            )
        }
        gap = self.settings.crates.session_gap
        finishing = {user for user, last in self._running.items() if now - last >= gap}
        users = changed | finishing
        if not users:
            self._plays_seen = newest
            return
        zone = datetime.now().astimezone().tzinfo or UTC
        playlists = []
        for user in sorted(users):
            self._running.pop(user, None)
            for found in self.engine.sessions(user, now):
                session = found.session
                if not session.finished:
                    self._running[user] = session.plays[-1].played_at
                    continue
                playlists.append(_session_playlist(found, zone))
        # The other users' session playlists stay as they are.
        present = {p.source_path for p in playlists} | {
            path
            for path in store.file_signatures(FileKind.SESSION)
            if _session_user(path) not in users
        }
        store.sync_files(playlists, present, FileKind.SESSION)
        self._plays_seen = newest

    def view(self, playlist: Playlist, viewer: User) -> list[int] | None:
        """A crate's songs as ``viewer`` sees them when its rules read user fields and the
        viewer is not the owner they were stored for; None when the stored songs hold."""
        if playlist.source_kind != FileKind.CRATE.value or viewer.name == playlist.owner:
            return None
        with self._lock:
            evaluated = self._evaluated.get(playlist.source_path or "")
            if evaluated is None or not evaluated.reads_user_data:
                return None
            try:
                return self.engine.evaluate(evaluated.crate, self._crates, viewer.name)
            except CrateError as error:
                self._report(str(error))
                return None

    def valid_until(self, playlist: Playlist) -> float | None:
        """Until when a crate's songs stand at the latest (``crates: refresh_delay``)."""
        if playlist.source_kind != FileKind.CRATE.value:
            return None
        with self._lock:
            evaluated = self._evaluated.get(playlist.source_path or "")
        since = evaluated.evaluated_at if evaluated else time.time()
        return since + self.settings.crates.refresh_delay


def _session_playlist(found: ListeningSession, zone: tzinfo) -> FilePlaylist:
    session = found.session
    share = found.transitions.share_harmonic
    mixed = f"; {share:.0%} of its transitions harmonic" if share is not None else ""
    return FilePlaylist(
        source_path=f"{SESSION_PREFIX}{session.user}:{session.start:.3f}",
        signature=_signature(session.item_ids),
        name=title(session, zone),
        comment=f"Listening session of {session.user}{mixed} (read-only).",
        owner=session.user,
        changed=session.end,
        item_ids=list(session.item_ids),
        public=False,
    )


def _session_user(source_path: str) -> str:
    """The user of a session playlist's source (``session:USER:START``)."""
    return source_path.removeprefix(SESSION_PREFIX).rpartition(":")[0]


def _crate_comment(crate: Crate, breaks: int) -> str:
    rules = "; ".join(line.strip() for line in describe(crate).splitlines()).replace(":;", ":")
    own = f"{crate.comment} " if crate.comment else ""
    mix = f" {breaks} steps do not mix." if crate.mix and breaks else ""
    return f"{own}(Smart playlist from the crate {crate.path.name}: {rules}.{mix})"
