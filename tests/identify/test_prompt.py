"""The interactive ``beet import``, driven in a pseudo-terminal: the fingerprint candidates are
among beets' own choices, labelled, and the user's pick is applied."""

from __future__ import annotations

import sys
from pathlib import Path

import pexpect

from tests.helper import REPO, BeetsHome, process_env
from tests.identify.catalogue import Kind
from tests.identify.conftest import Incoming


def beet(home: BeetsHome, *args: str) -> pexpect.spawn:
    env = process_env()
    env["BEETSDIR"] = str(home.dir)
    return pexpect.spawn(
        sys.executable,
        ["-m", "beets", *args],
        cwd=str(REPO),
        env=env,
        encoding="utf-8",
        timeout=60,
        dimensions=(50, 160),
    )


def test_a_misleading_file_is_shown_its_fingerprint_match_and_the_user_applies_it(
    identify_home: BeetsHome, incoming: Incoming
) -> None:
    _, manifest = incoming
    identify_home.configure(ui={"color": False})
    path, spec = next((p, s) for p, s in manifest.items() if s.kind is Kind.MISLEADING)
    session = beet(identify_home, "import", "--timid", "-s", path)  # timid: confirm strong ones
    session.expect("identify: candidate 1 found by fingerprint")
    session.expect(r"\[A\]pply")
    session.sendline("a")
    session.expect(pexpect.EOF)
    session.close()
    assert session.exitstatus == 0, session.before
    assert identify_home.lib.items().get().mb_trackid == spec.expected


def test_weak_album_candidates_from_fingerprints_are_listed_and_the_users_pick_applied(
    identify_home: BeetsHome, incoming: Incoming
) -> None:
    _, manifest = incoming
    # Nothing counts as strong: every candidate goes through the user.
    identify_home.configure(ui={"color": False}, match={"strong_rec_thresh": 0.0})
    path, spec = next(
        (p, s) for p, s in manifest.items() if s.kind is Kind.TAGLESS and not s.singleton
    )
    session = beet(identify_home, "import", str(Path(path).parent))
    session.expect("identify: the tracks' recordings are on 2 different releases")
    session.expect("identify: candidates 1, 2 found by fingerprint")
    session.expect(r"\[A\]pply, More candidates")  # the closest, shown first
    session.sendline("m")
    session.expect("# selection")
    session.sendline("1")
    session.expect(r"\[A\]pply")
    session.sendline("a")
    session.expect(pexpect.EOF)
    session.close()
    assert session.exitstatus == 0, session.before
    album = identify_home.lib.albums().get()
    assert album is not None and album.albumtype == "album"
    assert spec.expected in {item.mb_trackid for item in album.items()}
