"""``beet crate list|show|explain|refresh|export|freeze|sessions`` on a real beets library, run
in-process as the ``beet`` script runs them; every ``--json`` output checked whole."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from beets import ui

from beetcrate import sidecar
from subsonic.store import Users, load_key
from tests.crates.library import NOW, Song, add_songs, make_songs, write_annotations
from tests.helper import BeetsHome

GOOD = "name: Peak\nall:\n  - gt: {energy: 0.5}\nsort: -energy\n"


@pytest.fixture
def home(beets_home: BeetsHome) -> Iterator[BeetsHome]:
    beets_home.configure(plugins=["crates"])
    (beets_home.dir / "crates").mkdir()
    yield beets_home


@pytest.fixture
def songs(home: BeetsHome) -> list[Song]:
    made = make_songs(40, seed=3)
    add_songs(home, made)
    write_annotations(home.sidecar, made)
    return made


def write_crate(home: BeetsHome, name: str, text: str) -> Path:
    path = home.dir / "crates" / name
    path.write_text(text, encoding="utf-8")
    return path


def peak(songs: list[Song]) -> list[Song]:
    """What GOOD keeps, in its order."""
    kept = [s for s in songs if s.energy is not None and s.energy > 0.5]
    return sorted(kept, key=lambda s: (-(s.energy or 0), s.id))


def test_list_json(home: BeetsHome, songs: list[Song]) -> None:
    path = write_crate(home, "peak.yaml", GOOD)
    write_crate(home, "loved.nsp", '{"all": [{"is": {"loved": true}}], "public": true}')
    listed = json.loads(home("crate", "list", "--json", "--user", "bob"))
    loved = [s for s in songs if s.user("bob").starred is not None]
    assert listed == [
        {
            "name": "loved",
            "file": str(home.dir / "crates" / "loved.nsp"),
            "tracks": len(loved),
            "public": True,
            "owner": None,
            "comment": "",
        },
        {
            "name": "Peak",
            "file": str(path),
            "tracks": len(peak(songs)),
            "public": False,
            "owner": None,
            "comment": "",
        },
    ]


def test_show_json_lists_the_items_in_playlist_order(home: BeetsHome, songs: list[Song]) -> None:
    write_crate(home, "peak.yaml", GOOD)
    shown = json.loads(home("crate", "show", "peak", "--json"))
    assert shown["name"] == "Peak"
    assert shown["rules"] == {"name": "Peak", "all": [{"gt": {"energy": 0.5}}], "sort": "-energy"}
    expected = [
        {
            "id": s.id,
            "path": s.path,
            "title": s.title,
            "artist": s.artist,
            "bpm": round(s.tempo, 2) if s.tempo else None,
            "camelot": s.wheel_key,
            "energy": s.energy,
        }
        for s in peak(songs)
    ]
    assert expected
    assert [{k: item[k] for k in expected[0]} for item in shown["items"]] == expected
    assert set(shown["items"][0]) >= {"openkey", "danceability", "lufs"}


def test_show_evaluates_user_fields_for_the_user_asking(home: BeetsHome, songs: list[Song]) -> None:
    write_crate(home, "loved.yaml", "all: [{is: {loved: true}}]\n")
    for user in ("ann", "bob"):
        shown = json.loads(home("crate", "show", "loved", "--user", user, "--json"))
        ids = {item["id"] for item in shown["items"]}
        assert ids == {s.id for s in songs if s.user(user).starred is not None}


def test_show_without_json_prints_a_line_a_track(home: BeetsHome, songs: list[Song]) -> None:
    write_crate(home, "peak.yaml", GOOD)
    lines = home("crate", "show", "Peak").splitlines()
    first = peak(songs)[0]
    assert len(lines) == len(peak(songs))
    assert lines[0].startswith(f"{first.artist} - {first.title}  [")


def test_explain_says_the_rule_in_words_and_its_sql(home: BeetsHome, songs: list[Song]) -> None:
    write_crate(home, "peak.yaml", GOOD)
    text = home("crate", "explain", "Peak")
    assert text.splitlines()[:3] == [
        "all of:",
        "  energy is more than 0.5",
        "sorted by energy descending",
    ]
    assert "SELECT c.id FROM crate_items c WHERE (c.energy > ?) ORDER BY" in text
    assert "-- parameters: [0.5]" in text


def test_refresh_counts_every_crate(home: BeetsHome, songs: list[Song]) -> None:
    write_crate(home, "peak.yaml", GOOD)
    write_crate(home, "all.yaml", "all: []\n")
    count = f"Peak: {len(peak(songs))} tracks"
    first = home("crate", "refresh").splitlines()
    assert first == ["all: 40 tracks", count, "(40 items in the library, re-read)"]
    # Nothing changed in beets since: the index stands.
    assert home("crate", "refresh", "peak").splitlines() == [count, "(40 items in the library)"]


def test_export_writes_extended_m3u8_with_relative_paths(
    home: BeetsHome, songs: list[Song], tmp_path: Path
) -> None:
    write_crate(home, "peak.yaml", GOOD)
    output = tmp_path / "lists" / "peak.m3u8"
    printed = home("crate", "export", "peak", "-o", str(output))
    kept = peak(songs)
    assert printed == f"Peak: {len(kept)} tracks written to {output}\n"
    lines = output.read_text(encoding="utf-8").splitlines()
    assert lines[:2] == ["#EXTM3U", "#PLAYLIST:Peak"]
    assert lines[2::2] == [f"#EXTINF:{round(s.length)},{s.artist} - {s.title}" for s in kept]
    # The music is in tmp_path/music: one folder up from the playlist's.
    assert lines[3::2] == [str("../music" / Path(s.path).relative_to(home.music)) for s in kept]


def test_export_with_absolute_paths(home: BeetsHome, songs: list[Song], tmp_path: Path) -> None:
    write_crate(home, "peak.yaml", GOOD)
    output = tmp_path / "peak.m3u8"
    home("crate", "export", "peak", "-o", str(output), "--absolute")
    lines = output.read_text(encoding="utf-8").splitlines()
    assert lines[3::2] == [s.path for s in peak(songs)]


def test_freeze_saves_todays_tracks_as_a_playlist(home: BeetsHome, songs: list[Song]) -> None:
    write_crate(home, "peak.yaml", GOOD)
    Users(sidecar.connect(home.sidecar), load_key(home.dir / "beetcrate.key")).add("ann", "pw")
    printed = home("crate", "freeze", "peak", "--as", "Peak of today", "--user", "ann")
    db = sidecar.connect(home.sidecar)
    ((playlist, owner, name),) = db.execute(
        "SELECT id, owner, name FROM playlists WHERE name = 'Peak of today'"
    ).fetchall()
    entries = db.execute(
        "SELECT item_id FROM playlist_entries WHERE playlist_id = ? ORDER BY position", [playlist]
    ).fetchall()
    db.conn.close()
    assert (owner, name) == ("ann", "Peak of today")
    assert [row[0] for row in entries] == [s.id for s in peak(songs)]
    assert printed == f"Peak of today: a playlist of {len(entries)} tracks (id pl-{playlist})\n"


def test_freeze_for_nobody_known_is_one_line(home: BeetsHome, songs: list[Song]) -> None:
    write_crate(home, "peak.yaml", GOOD)
    Users(sidecar.connect(home.sidecar), load_key(home.dir / "beetcrate.key")).add("ann", "pw")
    with pytest.raises(ui.UserError, match=r"^no user named 'zed' \(see `beetcrate user list`\)$"):
        home("crate", "freeze", "peak", "--user", "zed")
    with pytest.raises(ui.UserError, match=r"^whose playlist\? give --user NAME"):
        home("crate", "freeze", "peak")


def test_sessions_json(home: BeetsHome, songs: list[Song]) -> None:
    start = NOW - 10 * 3600
    plays = [("ann", songs[n].id, start + 300 * n) for n in range(3)]
    plays += [("ann", songs[5].id, start + 6 * 3600), ("bob", songs[7].id, start + 60)]
    db = sidecar.connect(home.sidecar)
    with db.conn:
        db.conn.executemany(
            "INSERT INTO user_plays (user, item_id, played_at) VALUES (?, ?, ?)", plays
        )
    db.conn.close()
    found = json.loads(home("crate", "sessions", "--user", "ann", "--json"))
    assert [(s["user"], [i["id"] for i in s["items"]]) for s in found] == [
        ("ann", [songs[0].id, songs[1].id, songs[2].id]),
        ("ann", [songs[5].id]),
    ]
    first = found[0]
    assert first["start"] == _iso(start)
    assert first["end"] == _iso(start + 600 + songs[2].length)
    everyone = json.loads(home("crate", "sessions", "--json"))
    assert sorted({s["user"] for s in everyone}) == ["ann", "bob"]


def _iso(timestamp: float) -> str:
    from datetime import datetime

    return datetime.fromtimestamp(timestamp).astimezone().isoformat(timespec="seconds")


def test_an_unknown_crate_is_one_line(home: BeetsHome, songs: list[Song]) -> None:
    write_crate(home, "peak.yaml", GOOD)
    with pytest.raises(ui.UserError, match=r"^no crate named 'nope' \(crates: Peak\)$"):
        home("crate", "show", "nope")


def test_a_bad_crate_file_is_one_line_on_stderr_and_the_others_list(
    home: BeetsHome, songs: list[Song], capsys: pytest.CaptureFixture[str]
) -> None:
    write_crate(home, "peak.yaml", GOOD)
    write_crate(home, "bad.yaml", "all:\n  - gt: {energy: 0.5}\n  - is: {colour: red}\n")
    listed = json.loads(home("crate", "list", "--json"))
    assert [crate["name"] for crate in listed] == ["Peak"]
    assert (
        capsys.readouterr().err == "crate: bad.yaml:3: is: {colour: red}: unknown field 'colour'\n"
    )
