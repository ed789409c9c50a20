"""The Opus mirror: a copy of the library in Opus at one fixed bitrate, kept in sync.

A sync is a plan, then its steps. ``plan`` compares each library item with what the mirror
recorded about it (``beetsplug.opus.state``) and decides one ``Action``:

- ``ENCODE`` when there is no mirror file yet, or the source's *audio* changed. The audio hash
  is only recomputed when the source file's size or mtime moved, so a no-change re-sync costs a
  ``stat`` and a tag comparison per item.
- ``RETAG`` when only tags (or cover art, or the path they produce) changed: the mirror file is
  copied, retagged and renamed into its (possibly new) place; no audio is re-encoded.
- ``DELETE`` for mirror files whose items left the library (full syncs only).

Every file reaches its final name by an atomic rename of a finished temporary file beside it,
and the state row is written after the rename, so an interrupted sync leaves whole files and a
state that the next sync resumes from. Encoding (``encode_item``) is a plain function that both
the Huey task and the inline ``--jobs`` runner call.
"""

from __future__ import annotations

import contextlib
import enum
import hashlib
import os
import shutil
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import confuse
from beets import util
from beets.library import FileOperationError, Item, Library
from beets.util.pathformats import get_path_formats
from mediafile import Image, MediaFile, UnreadableFileError

from beetcrate import beetsdb, media
from beetcrate.audiohash import audio_hash
from beetcrate.settings import sidecar_path
from beetsplug.opus.state import MirrorError, MirrorState, Record, RecordStatus

MIRROR_DEFAULTS: dict[str, object] = {
    "directory": "",
    "bitrate": 128,
    "auto": False,
    # Attempts at a failing source before a sync stops trying it (until the file changes).
    "retries": 3,
    "paths": {
        "default": "$albumartist/$album ($year)/$track - $title",
        "singleton": "$artist/singles/$title",
    },
}

TEMP_MARK = ".beetcrate-tmp"
# Temporary files older than this are leftovers of a killed sync, not a running worker's.
STALE_TEMP_SECONDS = 3600
# Item fields that change without changing what is written into the mirror file.
_UNTAGGED_FIELDS = {"id", "path", "mtime", "added", "album_id"}


class Action(enum.Enum):
    ENCODE = "encode"
    RETAG = "retag"
    DELETE = "delete"
    UNCHANGED = "unchanged"
    GIVEN_UP = "given up"


@dataclass(frozen=True)
class MirrorConfig:
    root: Path
    bitrate: int  # kbps
    library: Path
    music_directory: Path
    db: Path
    retries: int = 3
    paths: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_beets(cls, config: confuse.ConfigView) -> MirrorConfig:
        section = config["opus"]
        section.add(MIRROR_DEFAULTS)
        library = Path(config["library"].as_filename()).resolve()
        if not section["directory"].get():
            raise MirrorError("set opus.directory in the beets config to the mirror's folder")
        return cls(
            root=Path(section["directory"].as_filename()).resolve(),
            bitrate=section["bitrate"].get(int),
            library=library,
            music_directory=Path(config["directory"].as_filename()).resolve(),
            db=sidecar_path(config),
            retries=section["retries"].get(int),
            paths=tuple(get_path_formats(section["paths"])),
        )


@dataclass
class Step:
    action: Action
    item_id: int
    dest: str | None = None  # new relative path (ENCODE, RETAG)
    reason: str = ""


@dataclass(frozen=True)
class Source:
    """An item as the planner sees it: where its file is, and a key of what gets tagged."""

    item_id: int
    path: str
    tags_key: str


def sources(lib: Library, config: MirrorConfig, ids: Iterable[int] | None = None) -> list[Source]:
    """The items (all, or those in ``ids``) with the key of everything their mirror file holds.

    The key covers every stored field of the item and of its album, the album's cover file,
    and the mirror's path formats: whatever is written into a mirror file or decides its path.
    It is stored in each record, so its formula is part of the mirror's format: changing it
    makes the next sync retag every file.
    """
    stored = beetsdb.read_items(lib, ids)
    albums = {}
    for album in stored.albums.values():
        stored_art = album.fields.get("artpath")
        art = (
            beetsdb.absolute_path(stored.music_directory, stored_art)
            if isinstance(stored_art, bytes | str)
            else None
        )
        art_mtime = os.stat(art).st_mtime_ns if art and os.path.exists(art) else 0
        albums[album.id] = (_tagged(album.fields, album.flex), art_mtime)
    result = []
    for item in stored.items:
        its_album = stored.album_of(item)
        album_key = albums[its_album.id] if its_album is not None else None
        raw = repr((_tagged(item.fields, item.flex), album_key, config.paths))
        key = hashlib.sha256(raw.encode()).hexdigest()[:32]
        result.append(Source(item.id, stored.path(item), key))
    return result


def _tagged(fields: Mapping[str, object], flex: Mapping[str, str]) -> tuple[list, list]:
    """What of a stored row ends up in a mirror file, in a stable order."""
    fixed = sorted((k, v) for k, v in fields.items() if k not in _UNTAGGED_FIELDS)
    return (fixed, sorted(flex.items()))


def destination(item: Item, config: MirrorConfig) -> str:
    """The item's path under the mirror root, from the mirror's path formats."""
    relative = item.destination(
        relative_to_libdir=True, path_formats=list(config.paths), extension="opus"
    )
    return os.fsdecode(relative)


def plan(
    lib: Library,
    config: MirrorConfig,
    state: MirrorState,
    query: str | list[str] = "",
    rebuild: bool = False,
    items: Iterable[Item] | None = None,
) -> list[Step]:
    """Decide what a sync does for each item matched by ``query`` (or given as ``items``).

    Only a sync of the whole library (no query, no items) deletes mirror files of items that
    are gone: a partial sync cannot tell "gone" from "not asked about".
    """
    state.check_bitrate(config.bitrate, rebuild)
    state.set_meta("directory", str(config.root))
    records = state.records()
    whole = not query and items is None
    if whole:
        selected = sources(lib, config)
    else:
        chosen = lib.items(query) if items is None else items
        selected = sources(lib, config, [item.id for item in chosen])
    steps = [_decide(lib, source, records.get(source.item_id), config) for source in selected]
    _keep_paths_apart(steps, records)
    if whole:
        seen = {source.item_id for source in selected}
        steps.extend(Step(Action.DELETE, item_id) for item_id in records if item_id not in seen)
    return steps


def _keep_paths_apart(steps: list[Step], records: dict[int, Record]) -> None:
    """Items whose path formats give the same file (duplicates, say) get a file each: the
    later one's name carries its item id, so no item overwrites or deletes another's file."""
    owners = {record.path: record.item_id for record in records.values() if record.path}
    for step in steps:
        if step.dest is None:
            continue
        if owners.get(step.dest, step.item_id) != step.item_id:
            path = Path(step.dest)
            step.dest = str(path.with_name(f"{path.stem} [{step.item_id}]{path.suffix}"))
        owners[step.dest] = step.item_id


def _decide(lib: Library, source: Source, record: Record | None, config: MirrorConfig) -> Step:
    item_id = source.item_id

    def step(action: Action, reason: str = "") -> Step:
        # Only steps that write a file need the beets Item (for its destination path).
        return Step(action, item_id, destination(lib.get_item(item_id), config), reason)

    try:
        stat = os.stat(source.path)
        current = (stat.st_mtime_ns, stat.st_size)
    except OSError:
        current = (0, 0)  # vanished: as recorded by a failure, so it is not retried forever
    stat_changed = record is None or current != (record.source_mtime, record.source_size)
    failed = record is not None and record.status is RecordStatus.FAILED
    if failed and not stat_changed and record.attempts >= config.retries:
        return Step(Action.GIVEN_UP, item_id, reason=record.error or "")
    if record is None or failed or record.bitrate != config.bitrate:
        return step(Action.ENCODE)
    if not record.path or not (config.root / record.path).exists():
        return step(Action.ENCODE, "mirror file missing")
    if stat_changed:
        # The file itself was rewritten: its audio, or only its tags? The audio hash tells.
        try:
            same_audio = audio_hash(source.path) == record.audio_hash
        except media.MediaError:
            same_audio = False
        if not same_audio:
            return step(Action.ENCODE, "audio changed")
        return step(Action.RETAG, "file retagged")
    if source.tags_key != record.tags_key:
        return step(Action.RETAG, "tags changed")
    return Step(Action.UNCHANGED, item_id)


# --- Doing the steps -------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    item_id: int
    result: str  # encoded | retagged | moved | deleted | failed | unchanged | given up
    detail: str = ""


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


def _ok_record(lib: Library, item: Item, config: MirrorConfig, dest: str, audio: str) -> Record:
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


def _failed(state: MirrorState, item: Item, error: str) -> Outcome:
    """Record the failure with the source's stat, so a later sync knows if the file changed."""
    record = state.get(item.id) or Record(item.id)
    try:
        stat = os.stat(item.path)
        record.source_mtime, record.source_size = stat.st_mtime_ns, stat.st_size
    except OSError:
        record.source_mtime = record.source_size = 0
    record.status, record.error, record.attempts = RecordStatus.FAILED, error, record.attempts + 1
    state.save(record)
    return Outcome(item.id, "failed", error)


def encode_item(lib: Library, config: MirrorConfig, state: MirrorState, step: Step) -> Outcome:
    """Encode one item into the mirror: hash, encode to a temporary file, tag, rename."""
    item = lib.get_item(step.item_id)
    if item is None:
        return Outcome(step.item_id, "unchanged", "item left the library")
    if _up_to_date(state.get(item.id), item, config, step.dest):
        # Queued twice (an import hook, then a sync with --jobs): the first one did it.
        return Outcome(item.id, "unchanged", "already mirrored")
    target = config.root / step.dest
    temp = _temp_beside(target)
    try:
        audio = audio_hash(item.filepath)
        media.encode_file(item.filepath, temp, "opus", bit_rate=config.bitrate * 1000)
        _finish(temp, item, target)
    except (media.MediaError, FileOperationError, UnreadableFileError, OSError) as exc:
        temp.unlink(missing_ok=True)
        return _failed(state, item, _one_line(exc))
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    old = state.get(item.id)
    _forget_old_file(config, old.path if old else None, step.dest)
    state.save(_ok_record(lib, item, config, step.dest, audio))
    return Outcome(item.id, "encoded", step.reason)


def _up_to_date(record: Record | None, item: Item, config: MirrorConfig, dest: str) -> bool:
    if record is None or record.status is not RecordStatus.OK or record.bitrate != config.bitrate:
        return False
    try:
        stat = os.stat(item.path)
    except OSError:
        return False
    same_source = (stat.st_mtime_ns, stat.st_size) == (record.source_mtime, record.source_size)
    return same_source and record.path == dest and (config.root / dest).exists()


def retag_item(lib: Library, config: MirrorConfig, state: MirrorState, step: Step) -> Outcome:
    """Rewrite the mirror file's tags (and move it if its path changed); no re-encoding."""
    item = lib.get_item(step.item_id)
    record = state.get(step.item_id)
    if item is None or record is None or not record.path:
        return Outcome(step.item_id, "unchanged", "nothing to retag")
    target = config.root / step.dest
    temp = _temp_beside(target)
    try:
        shutil.copyfile(config.root / record.path, temp)
        _finish(temp, item, target)
    except (FileOperationError, UnreadableFileError, OSError) as exc:
        temp.unlink(missing_ok=True)
        return _failed(state, item, _one_line(exc))
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    _forget_old_file(config, record.path, step.dest)
    state.save(_ok_record(lib, item, config, step.dest, record.audio_hash or ""))
    return Outcome(item.id, "moved" if record.path != step.dest else "retagged", step.reason)


def delete_item(config: MirrorConfig, state: MirrorState, step: Step) -> Outcome:
    record = state.get(step.item_id)
    if record is not None and record.path:
        _forget_old_file(config, record.path, "")
    state.delete(step.item_id)
    return Outcome(step.item_id, "deleted")


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def remove_stale_temps(root: Path, older_than: float = STALE_TEMP_SECONDS) -> int:
    """Delete temporary files left by a killed sync; a running worker's are younger."""
    if not root.exists():
        return 0
    removed = 0
    cutoff = time.time() - older_than
    for directory, _, files in os.walk(root):
        for name in files:
            path = Path(directory, name)
            if name.endswith(TEMP_MARK) and path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
                removed += 1
    return removed


@dataclass(frozen=True)
class Coverage:
    items: int
    mirrored: int
    failed: list[tuple[int, str]]
    bytes: int
    bitrate: int | None


def coverage(lib: Library, state: MirrorState, config: MirrorConfig) -> Coverage:
    """How much of the library the mirror holds, from the records alone (no file reads)."""
    ids = {item.id for item in lib.items()}
    records = [r for r in state.records().values() if r.item_id in ids]
    mirrored = [r for r in records if r.status is RecordStatus.OK]
    size = 0
    for record in mirrored:
        with contextlib.suppress(OSError):
            size += (config.root / record.path).stat().st_size
    stored = state.meta("bitrate")
    return Coverage(
        items=len(ids),
        mirrored=len(mirrored),
        failed=[(r.item_id, r.error or "") for r in records if r.status is RecordStatus.FAILED],
        bytes=size,
        bitrate=int(stored) if stored else None,
    )
