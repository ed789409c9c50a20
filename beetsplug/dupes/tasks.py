"""The duplicate finder's work on the shared Huey queue, for libraries too large to scan inline.

A worker runs these once it has imported this module (``beetcrate worker`` must import
``beetsplug.dupes.tasks``). A scan is split into batches of items; the batch that brings the
job's remaining count to zero regroups, so the groups are recomputed once, after the last file
is analysed, whichever worker runs it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from beets.library import Item, Library

from beetcrate.queue import huey
from beetsplug.dupes import ITEM_TYPES, store
from beetsplug.dupes.group import regroup
from beetsplug.dupes.rank import Ranking
from beetsplug.dupes.scan import Scanner

if TYPE_CHECKING:
    from beetsplug.dupes.settings import DupesSettings

BATCH = 50


@dataclass(frozen=True)
class Job:
    """What a worker needs to redo a scan without reading the beets configuration.

    It travels in the queue as a dict of these fields: tasks queued by an earlier version wait
    there, so the fields stay as they are.
    """

    library: str
    directory: str
    db: str
    fingerprints: bool
    ranking: Sequence[str]
    preferred_directories: Sequence[str]

    @classmethod
    def from_settings(cls, settings: DupesSettings) -> Job:
        return cls(
            library=str(settings.library),
            directory=str(settings.music_directory),
            db=str(settings.db),
            fingerprints=settings.fingerprints,
            ranking=list(settings.ranking.order),
            preferred_directories=list(settings.ranking.preferred_directories),
        )


def enqueue_scan(job: Job, item_ids: Sequence[int]) -> int:
    """Queue ``item_ids`` in batches; returns the number of batches."""
    batches = [list(item_ids[i : i + BATCH]) for i in range(0, len(item_ids), BATCH)]
    if not batches:
        return 0
    job_id = store.start_job(store.open_store(job.db), len(batches))
    for batch in batches:
        scan_batch(asdict(job), batch, job_id)
    return len(batches)


@huey.task()
def scan_batch(job: dict[str, Any], item_ids: list[int], job_id: int) -> list[str]:
    """Analyse a batch; the last batch of a job regroups. Returns the batch's error messages."""
    settings = Job(**job)
    # A worker loads no beets plugins: declare the attribute types the CLI would have.
    Item._types.update(ITEM_TYPES)
    lib = Library(settings.library, settings.directory)
    try:
        items = [item for item in map(lib.get_item, item_ids) if item is not None]
        report = Scanner(lib, settings.db, settings.fingerprints).run(items)
        db = store.open_store(settings.db)
        if store.finish_batch(db, job_id) == 0:
            regroup(lib, db, Ranking(settings.ranking, settings.preferred_directories))
            store.end_job(db, job_id)
        return report.errors
    finally:
        lib._close()
