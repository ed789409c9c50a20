"""``beet crate next``, ``beet crate path`` and ``order: mix`` from the command line, on a real
beets library whose tracks carry the DJ fields; every ``--json`` checked against the rules."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator

import pytest
from beets import ui
from beets.library import Item

from beetcrate.crates.keys import parse_key
from beetcrate.crates.tracks import Track, mixable
from tests.helper import BeetsHome

# A chain round the wheel at one tempo, and two tracks nothing mixes with.
CHAIN = [("8A", 0.2), ("9A", 0.4), ("10A", 0.6), ("11A", 0.8), ("12A", 0.9)]
STRANGERS = [("3B", 140.0), ("5A", 90.0)]


@pytest.fixture
def home(beets_home: BeetsHome) -> Iterator[BeetsHome]:
    beets_home.configure(plugins=["crates"])
    (beets_home.dir / "crates").mkdir()
    lib = beets_home.lib
    for n, (camelot, energy) in enumerate(CHAIN):
        item = Item(path=str(beets_home.music / f"chain{n}.flac"), title=f"Chain {n}")
        item.update({"artist": "DJ", "bpm_precise": 124.0 + n * 0.5, "camelot": camelot})
        item["energy"] = energy
        lib.add(item)
    for n, (camelot, bpm) in enumerate(STRANGERS):
        item = Item(path=str(beets_home.music / f"stranger{n}.flac"), title=f"Stranger {n}")
        item.update({"artist": "Other", "bpm_precise": bpm, "camelot": camelot, "energy": 0.5})
        lib.add(item)
    beets_home.close()
    yield beets_home


def _track(data: dict) -> Track:
    return Track(
        data["id"],
        data["path"],
        data["title"],
        data["artist"],
        data["bpm"],
        parse_key(data["camelot"]) if data["camelot"] else None,
        data["energy"],
    )


def test_next_lists_the_most_similar_tracks_first_and_says_which_mix(home: BeetsHome) -> None:
    found = json.loads(home("crate", "next", "title:Chain 0", "--count", "3", "--json"))
    assert found["seed"]["title"] == "Chain 0"
    titles = [item["title"] for item in found["items"]]
    assert len(titles) == 3 and "Chain 0" not in titles
    assert titles[0] == "Chain 1"  # a step round the wheel, the same tempo
    seed = _track(found["seed"])
    for item in found["items"]:
        assert item["mixable"] == mixable(seed, _track(item))
        assert {"id", "path", "title", "artist", "bpm", "camelot", "energy"} <= item.keys()
    similarities = [item["similarity"] for item in found["items"]]
    assert similarities == sorted(similarities, reverse=True)


def test_path_runs_from_the_first_track_to_the_last_and_every_step_mixes(
    home: BeetsHome,
) -> None:
    found = json.loads(
        home("crate", "path", "title:Chain 0", "title:Chain 4", "--count", "5", "--json")
    )
    titles = [item["title"] for item in found["items"]]
    assert titles == [f"Chain {n}" for n in range(5)]
    assert found["broken_steps"] == []
    tracks = [_track(item) for item in found["items"]]
    assert all(mixable(a, b) for a, b in itertools.pairwise(tracks))


def test_a_path_the_library_cannot_mix_says_which_steps_break(home: BeetsHome) -> None:
    found = json.loads(
        home("crate", "path", "title:Chain 0", "title:Stranger 0", "--count", "3", "--json")
    )
    assert found["items"][0]["title"] == "Chain 0"
    assert found["items"][-1]["title"] == "Stranger 0"
    assert found["broken_steps"]  # nothing mixes into 3B at 140 BPM
    assert found["items"][found["broken_steps"][-1]]["mixable_from_previous"] is False


def test_a_query_that_names_no_track_or_several_is_one_line(home: BeetsHome) -> None:
    with pytest.raises(ui.UserError, match="no track matches"):
        home("crate", "next", "title:Nothing")
    with pytest.raises(ui.UserError, match="5 tracks match"):
        home("crate", "next", "title:Chain")


def test_a_mix_crate_orders_its_tracks_to_mix_and_counts_the_steps_that_do_not(
    home: BeetsHome,
) -> None:
    (home.dir / "crates" / "set.yaml").write_text(
        "name: Set\nisPresent: {title: true}\norder: mix\ncurve: rise\n"
    )
    shown = json.loads(home("crate", "show", "Set", "--json"))
    titles = [item["title"] for item in shown["items"]]
    assert titles[:5] == [f"Chain {n}" for n in range(5)]  # rising energy, every step mixing
    assert sorted(titles[5:]) == ["Stranger 0", "Stranger 1"]
    tracks = [_track(item) for item in shown["items"]]
    broken = [i for i in range(1, len(tracks)) if not mixable(tracks[i - 1], tracks[i])]
    assert shown["broken_steps"] == broken and len(broken) == 2
