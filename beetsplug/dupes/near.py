"""Why two items are, or are not, duplicates: ``beet dupes show ITEM --near``.

For one item, every other scanned item is weighed by the grouping's own rules (``judge``, the
hits' timing ``timing.confirm`` and the index's ``candidate_pairs``, the very functions
``group.match_new`` decides with), so the explanation cannot drift from the decision. The
nearest ones come first, each with its score and the rule that kept it apart, or the group that
holds both.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import sqlite_utils
from beets.library import Item

from beetsplug.dupes import store
from beetsplug.dupes.fingerprint import Verdict, compare, judge
from beetsplug.dupes.index import MIN_VOTES, STABLE_MIN_VOTES, candidate_pairs
from beetsplug.dupes.model import GroupKind, Relation, StoredGroup
from beetsplug.dupes.timing import HitTimer, confirm

EXACT = "exact-audio"


@dataclass(frozen=True)
class Neighbour:
    """Another item as the grouping sees it next to the asked one."""

    item_id: int
    path: str
    score: float  # 1 for the same audio; else similarity x the lower coverage; 0 unmeasured
    relation: str  # "exact-audio", or a Relation's value, or "none"
    similarity: float | None  # None when either has no fingerprint
    coverage: float | None  # the lower of the two tracks' matching shares
    drift: float | None  # frames the alignment moves along the match (0 when not measured)
    hit_gap: float | None  # ms between partnered hits, when the fingerprints call it the same
    groups: tuple[StoredGroup, ...]  # stored groups holding both items
    rule: str  # why they are grouped, or the rule that kept them apart


def nearest(
    db: sqlite_utils.Database, item: Item, others: Sequence[Item], count: int
) -> list[Neighbour]:
    """The ``count`` items of ``others`` nearest ``item``, nearest first."""
    own = item["audio_hash"]
    by_hash: dict[str, list[Item]] = defaultdict(list)
    for other in others:
        if other.id != item.id and other.get("audio_hash"):
            by_hash[other["audio_hash"]].append(other)
    prints = store.load_fingerprints(db, {own, *by_hash})
    hashes = sorted(prints)
    paired = _index_partners(prints, hashes, own)
    edges = {e.b if e.a == own else e.a: e for e in store.edges(db) if own in (e.a, e.b)}
    groups_of: dict[int, list[StoredGroup]] = defaultdict(list)
    for group in store.load_groups(db):
        for item_id in group.item_ids:
            groups_of[item_id].append(group)
    timer = HitTimer(
        {own: os.fsdecode(item.path)} | {h: os.fsdecode(i[0].path) for h, i in by_hash.items()}
    )
    found = []
    for audio_hash, items in by_hash.items():
        score, relation, similarity, coverage, drift, rule = 0.0, "none", None, None, None, ""
        hit_gap = None
        judged = ""  # the rules' verdict on the pair alone, told when a group holds both
        if audio_hash == own:
            score, relation, rule = 1.0, EXACT, "the same audio hash: byte-identical audio"
        elif own not in prints or audio_hash not in prints:
            whose = "this item has" if own not in prints else "it has"
            rule = (
                f"no fingerprint: {whose} none (too short to fingerprint, or scanned with"
                " fingerprint: no); only exact-audio copies can be found"
            )
        else:
            match = compare(prints[own].values, prints[audio_hash].values)
            verdict = judge(match, prints[own].duration, prints[audio_hash].duration)
            if verdict.relation is Relation.SAME:
                gap = timer.gap(own, audio_hash, match.offset)
                hit_gap = None if gap.milliseconds is None else round(gap.milliseconds, 1)
                verdict = confirm(verdict, gap)
            similarity = round(match.similarity, 4)
            coverage = round(min(match.coverage_a, match.coverage_b), 4)
            drift = round(match.drift, 2)
            score = round(match.similarity * min(match.coverage_a, match.coverage_b), 4)
            relation = verdict.relation.value if verdict.relation else "none"
            rule = _rule(verdict, audio_hash in paired, audio_hash in edges)
            judged = verdict.rule
        for other in items:
            shared = tuple(g for g in groups_of[_id(item)] if other.id in g.item_ids)
            found.append(
                Neighbour(
                    item_id=_id(other),
                    path=os.fsdecode(other.path),
                    score=score,
                    relation=relation,
                    similarity=similarity,
                    coverage=coverage,
                    drift=drift,
                    hit_gap=hit_gap,
                    groups=shared,
                    rule=_grouped(shared, relation, audio_hash in edges, judged or rule)
                    if shared
                    else rule,
                )
            )
    found.sort(key=lambda n: (-n.score, n.path))
    return found[:count]


def _index_partners(
    prints: dict[str, store.StoredFingerprint], hashes: list[str], own: str
) -> set[str]:
    """The audio hashes the index offers to compare with ``own`` (what ``match_new`` compares)."""
    if own not in prints:
        return set()
    values = [prints[h].values for h in hashes]
    durations = [prints[h].duration for h in hashes]
    mine = hashes.index(own)
    pairs = candidate_pairs(values, durations, new=[mine])
    return {hashes[j if i == mine else i] for i, j in pairs}


def _rule(verdict: Verdict, paired: bool, edge: bool) -> str:
    if verdict.relation is None or verdict.relation is Relation.RELATED:
        return verdict.rule
    if not paired:
        return (
            "the fingerprints match, but the index never offered the pair: they share fewer"
            f" than {MIN_VOTES} indexed sub-fingerprints, and fewer than {STABLE_MIN_VOTES}"
            " stable halves of them within their duration band"
        )
    if not edge:
        return "the fingerprints match but were not matched yet: run `beet dupes scan`"
    return verdict.rule


def _grouped(groups: tuple[StoredGroup, ...], relation: str, edge: bool, rule: str) -> str:
    """Why a group holds both: directly (the same audio, or a match stored between them), or
    through other copies of it, with what the rules say of the pair itself."""
    names = ", ".join(f"group {g.id} ({g.kind.value})" for g in groups)
    direct = relation == EXACT or (
        relation == Relation.SAME.value
        and edge
        and any(g.kind is GroupKind.SAME_RECORDING for g in groups)
    )
    how = rule if direct else f"through other copies of the group (directly: {rule})"
    return f"grouped in {names}: {how}"


def _id(item: Item) -> int:
    assert item.id is not None  # items read from the library are stored
    return item.id
