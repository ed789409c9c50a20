"""A beets query string as a crate rule: ``query: "genres:techno year:2020.."``.

beets parses it, with the DJ analysis' flexible attributes typed (so ``energy:0.4..0.7``
compares numbers, as ``beet ls`` does with the ``dj`` plugin on), and with the library's music
folder as the base of relative ``path:`` queries. A query beets writes as SQL over its items
runs inside the crate's own query, against the ATTACHed library. Any other (flexible attributes
and regular expressions beets matches in Python, album fields it reads through a join) is run by
beets itself, ``Library.items`` as ``beet ls`` runs it, and handed on as the items it matched.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Sequence
from pathlib import Path

from beets import context
from beets.dbcore import types
from beets.library import Item, Library, parse_query_string

from beetcrate.crates.compile import BeetsClause, ItemSet
from beetcrate.crates.fields import DJ_NUMBERS, DJ_TEXTS


class _CrateItem(Item):
    """beets' Item with the DJ attributes typed, for parsing queries only."""

    _types = {
        **Item._types,
        **{name: types.FLOAT for name in DJ_NUMBERS},
        **{name: types.STRING for name in DJ_TEXTS},
    }


def _runs_on_items(conn: sqlite3.Connection, clause: str, values: Sequence[object]) -> bool:
    """Whether beets' clause runs as it is over ``beets.items`` (it names no album field)."""
    try:
        conn.execute(f"EXPLAIN SELECT id FROM beets.items WHERE {clause}", values)
    except sqlite3.Error:
        return False
    return True


def parse_beets_query(
    query: str, conn: sqlite3.Connection, beets_db: Path, music_dir: Path
) -> BeetsClause | ItemSet:
    """SQL over ``beets.items`` for ``query``, or the items beets matches. Raises
    ``ValueError`` when beets cannot read the query."""
    with context.music_dir(os.fsencode(music_dir)):
        try:
            parsed, _sort = parse_query_string(query, _CrateItem)
        except Exception as error:  # beets raises several kinds for a malformed query
            raise ValueError(f"beets cannot read the query: {error}") from None
        clause, values = parsed.clause()
        if clause is not None and _runs_on_items(conn, clause, values):
            return BeetsClause(clause, tuple(values))
        library = Library(str(beets_db), str(music_dir))
        try:
            return ItemSet(tuple(int(item.id or 0) for item in library.items(parsed)))
        except sqlite3.Error as error:
            raise ValueError(f"beets cannot run the query: {error}") from None
        finally:
            library._close()
