"""Planning a sync: each library item against what the mirror recorded about it.

``plan`` decides one ``Action`` per item:

- ``ENCODE`` when there is no mirror file yet, or the source's *audio* changed. The audio hash
  is only recomputed when the source file's size or mtime moved, so a no-change re-sync costs a
  ``stat`` and a tag comparison per item.
- ``RETAG`` when only tags (or cover art, or the path they produce) changed: the mirror file is
  copied, retagged and renamed into its (possibly new) place; no audio is re-encoded.
- ``DELETE`` for mirror files whose items left the library (full syncs only).

The tag comparison is a key over the stored rows (``sources``), read through
``beetcrate.beetsdb``: building beets ``Item`` objects for 10k items would take longer than
the whole no-change re-sync should. ``coverage`` compares the same two sides for
``beet opus status``.
"""

from __future__ import annotations

import contextlib
import enum
import hashlib
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from beets.library import Item, Library

from beetcrate import beetsdb, media
from beetcrate.audiohash import audio_hash
from beetsplug.opus.config import MirrorConfig
from beetsplug.opus.state import MirrorState, Record, RecordStatus

# Item fields that change without changing what is written into the mirror file.
_UNTAGGED_FIELDS = {"id", "path", "mtime", "added", "album_id"}


class Action(enum.Enum):
    ENCODE = "encode"
    RETAG = "retag"
    DELETE = "delete"
    UNCHANGED = "unchanged"
    GIVEN_UP = "given up"


@dataclass
class Step:
    """One item's planned action; an ENCODE step travels to the worker with its task."""

    action: Action
    item_id: int
    dest: str | None = None  # new path under the mirror root (ENCODE, RETAG)
    reason: str = ""
    # Encode even where the mirror file looks up to date (``--rebuild``).
    force: bool = False


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
        selected = sources(lib, config, [item.id for item in chosen if item.id is not None])
    steps = [_decide(lib, source, records.get(source.item_id), config) for source in selected]
    if rebuild:
        # Every item matched is encoded again: a new bitrate, or an encoder that changed.
        steps = [_rebuilt(lib, step, config) for step in steps]
    _keep_paths_apart(steps, records)
    if whole:
        seen = {source.item_id for source in selected}
        steps.extend(Step(Action.DELETE, item_id) for item_id in records if item_id not in seen)
    return steps


def _rebuilt(lib: Library, step: Step, config: MirrorConfig) -> Step:
    if step.action not in (Action.UNCHANGED, Action.RETAG, Action.ENCODE):
        return step  # given up on, or gone: a rebuild does not change that
    item = lib.get_item(step.item_id)
    assert item is not None  # read from the library a moment ago, in this process
    return Step(Action.ENCODE, step.item_id, destination(item, config), "rebuild", force=True)


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
        item = lib.get_item(item_id)
        assert item is not None  # read from the library a moment ago, in this process
        return Step(action, item_id, destination(item, config), reason)

    try:
        stat = os.stat(source.path)
        current = (stat.st_mtime_ns, stat.st_size)
    except OSError:
        current = (0, 0)  # vanished: as recorded by a failure, so it is not retried forever
    stat_changed = record is None or current != (record.source_mtime, record.source_size)
    if record is not None and record.status is RecordStatus.FAILED:
        if not stat_changed and record.attempts >= config.retries:
            return Step(Action.GIVEN_UP, item_id, reason=record.error or "")
        return step(Action.ENCODE)
    if record is None or record.bitrate != config.bitrate:
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


@dataclass(frozen=True)
class Coverage:
    """How much of the library the mirror holds, for ``beet opus status``."""

    items: int
    mirrored: int
    failed: list[Record]
    bytes: int
    bitrate: int | None


def coverage(lib: Library, state: MirrorState, config: MirrorConfig) -> Coverage:
    """Count from the records and a ``stat`` per mirror file: a file deleted by hand is not
    mirrored (``beet opus sync`` encodes it again), whatever its record says."""
    ids = {item.id for item in lib.items()}
    records = [r for r in state.records().values() if r.item_id in ids]
    mirrored = []
    size = 0
    for record in records:
        if record.status is not RecordStatus.OK or not record.path:
            continue
        with contextlib.suppress(OSError):
            size += (config.root / record.path).stat().st_size
            mirrored.append(record)
    stored = state.meta("bitrate")
    return Coverage(
        items=len(ids),
        mirrored=len(mirrored),
        failed=[r for r in records if r.status is RecordStatus.FAILED],
        bytes=size,
        bitrate=int(stored) if stored else None,
    )
