"""The flat ``genre*`` keys of ``identify:`` as a user writes them in config.yaml: beets' data
files by default, files of one's own, lists, and a one-line error for anything unusable."""

from __future__ import annotations

import pytest
from beets import config

from beetcrate.genres import DEFAULTS, GenreSettings, GenreSource, Level, Tag, resolve
from beetcrate.settings import SettingsError
from tests.helper import BeetsHome, reset_beets


def settings(home: BeetsHome, **identify: object) -> GenreSettings:
    """``identify:`` written to the home's config.yaml, read back as ``beet`` reads it."""
    home.configure(identify=identify)
    reset_beets()
    config.read()
    view = config["identify"]
    view.add(DEFAULTS)
    return GenreSettings.from_config(view)


def test_by_default_genres_are_off_at_album_level_with_beets_whitelist_and_aliases(
    beets_home: BeetsHome,
) -> None:
    read = settings(beets_home)
    assert read.source is GenreSource.NONE and read.level is Level.ALBUM
    vocabulary = read.rules.vocabulary
    assert vocabulary.whitelist is not None and "hip hop" in vocabulary.whitelist
    assert "seen live" not in vocabulary.whitelist
    assert not vocabulary.ancestry
    assert vocabulary.spelling("Hip-Hop") == "hip hop"
    assert (read.rules.count, read.rules.min_weight, read.force) == (1, 10, False)


def test_beets_data_files_make_last_fm_tags_genres(beets_home: BeetsHome) -> None:
    read = settings(
        beets_home, genres="lastfm", genre_canonical=True, genre_prefer_specific=True, genre_count=3
    )
    assert read.source is GenreSource.LASTFM
    found = resolve(
        [Tag("seen live", 100), Tag("Hip-Hop", 90), Tag("Deep House", 80), Tag("rnb", 50)],
        read.rules,
    )
    assert found == ("Hip Hop", "Deep House", "R&B")


def test_the_canonical_tree_is_beets_own_when_asked_for(beets_home: BeetsHome) -> None:
    ancestry = settings(beets_home, genre_canonical=True).rules.vocabulary.ancestry
    assert ancestry["deep house"][-1] == "electronic"


def test_whitelist_no_lets_everything_pass_and_an_empty_list_nothing(
    beets_home: BeetsHome,
) -> None:
    assert settings(beets_home, genre_whitelist=False).rules.vocabulary.whitelist is None
    assert settings(beets_home, genre_whitelist=[]).rules.vocabulary.whitelist == frozenset()
    listed = settings(beets_home, genre_whitelist=["Rock", "Deep  House"])
    assert listed.rules.vocabulary.whitelist == {"rock", "deep house"}


def test_files_of_ones_own_are_found_beside_the_configuration(beets_home: BeetsHome) -> None:
    (beets_home.dir / "mine.txt").write_text("rock\njazz\n")
    (beets_home.dir / "tree.yaml").write_text("- jazz:\n    - bebop\n")
    (beets_home.dir / "aliases.yaml").write_text("bebop:\n  - be[ -]?bop\n")
    read = settings(
        beets_home,
        genre_whitelist="mine.txt",
        genre_canonical="tree.yaml",
        genre_aliases="aliases.yaml",
    )
    assert read.rules.vocabulary.whitelist == {"rock", "jazz"}
    assert resolve([Tag("Be-Bop", 100)], read.rules) == ("Jazz",)


def test_every_key_is_read(beets_home: BeetsHome) -> None:
    read = settings(
        beets_home,
        genre_level="item",
        genre_count=2,
        genre_min_weight=50,
        genre_force=True,
        genre_prefer_specific=True,
        genre_separator="; ",
        genre_aliases=False,
    )
    assert read.level is Level.ITEM and read.force and read.separator == "; "
    assert (read.rules.count, read.rules.min_weight, read.rules.prefer_specific) == (2, 50, True)
    assert read.rules.vocabulary.aliases == ()


@pytest.mark.parametrize(
    ("identify", "message"),
    [
        ({"genres": "spotify"}, "identify.genres: lastfm or no, not 'spotify'"),
        ({"genre_level": "song"}, "identify.genre_level"),
        ({"genre_count": 0}, "identify.genre_count: a whole number from 1"),
        ({"genre_count": "many"}, "identify.genre_count"),
        ({"genre_count": 1.5}, "identify.genre_count: a whole number from 1"),
        ({"genre_min_weight": 101}, "identify.genre_min_weight: from 0 to 100"),
        ({"genre_whitelist": "missing.txt"}, "identify.genre_whitelist: cannot read"),
        ({"genre_whitelist": "latin1.txt"}, "latin1.txt is not UTF-8 text"),
        ({"genre_canonical": 3}, "identify.genre_canonical: yes, no or a file, not 3"),
        ({"genre_canonical": "bad.yaml"}, "identify.genre_canonical: "),
        ({"genre_aliases": "bad.yaml"}, "identify.genre_aliases: "),
    ],
)
def test_an_unusable_setting_is_one_line_naming_it(
    beets_home: BeetsHome, identify: dict[str, object], message: str
) -> None:
    (beets_home.dir / "bad.yaml").write_text("- jazz: [bebop\n")
    (beets_home.dir / "latin1.txt").write_bytes("musique française\n".encode("latin-1"))
    with pytest.raises(SettingsError) as refused:
        settings(beets_home, **identify)
    assert message in str(refused.value)
    assert "\n" not in str(refused.value)
