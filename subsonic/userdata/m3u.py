"""M3U playlists users already keep, served as read-only playlists that follow their files.

The files are the ``*.m3u`` and ``*.m3u8`` in the folders of ``PlaylistSettings.import_dirs``
(beetcrate's ``playlists: import_dir`` and beets' ``playlist: playlist_dir``; not their
subfolders, as ``beet dupes`` repoints them). Each is a public playlist owned by
``playlists: owner`` (or the first admin by name), named by its ``#PLAYLIST:`` line or else its
file name. Every other line is a path, absolute or relative to the file's folder or to the
music directory (beets' ``playlist`` plugin writes either), or a ``file://`` URL; ``#EXTM3U``,
``#EXTINF`` and other ``#`` lines are skipped, and so are entries that name no song of the
catalog: the playlist's comment says how many.

``PlaylistFiles.poll`` runs before the playlist requests and looks at most every
``refresh_interval`` seconds: one ``stat`` per file, compared with the signature its playlist
was stored with (size, modification time, owner and catalog version, so that a song imported
after the file was read joins it). Only files whose signature changed are read again.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from beetcrate.settings import PlaylistSettings
from subsonic.store import Users
from subsonic.userdata.playlists import FilePlaylist, PlaylistStore

log = logging.getLogger(__name__)

SUFFIXES = (".m3u", ".m3u8")
NAME_DIRECTIVE = "#PLAYLIST:"


@dataclass(frozen=True)
class M3u:
    """What an M3U file says: an optional name and its entries, in order."""

    name: str | None
    entries: list[str]


def parse(text: str) -> M3u:
    name = None
    entries = []
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith(NAME_DIRECTIVE):
            name = line.removeprefix(NAME_DIRECTIVE).strip() or None
        elif line and not line.startswith("#"):
            entries.append(line)
    return M3u(name, entries)


def read(path: Path) -> M3u:
    """An M3U file: UTF-8 (``.m3u8``, and what beets writes), else Latin-1 (old ``.m3u``)."""
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    return parse(text)


def candidates(entry: str, folder: Path, music_directory: Path) -> list[str]:
    """The absolute paths an entry may mean, the likelier first."""
    if "://" in entry:
        url = urlsplit(entry)
        if url.scheme != "file":
            return []  # a stream or a web address: not a song of the library
        entry = unquote(url.path)
    if os.path.isabs(entry):
        return [os.path.normpath(entry)]
    return list(dict.fromkeys(os.path.normpath(base / entry) for base in (folder, music_directory)))


class PlaylistFiles:
    """Keeps the file playlists in the sidecar in step with the M3U files."""

    def __init__(
        self, settings: PlaylistSettings, music_directory: Path, interval: float, users: Users
    ) -> None:
        self.settings = settings
        self.music_directory = music_directory
        self.interval = interval
        self.users = users
        self._checked = -float("inf")
        # One thread of a process looks at a time; the others wait and then see its result.
        self._lock = threading.Lock()

    def poll(self, store: PlaylistStore) -> None:
        if not self.settings.import_dirs:
            return
        with self._lock:
            now = time.monotonic()
            if now - self._checked < self.interval:
                return
            self._checked = now
            self.sync(store)

    def sync(self, store: PlaylistStore) -> None:
        """Read again the files that changed; forget the playlists of files that are gone."""
        owner = self._owner()
        if owner is None:
            return  # no admin yet to own them: they appear once there is one
        version = store.catalog_version()
        files = self._files()
        signatures = {
            name: f"{stat.st_size}:{stat.st_mtime_ns}:{owner}:{version}"
            for name, stat in files.items()
        }
        stored = store.file_signatures()
        changed = [path for path, signature in signatures.items() if stored.get(path) != signature]
        if not changed and stored.keys() <= signatures.keys():
            return
        read_files = {}
        for name in changed:
            try:
                read_files[name] = read(Path(name))
            except OSError as exc:
                log.warning("cannot read playlist %s: %s", name, exc)
        found = store.items_at(
            {
                path
                for name, m3u in read_files.items()
                for entry in m3u.entries
                for path in candidates(entry, Path(name).parent, self.music_directory)
            }
        )
        playlists = [
            self._playlist(Path(name), m3u, found, owner, signatures[name], files[name].st_mtime)
            for name, m3u in read_files.items()
        ]
        # A file that could not be read keeps the playlist it had.
        store.sync_files(playlists, present=signatures.keys())

    def _owner(self) -> str | None:
        if self.settings.owner:
            return self.settings.owner
        return next((user.name for user in self.users.list() if user.admin), None)

    def _files(self) -> dict[str, os.stat_result]:
        """The M3U files of the folders, by path."""
        files = {}
        for folder in self.settings.import_dirs:
            try:
                paths = sorted(p for p in folder.iterdir() if p.suffix.lower() in SUFFIXES)
            except OSError:
                continue  # not there (yet): no playlists from it
            for path in paths:
                try:
                    files[str(path)] = path.stat()
                except OSError:
                    continue  # gone since the folder was listed
        return files

    def _playlist(
        self,
        path: Path,
        m3u: M3u,
        found: dict[str, int],
        owner: str,
        signature: str,
        modified: float,
    ) -> FilePlaylist:
        item_ids = []
        for entry in m3u.entries:
            paths = candidates(entry, path.parent, self.music_directory)
            item_id = next((found[p] for p in paths if p in found), None)
            if item_id is not None:
                item_ids.append(item_id)
        comment = f"Follows {path.name} (read-only)."
        skipped = len(m3u.entries) - len(item_ids)
        if skipped:
            comment += f" {skipped} of {len(m3u.entries)} entries are not in the library."
            log.info("playlist %s: %d entries are not in the library", path, skipped)
        return FilePlaylist(
            source_path=str(path),
            signature=signature,
            name=m3u.name or path.stem,
            comment=comment,
            owner=owner,
            changed=modified,
            item_ids=item_ids,
        )
