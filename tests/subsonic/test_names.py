"""How names sort and match: case, accents, typographic quotes and leading articles aside."""

from __future__ import annotations

import pytest

from subsonic.names import sort_key


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Don\u2019t Stop", "don't stop"),  # MusicBrainz' apostrophe, a keyboard's
        ("Beyonc\u00e9", "Beyonce"),
        ("The Beatles", "beatles"),
        ("\u201cHeroes\u201d", '"Heroes"'),
        ("Rock \u2013 Live", "rock - live"),
    ],
)
def test_names_that_read_the_same_have_the_same_key(one: str, other: str) -> None:
    assert sort_key(one) == sort_key(other)


def test_different_names_keep_different_keys() -> None:
    assert sort_key("Blue Song 1") != sort_key("Blue Song 2")
