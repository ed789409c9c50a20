"""A beets query string as a crate rule: ``query: "genres:techno year:2020.."``.

beets parses it, with the DJ analysis' flexible attributes typed (so ``energy:0.4..0.7``
compares numbers, as ``beet ls`` does with the ``dj`` plugin on). A query beets can write as
SQL runs inside the crate's query, against the ATTACHed library; one it matches in Python
(flexible attributes, regular expressions on some fields) is matched here, item by item, over
the same library, and handed on as the set of items it matched.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from beets.dbcore import types
from beets.library import Item, parse_query_string

from beetcrate.crates.compile import BeetsClause, ItemSet
from beetcrate.crates.fields import DJ_NUMBERS, DJ_TEXTS


class _CrateItem(Item):
    """beets' Item with the DJ attributes typed, for parsing queries only."""

    _types = {
        **Item._types,
        **{name: types.FLOAT for name in DJ_NUMBERS},
        **{name: types.STRING for name in DJ_TEXTS},
    }


def parse_beets_query(query: str, conn: sqlite3.Connection) -> BeetsClause | ItemSet:
    """SQL over ``beets.items`` for ``query``, or the items it matches. Raises ``ValueError``
    when beets cannot parse it."""
    try:
        parsed, _sort = parse_query_string(query, _CrateItem)
    except Exception as error:  # beets raises several kinds for a malformed query
        raise ValueError(f"beets cannot read the query: {error}") from None
    clause, values = parsed.clause()
    if clause is not None:
        return BeetsClause(clause, tuple(values))
    matched = []
    rows = conn.execute("SELECT * FROM beets.items")
    names = [column[0] for column in rows.description]
    flexible: dict[int, dict[str, object]] = {}
    for entity_id, key, value in conn.execute(
        "SELECT entity_id, key, value FROM beets.item_attributes"
    ):
        kind = _CrateItem._types.get(key)
        flexible.setdefault(entity_id, {})[key] = kind.normalize(value) if kind else value
    for row in rows:
        # A query's ``match`` reads an item only through ``get``: a dict of its fixed fields
        # and flexible attributes serves, without building a Model per row.
        item: dict[str, Any] = dict(zip(names, row, strict=True))
        item.update(flexible.get(item["id"], {}))
        if parsed.match(item):  # type: ignore[arg-type]
            matched.append(item["id"])
    return ItemSet(tuple(matched))
