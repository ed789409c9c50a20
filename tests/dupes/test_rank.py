"""The canonical pick: lossless first, then bitrate, tags, preferred directories, age."""

from __future__ import annotations

import pytest
from beets.library import Item

from beetsplug.dupes.rank import DEFAULT_RANKING, Ranking


def _item(id: int, **fields: object) -> Item:
    item = Item(id=id, path=f"/music/{id}.x".encode(), added=1000.0 + id, **fields)
    return item


def test_lossless_beats_a_higher_bitrate_lossy_copy() -> None:
    flac = _item(1, format="FLAC", bitrate=900_000)
    mp3 = _item(2, format="MP3", bitrate=320_000)
    ranking = Ranking(DEFAULT_RANKING)
    assert ranking.sort([mp3, flac])[0] is flac
    assert ranking.explain(flac, [mp3]) == [
        "over /music/2.x: lossless: FLAC (lossless) vs MP3 (lossy)"
    ]


def test_more_complete_tags_break_a_bitrate_tie() -> None:
    bare = _item(1, format="MP3", bitrate=320_000)
    tagged = _item(2, format="MP3", bitrate=320_000, album="A", year=2001, mb_trackid="x")
    assert Ranking(DEFAULT_RANKING).sort([bare, tagged])[0] is tagged


def test_preferred_directory_wins_when_configured_first() -> None:
    flac = _item(1, format="FLAC", bitrate=900_000)
    mp3 = _item(2, format="MP3", bitrate=128_000)
    mp3.path = b"/music/best/2.mp3"
    ranking = Ranking(["directory", *DEFAULT_RANKING], preferred_directories=["/music/best"])
    assert ranking.sort([flac, mp3])[0] is mp3


def test_earliest_added_wins_among_identical_copies() -> None:
    old, new = _item(5, format="FLAC"), _item(6, format="FLAC")
    assert Ranking(DEFAULT_RANKING).sort([new, old])[0] is old


def test_unknown_criterion_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown ranking criteria loudness"):
        Ranking(["loudness"])


def test_cover_art_breaks_a_tie_between_equal_copies() -> None:
    plain = _item(1, format="MP3", bitrate=320_000)
    with_art = _item(2, format="MP3", bitrate=320_000, dupes_art=True)
    ranking = Ranking(DEFAULT_RANKING)
    assert ranking.sort([plain, with_art])[0] is with_art
    assert ranking.explain(with_art, [plain]) == ["over /music/1.x: art: cover art vs no cover art"]
