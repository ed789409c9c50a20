"""What the duplicate finder knows, as the types its modules pass to each other.

Audio hashes are related by *edges* (found by comparing fingerprints); items sharing an audio
hash, or whose hashes are joined by ``same`` edges, form a *group* whose first member is the
canonical copy. The string values of the enums are stored in the sidecar and printed by
``beet dupes list --json``: they never change.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import NamedTuple


class GroupKind(enum.StrEnum):
    EXACT = "exact-audio"  # one audio hash: the same audio bytes under different tags
    SAME_RECORDING = "same-recording"  # several audio hashes the fingerprints call the same


class Relation(enum.StrEnum):
    """How two fingerprinted recordings relate."""

    SAME = "same"  # the same recording, re-encoded, trimmed or padded
    RELATED = "related"  # one lies inside the other: a radio edit and its extended version


class Edge(NamedTuple):
    """Two audio hashes found related, ``a < b``; a row of ``dupes_edges``."""

    a: str
    b: str
    relation: Relation
    similarity: float


@dataclass(frozen=True)
class Member:
    """One item of a group, as it was when the group was computed."""

    item_id: int
    path: str
    audio_hash: str


@dataclass(frozen=True)
class Group:
    """Items holding the same audio, ranked best first: the first member is the canonical."""

    key: str  # the kind and the lowest audio hash: keeps a group's id across regroupings
    kind: GroupKind
    similarity: float  # the lowest similarity of the matches joining the group; 1 when exact
    canonical_id: int
    explanation: tuple[str, ...]  # why the canonical won, one line per other member
    members: tuple[Member, ...]

    @property
    def canonical_path(self) -> str:
        return self.members[0].path

    @property
    def item_ids(self) -> set[int]:
        return {member.item_id for member in self.members}


@dataclass(frozen=True)
class StoredGroup(Group):
    """A group as the sidecar keeps it, with the id users name it by (``beet dupes show 3``)."""

    id: int
