"""``identify``: tagging that falls back from the tags to fingerprints to the user.

On ``beet import`` beets' own matching runs first; only when its best candidate is weaker than
``identify: fingerprint_below`` are the files fingerprinted (``beetcrate.fingerprints``, shared
with the duplicate finder), looked up on AcoustID (several recordings per file) and turned into
album and track candidates through beets' MusicBrainz source, offered beside the tag candidates
and labelled ``fingerprint``. beets' prompt, or in quiet mode its ``quiet_fallback``, then
decides as always. ``beet identify [QUERY] [--apply] [--json]`` does the same for items already
in the library. With ``genres: lastfm`` the genres of what is imported or applied come from
Last.fm (``beetcrate.genres``); with ``artist_info: lastfm``, its artists' missing MusicBrainz
ids, and their Last.fm pages in the sidecar's cache, for the server (``beetcrate.lastfm_info``).

The plugin is deliberately not a metadata source: a second source would add beets' data_source
mismatch penalty to every candidate of every import (beets #7042) and make well-tagged imports
worse. The modules:

- ``settings``: the ``identify:`` section; ``lookup``: AcoustID's ``v2/lookup``;
- ``candidates``: recordings and releases to beets' candidates, scored by beets' distance;
- ``fallback``: the step itself, shared by the import and the command;
- ``stage``: its place in the import; ``commands`` and ``report``: ``beet identify``;
- ``lastfm_genres``: ``genres: lastfm``, through beetcrate's genre engine;
- ``lastfm_artists``: ``artist_info: lastfm`` and ``beet identify --artist-info``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from beets import config, ui
from beets.plugins import BeetsPlugin

from beetsplug.identify.settings import DEFAULTS

if TYPE_CHECKING:
    from beets.importer import ImportSession, ImportTask
    from beets.library import Library

    from beetsplug.identify.stage import ImportStage


class IdentifyPlugin(BeetsPlugin):
    def __init__(self) -> None:
        super().__init__("identify")
        self.config.add(DEFAULTS)
        self.config["acoustid"]["apikey"].redact = True
        self._stage: ImportStage | None = None
        if self.config["auto"].get(bool):
            self.register_listener("import_task_start", self.on_task_start)
            self.register_listener("import_task_before_choice", self.on_before_choice)
            self.register_listener("before_choose_candidate", self.on_before_candidates)
            self.register_listener("import_task_apply", self.on_task_apply)
            self.register_listener("cli_exit", self.on_cli_exit)
            self.import_stages = [self.on_task_added]

    def commands(self) -> list[ui.Subcommand]:
        from beetsplug.identify.commands import identify_command

        return [identify_command(self.config, self._log)]

    @property
    def stage(self) -> ImportStage:
        if self._stage is None:
            from beetsplug.identify.fallback import Fallback
            from beetsplug.identify.lastfm_artists import LastfmArtists
            from beetsplug.identify.lastfm_genres import LastfmGenres
            from beetsplug.identify.settings import SettingsError, identify_settings
            from beetsplug.identify.stage import ImportStage

            try:
                settings = identify_settings(self.config, config)
            except SettingsError as exc:
                raise ui.UserError(str(exc)) from exc
            self._stage = ImportStage(
                Fallback(settings, self._log),
                LastfmGenres(settings.genres, settings.lastfm, self._log),
                LastfmArtists(settings.artist_info, settings.lastfm, settings.sidecar, self._log),
            )
        return self._stage

    def on_task_start(self, task: ImportTask, session: ImportSession) -> None:
        self.stage.watch(task)

    def on_before_choice(self, task: ImportTask, session: ImportSession) -> None:
        self.stage.before_choice(task, session)

    def on_before_candidates(self, task: ImportTask, session: ImportSession) -> list[Any]:
        return self.stage.before_candidates(task, session)

    def on_task_apply(self, task: ImportTask, session: ImportSession) -> None:
        self.stage.applied(task, session)

    def on_task_added(self, session: ImportSession, task: ImportTask) -> None:
        self.stage.added(session, task)

    def on_cli_exit(self, lib: Library) -> None:
        if self._stage is not None:
            self._stage.close()
            self._stage = None
