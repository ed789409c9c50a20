"""A crate that cannot be used is one line naming its file, line and rule; the others load."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.crates.library import CrateLibrary, open_library


@pytest.fixture(scope="module")
def lib(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CrateLibrary]:
    root = tmp_path_factory.mktemp("errors")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("BEETSDIR", str(root / "beets"))
        built = open_library(root, count=20)
    yield built
    built.engine.close()
    built.home.close()


GOOD = "all:\n  - gt: {energy: 0.5}\n"

BROKEN = [
    (
        "name: x\nall:\n  - gt: {energy: 0.5}\n  - between: {year: 1}\n",
        "bad.yaml:4: between: {year: 1}: unknown operator or rule 'between'",
    ),
    (
        "all:\n  - gt: {energy: 0.5}\n  - any:\n      - is: {colour: red}\n",
        "bad.yaml:4: is: {colour: red}: unknown field 'colour'",
    ),
    (
        "all:\n  - inPlaylist: {name: nowhere}\n",
        "bad.yaml:2: inPlaylist: nowhere: no playlist or crate named 'nowhere'",
    ),
    (
        "all:\n  - inTheRange: {year: 1990}\n",
        "bad.yaml:2: inTheRange: {year: 1990}: inTheRange takes a list of two values",
    ),
    (
        "all:\n\n  - harmonic: {key: H7}\n",
        "bad.yaml:3: harmonic: {key: H7}: not a key: 'H7' (write it as 8A, 1m, Am or F# minor)",
    ),
    (
        "all:\n  - bpm: {near: fast}\n",
        "bad.yaml:2: bpm: {near: fast}: bpm takes {near: BPM, tolerance: percent}",
    ),
    (
        "all:\n  - query: 'year:2000..'\n  - query: 'year:abc..def'\n",
        "bad.yaml:3: query: year:abc..def: beets cannot read the query: ",
    ),
    (
        "all:\n  - gt: {year: 2000}\nsort: colour\n",
        "bad.yaml:1: sort: colour: unknown field 'colour'",
    ),
    ("all:\n  - gt: {energy: [\n", "bad.yaml:3: not YAML/JSON: "),
    ("", "bad.yaml: the file is empty"),
    ("- gt: {year: 1}\n", "bad.yaml: a crate is a mapping of rules (all:, any:, sort:, …)"),
    ("limit: 5\n", "bad.yaml:1: no rules: give all:, any:, query: or another rule"),
    (
        "all: [{gt: {year: 1}}]\nlimit: -1\n",
        "bad.yaml:1: limit: -1: limit is a whole number, 0 or more",
    ),
]


@pytest.mark.parametrize(("text", "error"), BROKEN, ids=[error for _, error in BROKEN])
def test_a_broken_crate_is_one_line_and_the_others_load(
    lib: CrateLibrary, text: str, error: str
) -> None:
    for path in lib.crates_dir.iterdir():
        path.unlink()
    (lib.crates_dir / "good.yaml").write_text(GOOD)
    (lib.crates_dir / "bad.yaml").write_text(text)
    found = lib.engine.load()
    assert list(found.crates) == ["good"]
    (message,) = [str(e) for e in found.errors]
    assert message.startswith(error)
    assert "\n" not in message


def test_an_unreadable_file(lib: CrateLibrary) -> None:
    for path in lib.crates_dir.iterdir():
        path.unlink()
    (lib.crates_dir / "good.yaml").write_text(GOOD)
    (lib.crates_dir / "latin1.nsp").write_bytes(b'{"all": [{"is": {"title": "caf\xe9"}}]}')
    found = lib.engine.load()
    assert list(found.crates) == ["good"]
    (message,) = [str(e) for e in found.errors]
    assert message.startswith("latin1.nsp: cannot read it: ")


def test_two_crates_of_one_name(lib: CrateLibrary) -> None:
    for path in lib.crates_dir.iterdir():
        path.unlink()
    (lib.crates_dir / "a.yaml").write_text("name: Peak\n" + GOOD)
    (lib.crates_dir / "b.nsp").write_text('{"name": "peak", "all": [{"gt": {"year": 1}}]}')
    found = lib.engine.load()
    assert list(found.crates) == ["Peak"]
    assert [str(e) for e in found.errors] == ["b.nsp: another crate is named 'peak'"]


def test_crates_that_include_each_other(lib: CrateLibrary) -> None:
    for path in lib.crates_dir.iterdir():
        path.unlink()
    (lib.crates_dir / "a.yaml").write_text("all:\n  - inPlaylist: {name: b}\n")
    (lib.crates_dir / "b.yaml").write_text(
        "all:\n  - gt: {year: 0}\n  - notInPlaylist: {name: a}\n"
    )
    (lib.crates_dir / "c.yaml").write_text("all:\n  - inPlaylist: {name: good}\n")
    (lib.crates_dir / "good.yaml").write_text(GOOD)
    found = lib.engine.load()
    assert sorted(found.crates) == ["c", "good"]
    # Each file names its own line; the included crate's problem follows.
    assert [str(e) for e in found.errors] == [
        "a.yaml:2: inPlaylist: b: the crate 'b' does not load: the crate 'a' includes itself",
        "b.yaml:3: notInPlaylist: a: the crate 'a' does not load: the crate 'b' includes itself",
    ]
