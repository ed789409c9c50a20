"""A song's file as the server opens it, and what a client is told when it cannot.

The catalog lists what beets' database holds, and the file itself may since have vanished,
been replaced by something that is not a file (a folder, a named pipe that would block the
reading thread forever) or lost its permissions. ``stream``, ``download`` and the transcoder
go through here, so each answers the same Subsonic error: 70 for a file that is gone, 0 with
the reason for one the server cannot read.

This is also the one place where an exception about a file becomes a client's message. The
server's log keeps the absolute path; the client reads the song's id and its path relative to
the music folder (a file outside it by its name alone), never where the server keeps things.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from subsonic.responses import GENERIC, NOT_FOUND, ApiError

log = logging.getLogger(__name__)


class LibraryFiles:
    """Checks songs' files and words their failures for clients."""

    def __init__(self, music_directory: Path, cache_dir: Path) -> None:
        self.music_directory = music_directory
        # Longest first: a cache inside the music folder is named as the cache.
        roots = [(cache_dir, "cache"), (music_directory, "")]
        self._roots = sorted(roots, key=lambda root: len(str(root[0])), reverse=True)

    def shown(self, path: str | Path) -> str:
        """The name a client may read for a file: relative to the music folder, else its name."""
        path = Path(path)
        try:
            return str(path.relative_to(self.music_directory))
        except ValueError:
            return path.name

    def scrub(self, text: str, *files: str | Path) -> str:
        """``text`` with ``files`` (a song's file, a mirror file) and the server's folders
        replaced by names a client may read."""
        for file in files:
            text = text.replace(str(file), self.shown(file))
        for root, label in self._roots:
            text = text.replace(f"{root}{os.sep}", f"{label}{os.sep}" if label else "")
            text = text.replace(str(root), label or "the music folder")
        return text

    @contextmanager
    def opening(self, song_id: str, path: str | Path) -> Iterator[None]:
        """Turns an ``OSError`` met while opening the song's file into its Subsonic error."""
        try:
            yield
        except (FileNotFoundError, NotADirectoryError) as exc:
            log.warning("the file of %s is missing: %s", song_id, exc)
            raise ApiError(
                NOT_FOUND,
                f"The file of song {song_id} ({self.shown(path)}) is missing from the library",
            ) from exc
        except OSError as exc:
            log.warning("cannot read the file of %s: %s", song_id, exc)
            reason = exc.strerror or type(exc).__name__
            raise self._unreadable(song_id, path, reason) from exc

    def check(self, song_id: str, path: str | Path) -> None:
        """Answer the Subsonic error now if the song's file is not a regular file the server
        can see: opening a named pipe would block a request thread until someone writes."""
        with self.opening(song_id, path):
            mode = os.stat(path).st_mode
        if not stat.S_ISREG(mode):
            log.warning("the file of %s is not a regular file: %s", song_id, path)
            raise self._unreadable(song_id, path, "it is not a regular file")

    def _unreadable(self, song_id: str, path: str | Path, reason: str) -> ApiError:
        where = self.shown(path)
        return ApiError(
            GENERIC, f"The server cannot read the file of song {song_id} ({where}): {reason}"
        )

    def transcode_failed(self, song_id: str, exc: Exception, *files: str | Path) -> ApiError:
        """The error for a transcode that failed before its first byte; the log keeps the
        whole reason, the client the reason without server paths."""
        log.warning("cannot transcode %s: %s", song_id, exc)
        reason = self.scrub(str(exc), *files)
        return ApiError(GENERIC, f"Cannot transcode song {song_id}: {reason}")
