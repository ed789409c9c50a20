"""From hashes and fingerprints to groups: exact-audio by hash, same-recording by matching.

Matching is incremental: only fingerprints not yet matched are looked up in the index, and the
pairs found are kept as edges; groups are then the connected components of the edges among the
audio hashes still present in the library, recomputed whole because that part is cheap.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Mapping, Sequence

import sqlite_utils
from beets.library import Item, Library

from beetsplug.dupes import store
from beetsplug.dupes.fingerprint import compare, judge
from beetsplug.dupes.index import candidate_pairs
from beetsplug.dupes.model import Edge, Group, GroupKind, Member, Relation
from beetsplug.dupes.rank import Ranking
from beetsplug.dupes.timing import HitTimer, confirm


def match_new(db: sqlite_utils.Database, present: set[str], files: Mapping[str, str]) -> int:
    """Match the unmatched fingerprints among ``present`` against all present; returns pairs.
    ``files`` names a file holding each audio hash, to time the hits of pairs the fingerprints
    call the same recording (``timing``)."""
    loaded = store.load_fingerprints(db, present)
    hashes = sorted(loaded)
    new = [i for i, h in enumerate(hashes) if not loaded[h].matched]
    if not new:
        return 0
    values = [loaded[h].values for h in hashes]
    durations = [loaded[h].duration for h in hashes]
    timer = HitTimer(files)
    found = []
    for i, j in candidate_pairs(values, durations, new=new):
        match = compare(values[i], values[j])
        verdict = judge(match, durations[i], durations[j])
        if verdict.relation is Relation.SAME:
            verdict = confirm(verdict, timer.gap(hashes[i], hashes[j], match.offset))
        if verdict.relation:
            found.append(Edge(hashes[i], hashes[j], verdict.relation, round(match.similarity, 4)))
    store.save_edges(db, found)
    store.mark_matched(db, [hashes[i] for i in new])
    return len(found)


def _components(nodes: set[str], edges: Sequence[Edge]) -> list[set[str]]:
    parent = {node: node for node in nodes}

    def root(node: str) -> str:
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for edge in edges:
        if edge.relation is Relation.SAME and edge.a in parent and edge.b in parent:
            parent[root(edge.a)] = root(edge.b)
    members: dict[str, set[str]] = defaultdict(set)
    for node in nodes:
        members[root(node)].add(node)
    return [m for m in members.values() if len(m) > 1]


def _group(
    kind: GroupKind, key: str, items: list[Item], similarity: float, ranking: Ranking
) -> Group:
    ranked = ranking.sort(items)
    return Group(
        key=key,
        kind=kind,
        similarity=similarity,
        canonical_id=_item_id(ranked[0]),
        explanation=tuple(ranking.explain(ranked[0], ranked[1:])),
        members=tuple(Member(_item_id(i), os.fsdecode(i.path), i["audio_hash"]) for i in ranked),
    )


def _item_id(item: Item) -> int:
    # Items come from the library, so they are stored; beets types the id optional for new ones.
    assert item.id is not None
    return item.id


def build_groups(items: Sequence[Item], edges: Sequence[Edge], ranking: Ranking) -> list[Group]:
    """Exact-audio groups (one audio hash, several items) and same-recording groups (several
    audio hashes joined by matches); an exact group may sit inside a same-recording one."""
    by_hash: dict[str, list[Item]] = defaultdict(list)
    for item in items:
        by_hash[item["audio_hash"]].append(item)
    exact = GroupKind.EXACT
    groups = [
        _group(exact, f"{exact.value}:{h}", members, 1.0, ranking)
        for h, members in sorted(by_hash.items())
        if len(members) > 1
    ]
    components = _components(set(by_hash), edges)
    index = {h: n for n, component in enumerate(components) for h in component}
    lowest = [1.0] * len(components)
    for edge in edges:
        if edge.relation is Relation.SAME and edge.a in index and edge.b in index:
            lowest[index[edge.a]] = min(lowest[index[edge.a]], edge.similarity)
    same = GroupKind.SAME_RECORDING
    for component, similarity in zip(components, lowest, strict=True):
        members = [item for h in sorted(component) for item in by_hash[h]]
        groups.append(_group(same, f"{same.value}:{min(component)}", members, similarity, ranking))
    return groups


def regroup(lib: Library, db: sqlite_utils.Database, ranking: Ranking) -> list[Group]:
    """Match what is new, recompute the groups and store them; returns the groups."""
    items = [item for item in lib.items() if item.get("audio_hash")]
    files = {item["audio_hash"]: os.fsdecode(item.path) for item in items}
    match_new(db, set(files), files)
    groups = build_groups(items, store.edges(db), ranking)
    store.replace_groups(db, groups)
    return groups
