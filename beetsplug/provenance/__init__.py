"""The ``provenance`` plugin: where every value in the library came from (``beet provenance``).

Every change of an item's or album's fields stored through beets (an import, ``beet modify``,
``edit``, ``mbsync``, ``update``, another plugin's command, a revert) is recorded in the
sidecar with its source, the candidate it came from and how sure the match was
(``beetsplug.provenance.sources``), so that ``beet provenance show`` explains a value and
``beet provenance revert`` takes changes back. Enable with ``plugins: provenance``; it has no
settings. See docs/provenance.md.

How: beets sends ``database_change`` after every store, with the model; the plugin diffs the
model's stored values against the snapshot it keeps of them (``store``) and records the fields
that changed. When a command opens the library, items and albums it has not seen yet (the
library as it was before the plugin was enabled, or changed by a process without it) are
recorded as ``found``, so the changes that follow have a value to start from.

Modules: ``values`` (a model's values as recorded), ``store`` (the tables), ``sources`` (who
made a change), ``revert`` (what a revert sets back), ``commands`` (the ``beet provenance``
actions). beets loads this package for every command, so the commands load on first use.
"""

from __future__ import annotations

import atexit
from typing import TYPE_CHECKING

from beets import config, plugins, ui
from beets.dbcore.db import Model
from beets.library import Album, Item, Library
from beets.plugins import BeetsPlugin

from beetcrate.attribution import Attribution
from beetcrate.settings import sidecar_path
from beetsplug.provenance.sources import SourceFinder
from beetsplug.provenance.store import Kind, ProvenanceStore, Snapshot
from beetsplug.provenance.values import Value, stored_values

if TYPE_CHECKING:
    from collections.abc import Iterator

    from beets.importer import ImportSession, ImportTask

# The source of values provenance finds in the library without having seen them stored.
FOUND = Attribution("found")
# The source of an imported file's own tags, recorded before the match applied to it.
FROM_FILE = Attribution("import:file")
# How many unseen items are fetched one by one before reading the whole table is cheaper.
_FETCH_ONE_BY_ONE = 200


class ProvenancePlugin(BeetsPlugin):
    def __init__(self) -> None:
        super().__init__("provenance")
        self._store: ProvenanceStore | None = None
        self._sources = SourceFinder()
        # id(item) → (item, its values as read from the file), from the import's choice to the
        # item's first store (the item is kept so that its id is not reused meanwhile).
        self._file_values: dict[int, tuple[Item, dict[str, Value]]] = {}
        self.register_listener("library_opened", self.on_library_opened)
        self.register_listener("import_task_choice", self.on_import_task_choice)
        self._listen_to_stores_unwrapped()
        self.register_listener("item_removed", self.on_item_removed)
        self.register_listener("album_removed", self.on_album_removed)
        self.register_listener("cli_exit", self.on_cli_exit)

    def _listen_to_stores_unwrapped(self) -> None:
        """Listen to ``database_change`` (every store) without the wrapper ``register_listener``
        puts around a listener: on every call it reads the ``verbose`` setting and sets the
        plugin's log level and back (each ``Logger.setLevel`` clears every logger's cache),
        about 10 µs, a fifth of the cost of recording a store. (The listener logs nothing: the
        level is of no use to it.) beets has no public way to do so: the listener goes in the
        registry beets' ``send`` calls (``BeetsPlugin.listeners``, where ``register_listener``
        puts its wrapper) once beets was seen to call what is put there; if it does not (a
        beets release that dispatches otherwise), through ``register_listener``."""
        if _send_calls_registry():
            BeetsPlugin.listeners["database_change"].append(self.on_database_change)
        else:
            self.register_listener("database_change", self.on_database_change)

    def commands(self) -> list[ui.Subcommand]:
        from beetsplug.provenance.commands import provenance_command

        return [provenance_command(self.store)]

    def store(self) -> ProvenanceStore:
        """The provenance tables of the library's sidecar, opened on first use."""
        if self._store is None:
            self._store = ProvenanceStore(sidecar_path(config))
            # Pending records are written when a command ends; a process that ends without
            # ``cli_exit`` (a command that failed, a queue worker) writes them at exit.
            atexit.register(self.close)
        return self._store

    def close(self) -> None:
        if self._store is not None:
            atexit.unregister(self.close)
            self._store.close()
            self._store = None

    def on_library_opened(self, lib: Library) -> None:
        """Catch up with the library: record what is there unseen, note what went."""
        store = self.store()
        for kind, table in ((Kind.ALBUM, "albums"), (Kind.ITEM, "items")):
            with lib.transaction() as tx:
                in_beets = {beets_id for (beets_id,) in tx.query(f"SELECT id FROM {table}")}
            known = store.live_ids(kind)
            if known - in_beets:
                store.mark_removed(kind, known - in_beets)
            unseen = in_beets - known
            if unseen:
                store.record_many(kind, _snapshots(lib, kind, unseen), FOUND)

    def on_import_task_choice(self, session: ImportSession, task: ImportTask) -> None:
        """Before a match is applied, keep what the files said: the history starts there."""
        if task.apply:
            for item in task.items:
                self._file_values[id(item)] = (item, stored_values(item))

    def on_database_change(self, lib: Library, model: Model) -> None:
        # (The id read as stored: ``model.id`` merges every plugin's template fields first.)
        beets_id = model._values_fixed.get("id")
        if beets_id is None:
            return
        source = self._sources.source_of_store()
        if source is None:  # beets removing the model: ``item_removed`` follows
            return
        store = self._store or self.store()
        kind = Kind.ALBUM if isinstance(model, Album) else Kind.ITEM
        if self._file_values:
            from_file = self._file_values.pop(id(model), None)
            if from_file is not None and from_file[0] is model:
                store.record(kind, beets_id, from_file[1], FROM_FILE)
        store.record(kind, beets_id, stored_values(model), source)

    def on_item_removed(self, item: Item) -> None:
        if item.id is not None:
            self.store().mark_removed(Kind.ITEM, [item.id])

    def on_album_removed(self, album: Album) -> None:
        if album.id is not None:
            self.store().mark_removed(Kind.ALBUM, [album.id])

    def on_cli_exit(self, lib: Library) -> None:
        self.close()
        self._file_values.clear()


# An event no one else sends or listens to, sent once to see how beets dispatches.
_PROBE = "beetcrate_provenance_probe"


def _send_calls_registry() -> bool:
    """Whether ``beets.plugins.send`` calls the listeners in ``BeetsPlugin.listeners`` as they
    are: a listener put there for an event of no one else's is called when it is sent."""
    called: list[bool] = []

    def probe(**arguments: object) -> None:
        called.append(True)

    registry = getattr(BeetsPlugin, "listeners", None)
    if not isinstance(registry, dict):
        return False
    registry.setdefault(_PROBE, []).append(probe)
    try:
        plugins.send(_PROBE)  # type: ignore[call-overload]  # (an event beets does not know)
    finally:
        del registry[_PROBE]
    return called == [True]


def _snapshots(lib: Library, kind: Kind, beets_ids: set[int]) -> Iterator[Snapshot]:
    get = lib.get_album if kind is Kind.ALBUM else lib.get_item
    if len(beets_ids) <= _FETCH_ONE_BY_ONE:
        models = (get(beets_id) for beets_id in sorted(beets_ids))
    else:
        every = lib.albums() if kind is Kind.ALBUM else lib.items()
        models = (model for model in every if model.id in beets_ids)
    for model in models:
        if model is not None and model.id is not None:
            yield Snapshot(model.id, stored_values(model))
