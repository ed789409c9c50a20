"""``beet identify [QUERY] [--apply] [--json]``: re-identify items already in the library.

Each album is matched as a whole (an item of an album brings its album along), each singleton
alone: beets' own matching first, then, if it is weak, the fingerprint step of the import. The
report says per item what matched, from which source, how close, and which fields would change;
``--apply`` applies the strong matches only, attributed to ``identify`` for provenance (and,
with ``genres: lastfm``, the genres Last.fm gives them, attributed to ``lastfm``), then, as
``beet mbsync`` does, renames the files in the library folder when ``import: move`` or ``copy``
is on and writes their tags when ``import: write`` is on. With ``artist_info: lastfm``, the
artists of what it applies are asked about on Last.fm too (``lastfm_artists``).

``--artist-info`` matches nothing: it asks Last.fm about the items' artists (whatever
``artist_info`` says), stores what it says in the sidecar's cache for the server's artist
pages, and reports the artist ids it would fill; with ``--apply`` it fills them (attributed to
``lastfm``) and writes the tags when ``import: write`` is on.
"""

from __future__ import annotations

import logging
import optparse
from collections.abc import Iterable, Sequence
from typing import Any

import confuse
from beets import config, ui, util
from beets.autotag import Source
from beets.autotag.match import (
    AlbumMatch,
    Proposal,
    Recommendation,
    TrackMatch,
    tag_album,
    tag_item,
)
from beets.library import Item, Library
from beets.plugins import apply_item_changes
from tqdm import tqdm

from beetcrate.attribution import CANDIDATE_SOURCE, attributed, candidate_source
from beetcrate.subcommands import Action, command, option
from beetsplug.identify.candidates import FINGERPRINT
from beetsplug.identify.fallback import Fallback
from beetsplug.identify.lastfm_artists import IdFill, LastfmArtists
from beetsplug.identify.lastfm_genres import LastfmGenres
from beetsplug.identify.report import (
    ArtistIdReport,
    FieldChange,
    ItemReport,
    Match,
    MatchSource,
    render_artist_ids_json,
    render_artist_ids_text,
    render_json,
    render_text,
)
from beetsplug.identify.settings import SettingsError, identify_settings


def identify_command(plugin_config: confuse.ConfigView, log: logging.Logger) -> ui.Subcommand:
    def run(lib: Library, opts: optparse.Values, args: list[str]) -> None:
        settings = identify_settings(plugin_config, config)
        fallback = Fallback(settings, log)
        genres = LastfmGenres(settings.genres, settings.lastfm, log)
        enabled = settings.artist_info or opts.artist_info
        artists = LastfmArtists(enabled, settings.lastfm, settings.sidecar, log)
        try:
            identifier = Identifier(
                lib, fallback, genres, artists, write=ui.should_write(), move=ui.should_move()
            )
            if opts.artist_info:
                found = identifier.artist_ids(
                    lib.items(args), apply=opts.apply, progress=not opts.json
                )
                print(render_artist_ids_json(found) if opts.json else render_artist_ids_text(found))
                return
            reports = identifier.run(lib.items(args), apply=opts.apply, progress=not opts.json)
        finally:
            fallback.close()
            artists.close()
        print(render_json(reports) if opts.json else render_text(reports))

    action = Action(
        "identify",
        "re-identify items in the library: the match of their tags, else of their fingerprints",
        run,
        arguments="[QUERY]",
        options=[
            option(
                "--apply",
                action="store_true",
                default=False,
                help="apply the strong matches (weak ones are left for `beet import -L`)",
            ),
            option(
                "--artist-info",
                action="store_true",
                default=False,
                help="match nothing: ask Last.fm about the items' artists, report the artist ids"
                " it would fill (--apply fills them)",
            ),
            option("--json", action="store_true", default=False, help="print the report as JSON"),
        ],
    )
    return command("identify", action, user_errors=(SettingsError,))


class Identifier:
    def __init__(
        self,
        lib: Library,
        fallback: Fallback,
        genres: LastfmGenres,
        artists: LastfmArtists,
        write: bool,
        move: bool,
    ) -> None:
        self.lib = lib
        self.fallback = fallback
        self.genres = genres
        self.artists = artists
        self.write = write  # tag the files of what is applied
        self.move = move  # rename them in the library folder

    def run(self, items: Iterable[Item], apply: bool, progress: bool) -> list[ItemReport]:
        groups = self._groups(items)
        reports: list[ItemReport] = []
        with tqdm(
            total=len(groups), unit="group", desc="identify", disable=not progress or None
        ) as bar:
            for group in groups:
                reports += self._identify(group, apply)
                bar.update()
        return reports

    def _groups(self, items: Iterable[Item]) -> list[list[Item]]:
        """The albums of the items (each whole) and the singletons, in library order."""
        groups: list[list[Item]] = []
        albums: set[int] = set()
        for item in items:
            if item.album_id is None:
                groups.append([item])
            elif item.album_id not in albums:
                albums.add(item.album_id)
                album = self.lib.get_album(item.album_id)
                groups.append(list(album.items()) if album else [item])
        return groups

    def artist_ids(
        self, items: Iterable[Item], apply: bool, progress: bool
    ) -> list[ArtistIdReport]:
        """``--artist-info``: the artist ids Last.fm gives the items that lack them, filled with
        ``apply`` (and their tags written with ``import: write``)."""
        reports = []
        groups = self._groups(items)
        for group in tqdm(groups, unit="group", desc="artist info", disable=not progress or None):
            album = self.lib.get_album(group[0].album_id) if group[0].album_id else None
            shared = self.artists.fill(album, apply) if album is not None else []
            # Read again: the album's store gave its tracks the album artist's id.
            for item in album.items() if album is not None else group:
                mine = shared + self.artists.fill(item, apply)
                # Last.fm failing stops the asking for good: the items asked before still
                # have their answers, the rest were never asked.
                asked = self.artists.available
                reports.append(_artist_id_report(item, mine, apply, asked))
                if apply and mine and self.write:
                    item.load()
                    item.try_write()
        return reports

    def _identify(self, items: Sequence[Item], apply: bool) -> list[ItemReport]:
        if items[0].album_id is None:
            finding = self.fallback.for_item(items[0], tag_item(Source.from_item(items[0])))
        else:
            finding = self.fallback.for_album(items, tag_album(Source.from_items(items)))
        proposal: Proposal = finding.proposal
        if not proposal.candidates:
            return [_report(item, None, note=finding.note) for item in items]
        best = proposal.candidates[0]
        strong = proposal.recommendation == Recommendation.strong
        match = _summary(best, strong)
        changes = {id(item): _changes(item, data) for item, data in _new_values(best)}
        note = finding.note
        # Applying to an item whose file is gone would change its row and leave no file to
        # write, and an album's other files would get tags their missing track never will.
        missing = [item for item in items if not item.filepath.exists()]
        if apply and strong and missing:
            note = "; ".join(filter(None, [note, _missing_note(missing, len(items))]))
        applied = apply and strong and not missing
        reports = [  # before applying: they describe the items as they were
            _report(item, match, changes.get(id(item), ()), applied, note) for item in items
        ]
        if applied:
            self._apply(best, items)
        return reports

    def _apply(self, best: AlbumMatch | TrackMatch, items: Sequence[Item]) -> None:
        """Apply ``best`` (attributed ``identify``), then the genres and the missing artist ids
        Last.fm gives the result (attributed ``lastfm``, with ``genres: lastfm`` and
        ``artist_info: lastfm``), then move and write the files."""
        info = best.info
        is_album = isinstance(best, AlbumMatch)
        candidate_id = info.album_id if is_album else info.track_id
        candidate_kind = "release" if is_album else "recording"  # as the import records them
        distance = float(best.distance)
        album = None
        # One transaction: the items and their album change together or not at all.
        with (
            self.lib.transaction(),
            attributed(
                "identify",
                candidate_id=candidate_id,
                candidate_kind=candidate_kind,
                distance=distance,
            ),
        ):
            best.apply_metadata()
            self.fallback.give_fingerprints(items)
            for item in items:
                if CANDIDATE_SOURCE in item:
                    del item[CANDIDATE_SOURCE]
                item.store()
            if isinstance(best, AlbumMatch) and items[0].album_id is not None:
                album = self.lib.get_album(items[0].album_id)
                if album is not None:
                    best.apply_album_metadata(album)
                    if CANDIDATE_SOURCE in album:
                        del album[CANDIDATE_SOURCE]
                    album.store()
        for obj in [album] if album is not None else items:
            self.genres.fill(obj)
        if album is not None:
            self.artists.fill_album(album)
        else:
            for item in items:
                self.artists.fill(item)
        # Then the files, as `beet mbsync` does: moved to their new names when they are in the
        # library folder and `import: move` or `copy` is on, and tagged with `import: write`.
        with attributed(
            "identify",
            candidate_id=candidate_id,
            candidate_kind=candidate_kind,
            distance=distance,
        ):
            for item in items:
                item.load()  # the album's genres reached the items in the database
                apply_item_changes(self.lib, item, self.move, pretend=False, write=self.write)
            if album is not None and self.move and _in_library(self.lib, items[0]):
                album.load()
                album.move()  # its art; the items have moved already


def _artist_id_report(
    item: Item, fills: Sequence[IdFill], applied: bool, asked: bool
) -> ArtistIdReport:
    return ArtistIdReport(
        item_id=item.id or 0,
        path=str(item.filepath),
        current=_current(item),
        changes=tuple(FieldChange(fill.field, "", fill.mbid) for fill in fills),
        applied=applied and bool(fills),
        asked=asked,
    )


def _current(item: Item) -> str:
    return " - ".join(filter(None, [item.artist, item.title])) or "(no artist, no title)"


def _in_library(lib: Library, item: Item) -> bool:
    return lib.directory in util.ancestry(item.path)


def _missing_note(missing: Sequence[Item], of: int) -> str:
    files = "its file is" if of == 1 else f"{len(missing)} of its {of} files are"
    return f"not applied: {files} missing (`beet update` removes missing files)"


def _new_values(match: AlbumMatch | TrackMatch) -> list[tuple[Item, dict[str, Any]]]:
    """What applying ``match`` would set on each of its items (as ``apply_metadata`` does)."""
    if isinstance(match, AlbumMatch):
        return list(match.merged_pairs)
    return [(match.item, dict(match.info.item_data))]


def _changes(item: Item, values: dict[str, Any]) -> tuple[FieldChange, ...]:
    after = item.copy()
    after.update({k: v for k, v in values.items() if k != CANDIDATE_SOURCE})
    return tuple(
        FieldChange(key, item.get(key), after.get(key))
        for key in sorted(values)
        if key != CANDIDATE_SOURCE and after.get(key) != item.get(key)
    )


def _summary(match: AlbumMatch | TrackMatch, strong: bool) -> Match:
    info = match.info
    if isinstance(match, AlbumMatch):
        candidate_id, name = info.album_id, info.album
    else:
        candidate_id, name = info.track_id, info.title
    source = MatchSource.FINGERPRINT if candidate_source(info) == FINGERPRINT else MatchSource.TAGS
    return Match(
        source=source,
        candidate_id=str(candidate_id or ""),
        description=f"{info.artist} - {name}",
        distance=float(match.distance),
        strong=strong,
    )


def _report(
    item: Item,
    match: Match | None,
    changes: tuple[FieldChange, ...] = (),
    applied: bool = False,
    note: str = "",
) -> ItemReport:
    return ItemReport(
        item_id=item.id or 0,
        path=str(item.filepath),
        current=_current(item),
        match=match,
        changes=changes,
        applied=applied,
        note=note,
    )
