"""From hashes and fingerprints to groups: exact-audio by hash, same-recording by matching.

Matching is incremental: only fingerprints not yet matched are looked up in the index, and the
pairs found are kept as edges; groups are then the connected components of the edges among the
audio hashes still present in the library, recomputed whole because that part is cheap.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Sequence

import sqlite_utils
from beets.library import Item, Library

from beetsplug.dupes import store
from beetsplug.dupes.fingerprint import SAME, classify, compare
from beetsplug.dupes.index import candidate_pairs
from beetsplug.dupes.rank import Ranking


def match_new(db: sqlite_utils.Database, present: set[str]) -> int:
    """Match the unmatched fingerprints among ``present`` against all present; returns pairs."""
    loaded = store.load_fingerprints(db, present)
    hashes = sorted(loaded)
    new = [i for i, h in enumerate(hashes) if not loaded[h][2]]
    if not new:
        return 0
    values = [loaded[h][0] for h in hashes]
    found = []
    for i, j in candidate_pairs(values, new=new):
        match = compare(values[i], values[j])
        relation = classify(match, loaded[hashes[i]][1], loaded[hashes[j]][1])
        if relation:
            found.append((hashes[i], hashes[j], relation, round(match.similarity, 4)))
    store.save_edges(db, found)
    store.mark_matched(db, [hashes[i] for i in new])
    return len(found)


def _components(nodes: set[str], edges: Sequence[tuple[str, str, str, float]]) -> list[set[str]]:
    parent = {node: node for node in nodes}

    def root(node: str) -> str:
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for a, b, relation, _ in edges:
        if relation == SAME and a in parent and b in parent:
            parent[root(a)] = root(b)
    members: dict[str, set[str]] = defaultdict(set)
    for node in nodes:
        members[root(node)].add(node)
    return [m for m in members.values() if len(m) > 1]


def _group(kind: str, key: str, items: list[Item], similarity: float, ranking: Ranking) -> dict:
    ranked = ranking.sort(items)
    return {
        "key": key,
        "kind": kind,
        "similarity": similarity,
        "canonical_id": ranked[0].id,
        "explanation": ranking.explain(ranked[0], ranked[1:]),
        "members": [
            {"item_id": i.id, "path": os.fsdecode(i.path), "audio_hash": i["audio_hash"]}
            for i in ranked
        ],
    }


def build_groups(
    items: Sequence[Item], edges: Sequence[tuple[str, str, str, float]], ranking: Ranking
) -> list[dict]:
    """Exact-audio groups (one audio hash, several items) and same-recording groups (several
    audio hashes joined by matches); an exact group may sit inside a same-recording one."""
    by_hash: dict[str, list[Item]] = defaultdict(list)
    for item in items:
        by_hash[item["audio_hash"]].append(item)
    groups = [
        _group(store.EXACT, f"{store.EXACT}:{h}", members, 1.0, ranking)
        for h, members in sorted(by_hash.items())
        if len(members) > 1
    ]
    components = _components(set(by_hash), edges)
    index = {h: n for n, component in enumerate(components) for h in component}
    lowest = [1.0] * len(components)
    for a, b, relation, similarity in edges:
        if relation == SAME and a in index and b in index:
            lowest[index[a]] = min(lowest[index[a]], similarity)
    for component, similarity in zip(components, lowest, strict=True):
        members = [item for h in sorted(component) for item in by_hash[h]]
        key = f"{store.SAME_RECORDING}:{min(component)}"
        groups.append(_group(store.SAME_RECORDING, key, members, similarity, ranking))
    return groups


def regroup(lib: Library, db: sqlite_utils.Database, ranking: Ranking) -> list[dict]:
    """Match what is new, recompute the groups and store them; returns the groups."""
    items = [item for item in lib.items() if item.get("audio_hash")]
    match_new(db, {item["audio_hash"] for item in items})
    groups = build_groups(items, store.edges(db), ranking)
    store.replace_groups(db, groups)
    return groups
