"""Crates: DJ-aware smart playlists, listening sessions and sonic similarity.

The engine lives in the shared core because two front ends use it: the ``crates`` beets plugin
(``beet crate …``) and the Subsonic server (crates as playlists, ``getSonicSimilarTracks``,
``findSonicPath``). Modules: ``keys`` (musical keys and the Camelot wheel), ``tracks`` (what the
engine knows of a track), ``rules`` (the rule files), ``compile`` (rules to SQL), ``index``
(the table rules run against), ``mix`` (playable orders), ``sonic`` (similar tracks and paths),
``columns`` (the tracks as numpy arrays, for ``mix`` and ``sonic``), ``sessions`` (listening
sessions from the play history).
"""
