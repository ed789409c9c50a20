"""Who made the change being stored: the source provenance records, found from what is running.

In order, the first that answers:

1. an enclosing ``beetcrate.attribution.attributed`` block (identify, Last.fm genres, revert);
2. a plugin's code on the call stack (a module ``beetsplug.NAME``): the plugin ``NAME``
   (``dj``, ``dupes``, and beets' own ``edit``, ``mbsync``…);
3. an import task on the call stack (the importer's stages run in threads of their own, so the
   task is what ties a store to its match): ``import:asis`` for files imported as they are,
   else ``import:`` and the candidate's source (``fingerprint`` for identify's, else its
   metadata source: ``musicbrainz``), with the release (or, for a singleton, the recording) id
   and beets' distance;
4. the beets command running (``beets.ui.commands.NAME``): ``modify``, ``update`` (values read
   back from the files), ``move``, ``write``…;
5. otherwise ``unknown``: never a guess.
"""

from __future__ import annotations

import sys
from types import CodeType, FrameType

from beets.importer import Action, ImportTask

from beetcrate import attribution
from beetcrate.attribution import Attribution

UNKNOWN = Attribution("unknown")
ASIS = Attribution("import:asis")

# How far above the listener beets' ``LibModel._remove`` is, when it sends ``database_change``
# (through ``plugins.send``, and the wrapper ``register_listener`` makes, if it made one).
_REMOVAL_DEPTH = 8
# Distinct call stacks remembered; more are found again each time (a guard, never reached by
# beets' commands, which store from a handful of places).
_REMEMBERED = 1024


class SourceFinder:
    """Finds who made each store from the call stack: ``beet modify`` stores ten thousand items
    from the same stack, so the answer is remembered for each stack (the code running in each
    of its frames), except for stacks through the importer, whose answer is the import task
    that a frame holds."""

    def __init__(self) -> None:
        # The ids of the stack's code → its code (which stays alive while remembered, so no
        # other code gets its id) and the source. (A code object's hash is computed anew on
        # every use, from its name, bytecode and constants; an id's is not.)
        self._by_stack: dict[tuple[int, ...], tuple[tuple[CodeType, ...], Attribution | None]] = {}

    def source_of_store(self, frame: FrameType | None = None) -> Attribution | None:
        """The attribution of the store whose ``database_change`` is being handled, seen from
        ``frame`` (the caller's, by default); None when beets is removing the model
        (``LibModel._remove`` sends the event too): nothing was changed."""
        explicit = attribution.current()
        frame = frame or sys._getframe(1)
        stack = []
        below: FrameType | None = frame
        while below is not None:
            stack.append(id(below.f_code))
            below = below.f_back
        key = tuple(stack)
        if key in self._by_stack:
            found = self._by_stack[key][1]
        else:
            found, same_for_the_stack = _source_from_stack(frame)
            if same_for_the_stack and len(self._by_stack) < _REMEMBERED:
                self._by_stack[key] = (_codes(frame), found)
        return explicit if explicit is not None and found is not None else found


def _codes(frame: FrameType | None) -> tuple[CodeType, ...]:
    codes = []
    while frame is not None:
        codes.append(frame.f_code)
        frame = frame.f_back
    return tuple(codes)


def _source_from_stack(frame: FrameType) -> tuple[Attribution | None, bool]:
    """The source the stack above ``frame`` says (None for a removal), and whether every stack
    running the same code says the same (not when an import task decided)."""
    command: str | None = None
    depth = 0
    current: FrameType | None = frame
    while current is not None:
        if depth < _REMOVAL_DEPTH and current.f_code.co_name == "_remove":
            return None, True
        depth += 1
        module = current.f_globals.get("__name__", "")
        if module.startswith("beetsplug.") and not module.startswith("beetsplug.provenance"):
            return Attribution(module.split(".")[1]), True
        if module.startswith("beets.importer."):
            local = current.f_locals
            task = local.get("task", local.get("self"))
            if isinstance(task, ImportTask):
                return import_attribution(task), False
        if command is None and module.startswith("beets.ui.commands."):
            command = module.split(".")[3].rstrip("_")  # the package ``import_`` is ``import``
        current = current.f_back
    return (Attribution(command) if command else UNKNOWN), True


def import_attribution(task: ImportTask) -> Attribution:
    """The source of the values an import task stores: its match, or the files' own tags."""
    match = task.match
    if task.choice_flag is not Action.APPLY or match is None:
        return ASIS
    info = match.info
    found_by = attribution.candidate_source(info)
    data_source = str(info.get("data_source") or "musicbrainz").lower()
    source = f"import:{found_by or data_source}"
    candidate = info.get("album_id") if task.is_album else info.get("track_id")
    return Attribution(
        source,
        candidate_id=candidate or None,
        distance=float(match.distance.distance),
        candidate_kind="release" if task.is_album else "recording",
    )
