"""Writing the mirror: one planned step's file, then its state row.

Every file reaches its final name by an atomic rename of a finished temporary file beside it,
and the state row is written after the rename, so an interrupted sync leaves whole files and a
state that the next sync resumes from. ``encode_item`` is a plain function that both the Huey
task (``beetsplug.opus.tasks``, in a worker) and the inline ``--jobs`` threads call;
``retag_item`` and ``delete_item`` run in the ``beet opus sync`` process itself.
"""

from __future__ import annotations

import contextlib
import enum
import fcntl
import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from beets import util
from beets.library import FileOperationError, Item, Library
from mediafile import Image, MediaFile, UnreadableFileError

from beetcrate import media
from beetcrate.audiohash import audio_hash
from beetsplug.opus.config import MirrorConfig

# Action too: encodes queued before plan.py existed pickled it as beetsplug.opus.mirror.Action.
from beetsplug.opus.plan import Action, Step, sources  # noqa: F401
from beetsplug.opus.state import MirrorState, Record, RecordStatus

TEMP_MARK = ".beetcrate-tmp"


class Result(enum.Enum):
    """What became of one item in a sync, in the order the summary lists them."""

    ENCODED = "encoded"
    RETAGGED = "retagged"
    MOVED = "moved"  # retagged, and renamed because its path changed
    DELETED = "deleted"
    UNCHANGED = "unchanged"
    FAILED = "failed"
    GIVEN_UP = "given up"
    QUEUED = "queued"  # sent to the queue without waiting: a worker's outcome, not ours


@dataclass(frozen=True)
class Outcome:
    """What became of one step; a worker's travels back through the queue's result store."""

    item_id: int
    result: Result
    detail: str = ""


def encode_item(lib: Library, config: MirrorConfig, state: MirrorState, step: Step) -> Outcome:
    """Encode one item into the mirror: hash, encode to a temporary file, tag, rename."""
    item = lib.get_item(step.item_id)
    if item is None:
        return Outcome(step.item_id, Result.UNCHANGED, "item left the library")
    dest = _planned_dest(step)
    if not step.force and _up_to_date(state.get(step.item_id), item, config, dest):
        # Queued twice (an import hook, then a sync with --jobs): the first one did it.
        return Outcome(step.item_id, Result.UNCHANGED, "already mirrored")
    target = config.root / dest
    temp = _temp_beside(target)
    with _writing(temp):
        return _encode(lib, config, state, step, item, dest, temp)


def _encode(
    lib: Library,
    config: MirrorConfig,
    state: MirrorState,
    step: Step,
    item: Item,
    dest: str,
    temp: Path,
) -> Outcome:
    target = config.root / dest
    try:
        audio = audio_hash(item.filepath)
        media.encode_file(item.filepath, temp, "opus", bit_rate=config.bitrate * 1000)
        _finish(temp, item, target)
    except Exception as exc:  # one file's failure, whatever the error, never the whole sync's
        temp.unlink(missing_ok=True)
        return _failed(state, step.item_id, item, _one_line(exc))
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    old = state.get(step.item_id)
    _forget_old_file(config, old.path if old else None, dest)
    state.save(mirrored_record(lib, item, config, dest, audio))
    return Outcome(step.item_id, Result.ENCODED, step.reason)


def retag_item(lib: Library, config: MirrorConfig, state: MirrorState, step: Step) -> Outcome:
    """Rewrite the mirror file's tags (and move it if its path changed); no re-encoding."""
    item = lib.get_item(step.item_id)
    record = state.get(step.item_id)
    if item is None or record is None or not record.path:
        return Outcome(step.item_id, Result.UNCHANGED, "nothing to retag")
    dest = _planned_dest(step)
    target = config.root / dest
    temp = _temp_beside(target)
    try:
        with _writing(temp):
            shutil.copyfile(config.root / record.path, temp)
            _finish(temp, item, target)
    except Exception as exc:  # as in encode_item
        temp.unlink(missing_ok=True)
        return _failed(state, step.item_id, item, _one_line(exc))
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    _forget_old_file(config, record.path, dest)
    state.save(mirrored_record(lib, item, config, dest, record.audio_hash or ""))
    result = Result.MOVED if record.path != dest else Result.RETAGGED
    return Outcome(step.item_id, result, step.reason)


def delete_item(config: MirrorConfig, state: MirrorState, step: Step) -> Outcome:
    record = state.get(step.item_id)
    if record is not None and record.path:
        _forget_old_file(config, record.path, "")
    state.delete(step.item_id)
    return Outcome(step.item_id, Result.DELETED)


def mirrored_record(
    lib: Library, item: Item, config: MirrorConfig, dest: str, audio: str
) -> Record:
    """The record of a mirror file at ``dest`` just made from the item's current source."""
    assert item.id is not None
    stat = os.stat(item.path)
    return Record(
        item_id=item.id,
        path=dest,
        source_mtime=stat.st_mtime_ns,
        source_size=stat.st_size,
        audio_hash=audio,
        tags_key=sources(lib, config, [item.id])[0].tags_key,
        bitrate=config.bitrate,
    )


@contextlib.contextmanager
def _writing(temp: Path) -> Iterator[None]:
    """Create ``temp`` and hold a lock on it while it is written and renamed: the kernel drops
    the lock when the writer dies, so ``remove_stale_temps`` tells a killed sync's leftovers
    from a running worker's file at once, whatever their age."""
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def remove_stale_temps(root: Path) -> int:
    """Delete the temporary files no living writer holds: a killed sync's or worker's."""
    if not root.exists():
        return 0
    removed = 0
    for directory, _, files in os.walk(root):
        for name in files:
            if not name.endswith(TEMP_MARK):
                continue
            path = Path(directory, name)
            try:
                fd = os.open(path, os.O_RDONLY)
            except FileNotFoundError:  # finished meanwhile
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # being written
            else:
                path.unlink(missing_ok=True)
                removed += 1
            finally:
                os.close(fd)
    return removed


def _planned_dest(step: Step) -> str:
    # The planner gives every ENCODE and RETAG step its destination.
    assert step.dest is not None, f"{step.action} step without a destination"
    return step.dest


def _up_to_date(record: Record | None, item: Item, config: MirrorConfig, dest: str) -> bool:
    if record is None or record.status is not RecordStatus.OK or record.bitrate != config.bitrate:
        return False
    try:
        stat = os.stat(item.path)
    except OSError:
        return False
    same_source = (stat.st_mtime_ns, stat.st_size) == (record.source_mtime, record.source_size)
    return same_source and record.path == dest and (config.root / dest).exists()


def _temp_beside(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    return path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}{TEMP_MARK}")


def _cover(item: Item) -> list[Image]:
    """The album's cover file if it has one, else the art embedded in the source."""
    album = item.get_album()
    if album is not None and album.artpath and os.path.exists(album.artpath):
        with open(album.artpath, "rb") as f:
            return [Image(data=f.read())]
    return list(MediaFile(os.fsdecode(item.path)).images or [])


def _finish(temp: Path, item: Item, target: Path) -> None:
    """Tag the finished temporary file and rename it into place."""
    item.write(path=util.bytestring_path(str(temp)), tags={"images": _cover(item)})
    os.replace(temp, target)


def _forget_old_file(config: MirrorConfig, old: str | None, new: str) -> None:
    if old and old != new:
        old_path = config.root / old
        old_path.unlink(missing_ok=True)
        util.prune_dirs(str(old_path.parent), str(config.root))


def _failed(state: MirrorState, item_id: int, item: Item, error: str) -> Outcome:
    """Record the failure with the source's stat, so a later sync knows if the file changed."""
    record = state.get(item_id) or Record(item_id)
    try:
        stat = os.stat(item.path)
        record.source_mtime, record.source_size = stat.st_mtime_ns, stat.st_size
    except OSError:
        record.source_mtime = record.source_size = 0
    record.status, record.error, record.attempts = RecordStatus.FAILED, error, record.attempts + 1
    state.save(record)
    return Outcome(item_id, Result.FAILED, error)


# Errors whose message says what is wrong with the file; any other error's type is named too.
_FILE_ERRORS = (media.MediaError, FileOperationError, UnreadableFileError, OSError)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    line = text[0] if text else ""
    if isinstance(exc, _FILE_ERRORS) and line:
        return line
    return f"{type(exc).__name__}: {line}" if line else type(exc).__name__
