"""With ``auto: yes`` the import hook queues new items in the background."""

from __future__ import annotations

from collections.abc import Callable

from beets import plugins
from beets.library import Item, Library

from beetcrate.queue import huey
from beetsplug.dj.library import DjLibrary


def test_imported_item_is_queued_behind_explicit_requests(
    dj: DjLibrary, dj_config: Callable[..., None], add_clip: Callable[..., Item], library: Library
) -> None:
    dj_config("dj:\n  auto: yes\n")
    assert huey.pending_count() == 0
    item = add_clip("house")
    plugins.send("item_imported", lib=library, item=item)
    task = huey.dequeue()
    assert task.args[0].path == item.path.decode()
    assert not task.priority


def test_without_auto_import_queues_nothing(
    dj: DjLibrary, add_clip: Callable[..., Item], library: Library
) -> None:
    item = add_clip("house")
    plugins.send("item_imported", lib=library, item=item)
    assert huey.pending_count() == 0
