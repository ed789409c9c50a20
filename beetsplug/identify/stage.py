"""The import stage: the fingerprint step between beets' lookup and its decision.

beets sends no event between looking a task's candidates up and choosing among them for both
albums and singletons (``import_task_before_choice`` is sent for albums only). So at
``import_task_start``, sent just before the lookup, the stage wraps that one task's
``lookup_candidates``: beets' own lookup runs first, unchanged, then ``Fallback`` adds
fingerprint candidates if beets' best was weak. The recommendation is recomputed from all the
candidates, so beets' prompt, its quiet mode and ``quiet_fallback`` decide as they always do.
With ``genres: lastfm`` and ``artist_info: lastfm``, a later import stage (``added``) fills the
genres and the missing artist ids of what was added, before beets writes the files.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any

from beets import ui
from beets.autotag.match import AlbumMatch, Proposal

from beetcrate.attribution import CANDIDATE_SOURCE, candidate_source
from beetsplug.identify.candidates import FINGERPRINT
from beetsplug.identify.fallback import Fallback
from beetsplug.identify.lastfm_artists import LastfmArtists
from beetsplug.identify.lastfm_genres import LastfmGenres

if TYPE_CHECKING:
    from beets.importer import ImportSession, ImportTask


class ImportStage:
    def __init__(self, fallback: Fallback, genres: LastfmGenres, artists: LastfmArtists) -> None:
        self.fallback = fallback
        self.genres = genres
        self.artists = artists
        # What the step has to say about a task, until beets shows it. Weak keys: a task beets
        # drops before its choice (merged into another) takes its note along, and a later
        # task reusing its id() never gets it.
        self.notes: weakref.WeakKeyDictionary[ImportTask, str] = weakref.WeakKeyDictionary()

    def watch(self, task: ImportTask) -> None:
        """Run the fingerprint step right after beets' own lookup of ``task``."""
        lookup = task.lookup_candidates

        def lookup_then_fingerprint(search_ids: list[str]) -> None:
            lookup(search_ids)
            if not search_ids:  # ids the user gave (-m, "enter Id") are not second-guessed
                self.after_lookup(task)

        task.lookup_candidates = lookup_then_fingerprint  # type: ignore[method-assign]

    def after_lookup(self, task: ImportTask) -> None:
        proposal = Proposal(task.candidates or [], task.rec)  # type: ignore[arg-type]
        if task.is_album:
            finding = self.fallback.for_album(task.items, proposal)
        else:
            finding = self.fallback.for_item(task.items[0], proposal)
        task.candidates, task.rec = finding.proposal
        if finding.note:
            self.notes[task] = finding.note

    def before_choice(self, task: ImportTask, session: ImportSession) -> None:
        """Say what the step found (albums: in quiet mode too), before beets shows or decides."""
        note = self.notes.pop(task, "")
        if note:
            ui.print_(note)

    def before_candidates(self, task: ImportTask, session: ImportSession) -> list[Any]:
        """Before beets lists the candidates: which of them the fingerprints found."""
        numbers = [
            str(n)
            for n, match in enumerate(task.candidates or [], 1)
            if candidate_source(match.info) == FINGERPRINT
        ]
        if numbers:
            which = "candidate" if len(numbers) == 1 else "candidates"
            ui.print_(f"identify: {which} {', '.join(numbers)} found by fingerprint")
        return []

    def applied(self, task: ImportTask, session: ImportSession) -> None:
        """The items get the fingerprints the step computed, stored with the match. The source
        label is for provenance (it reads the match), not a field of the items or their album."""
        self.fallback.give_fingerprints(task.imported_items())
        for item in task.imported_items():
            if CANDIDATE_SOURCE in item:
                del item[CANDIDATE_SOURCE]
        if isinstance(task.match, AlbumMatch):
            # After this event beets creates the album and copies the match's item_data into it
            # (apply_album_metadata), whence album.store() hands it to the items again; the
            # label stays on the match itself.
            task.match.info.item_data.pop(CANDIDATE_SOURCE, None)

    def added(self, session: ImportSession, task: ImportTask) -> None:
        """An import stage, after the task is in the library and before its files are written:
        its album's (or, for a singleton, its track's) genres from Last.fm, then its artists'
        MusicBrainz ids where it has none (and their Last.fm pages in the sidecar's cache)."""
        if task.skip:
            return
        if task.is_album:
            self.genres.fill(task.album)
            self.artists.fill_album(task.album)
        else:
            for item in task.imported_items():
                self.genres.fill(item)
                self.artists.fill(item)

    def close(self) -> None:
        self.fallback.close()
        self.artists.close()
