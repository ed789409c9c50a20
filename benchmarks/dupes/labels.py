"""What the benchmark knows of each corpus file, whichever generator made it.

Every file carries two labels: ``audio`` (files with equal labels hold byte-identical audio
payloads and differ only in tags) and ``recording`` (the same performance, whatever the
encoding), and ``kind``: the master, the kind of copy (an ``edits.Edit``'s kind), a retagged
copy, or the kind of hard negative it is. Hard negatives are labelled with the pair of
recordings that must not be merged.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

MASTER = "master"
RETAGGED = "retagged"


@dataclass(frozen=True)
class File:
    path: Path
    audio: str
    recording: str
    kind: str


@dataclass(frozen=True)
class HardNegative:
    a: str  # recording labels that must not be merged
    b: str
    kind: str
