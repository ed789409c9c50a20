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
from types import FrameType

from beets.importer import Action, ImportTask

from beetcrate import attribution
from beetcrate.attribution import Attribution

UNKNOWN = Attribution("unknown")
ASIS = Attribution("import:asis")


def source_of_store(frame: FrameType | None = None) -> Attribution:
    """The attribution of the store whose ``database_change`` is being handled."""
    explicit = attribution.current()
    if explicit is not None:
        return explicit
    frame = frame or sys._getframe(1)
    command: str | None = None
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if module.startswith("beetsplug.") and not module.startswith("beetsplug.provenance"):
            return Attribution(module.split(".")[1])
        if module.startswith("beets.importer."):
            local = frame.f_locals
            task = local.get("task", local.get("self"))
            if isinstance(task, ImportTask):
                return import_attribution(task)
        if command is None and module.startswith("beets.ui.commands."):
            command = module.split(".")[3].rstrip("_")  # the package ``import_`` is ``import``
        frame = frame.f_back
    return Attribution(command) if command else UNKNOWN


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
