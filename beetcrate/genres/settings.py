"""The genre settings, flat keys of the plugin that fills genres (``identify:``).

``DEFAULTS`` is what that plugin gives ``self.config.add``; ``GenreSettings.from_config(view)``
reads its view once and loads the files the settings name, so that a missing or malformed file
is one line (``SettingsError``, which ``beet`` reports as it does its own configuration errors)
before any music is touched. The defaults of the vocabulary are the data files beets ships with
its ``lastgenre`` plugin: its whitelist (``genres.txt``), tree (``genres-tree.yaml``) and
aliases (``aliases.yaml``).
"""

from __future__ import annotations

import enum
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import confuse
import yaml

from beetcrate.genres.rules import (
    Alias,
    GenreRules,
    Vocabulary,
    VocabularyError,
    normalise,
    parse_aliases,
    parse_tree,
    parse_whitelist,
)
from beetcrate.settings import SettingsError

T = TypeVar("T")

DEFAULTS: dict[str, object] = {
    # Where genres come from: ``lastfm``, or ``no`` to leave them alone.
    "genres": False,
    # Whose tags: the track's (``item``), the album's or the artist's; a level without tags
    # falls back to the next (item → album → artist).
    "genre_level": "album",
    # Which genres may be stored: ``yes`` (beets' list), ``no`` (any tag), a file, or a list.
    "genre_whitelist": True,
    # A tree mapping tags to their parent genres: ``yes`` (beets' tree), ``no``, or a file.
    "genre_canonical": False,
    # Respellings applied to every tag first: ``yes`` (beets' aliases), ``no``, or a file.
    "genre_aliases": True,
    "genre_count": 1,
    # Tags weighing less (Last.fm weighs an object's tags 0 to 100) are left out.
    "genre_min_weight": 10,
    # Replace genres an item or album already has.
    "genre_force": False,
    # Along the tree, keep the most specific genre the whitelist lets pass, not the most general.
    "genre_prefer_specific": False,
    # Between genres in the single-valued ``genre`` field, where beets has one.
    "genre_separator": ", ",
}


class GenreSource(enum.Enum):
    """Where genres come from (the ``genres`` key)."""

    NONE = "no"
    LASTFM = "lastfm"


class Level(enum.Enum):
    """Whose Last.fm tags give the genres; each falls back to the ones after it."""

    ITEM = "item"
    ALBUM = "album"
    ARTIST = "artist"


@dataclass(frozen=True)
class GenreSettings:
    """The ``genre*`` keys, read and their files loaded."""

    source: GenreSource = GenreSource.NONE
    level: Level = Level.ALBUM
    rules: GenreRules = field(default_factory=GenreRules)
    force: bool = False
    separator: str = ", "

    @classmethod
    def from_config(cls, view: confuse.ConfigView) -> GenreSettings:
        """Read the flat ``genre*`` keys of ``view`` (the plugin's section, ``DEFAULTS`` added)
        and load the files they name. Raises ``SettingsError``, one line naming the key."""
        source = _source(view["genres"])
        try:
            level = Level(view["genre_level"].as_choice([level.value for level in Level]))
            count = view["genre_count"].as_number()
            min_weight = view["genre_min_weight"].as_number()
            force = view["genre_force"].get(bool)
            prefer_specific = view["genre_prefer_specific"].get(bool)
            separator = view["genre_separator"].as_str()
        except confuse.ConfigError as exc:
            raise SettingsError(f"setting {exc}") from exc
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise SettingsError(f"setting {view['genre_count'].name}: a whole number from 1")
        if not 0 <= min_weight <= 100:
            raise SettingsError(f"setting {view['genre_min_weight'].name}: from 0 to 100")
        vocabulary = Vocabulary(
            whitelist=_whitelist(view["genre_whitelist"]),
            ancestry=_load(view["genre_canonical"], "genres-tree.yaml", _tree) or {},
            aliases=_load(view["genre_aliases"], "aliases.yaml", _aliases) or (),
        )
        rules = GenreRules(vocabulary, count, int(min_weight), prefer_specific)
        return cls(source, level, rules, force, separator)


def _source(view: confuse.ConfigView) -> GenreSource:
    value = view.get()
    if value in (False, None, "no"):
        return GenreSource.NONE
    if value == "lastfm":
        return GenreSource.LASTFM
    raise SettingsError(f"setting {view.name}: lastfm or no, not {value!r}")


def beets_data_file(name: str) -> Path:
    """One of the data files beets' ``lastgenre`` plugin ships (found, not imported)."""
    spec = importlib.util.find_spec("beetsplug.lastgenre")
    locations = spec.submodule_search_locations if spec else None
    if not locations:
        raise SettingsError(f"beets' lastgenre data ({name}) is not installed")
    return Path(next(iter(locations))) / name


def _whitelist(view: confuse.ConfigView) -> frozenset[str] | None:
    value = view.get()
    if isinstance(value, list):  # the genres themselves; an empty list lets none pass
        return frozenset(normalise(str(genre)) for genre in value)
    return _load(view, "genres.txt", parse_whitelist)


def _tree(text: str) -> dict[str, tuple[str, ...]]:
    return parse_tree(yaml.safe_load(text))


def _aliases(text: str) -> tuple[Alias, ...]:
    return parse_aliases(yaml.safe_load(text))


def _load(view: confuse.ConfigView, default_file: str, parse: Callable[[str], T]) -> T | None:
    """``yes``: beets' ``default_file``; ``no``: None; a path (relative to the configuration
    file's folder): that file."""
    value = view.get()
    if value is False or value is None:
        return None
    try:
        path = beets_data_file(default_file) if value is True else Path(view.as_filename())
    except confuse.ConfigError as exc:
        raise SettingsError(f"setting {view.name}: yes, no or a file, not {value!r}") from exc
    try:
        return parse(path.read_text(encoding="utf-8"))
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise SettingsError(f"setting {view.name}: cannot read {path}: {reason}") from exc
    except UnicodeDecodeError as exc:
        raise SettingsError(f"setting {view.name}: {path} is not UTF-8 text: {exc}") from exc
    except (yaml.YAMLError, VocabularyError) as exc:
        problem = " ".join(str(exc).split())
        raise SettingsError(f"setting {view.name}: {path}: {problem}") from exc
