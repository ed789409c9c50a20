"""The beets fields the plugin writes: beets' own ``bpm`` and ``initial_key``, and typed
flexible attributes for the precise and scalar features (declared in the plugin's
``item_types`` so ``beet ls bpm_precise:120..130`` compares numbers), and the timbre as text.

Kept free of heavy imports: beets loads the plugin for every command.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from beets.dbcore import types

from analysis import ANALYSIS_VERSION
from beetcrate import corrections

if TYPE_CHECKING:
    from beets.library import Item

# Scalar features stored as typed flexible attributes: name on the item -> key in the payload.
FLEX_FIELDS = {
    "bpm_precise": "bpm",
    "bpm_confidence": "bpm_confidence",
    "beat_consistency": "beat_consistency",
    "key_strength": "key_strength",
    "tuning_cents": "tuning_cents",
    "camelot": "camelot",
    "openkey": "openkey",
    "lufs": "lufs",
    "loudness_range": "loudness_range",
    "true_peak": "true_peak",
    "energy": "energy",
    "danceability": "danceability",
}
# The timbre (``analysis.timbre``: 20 numbers) as one string field of space-separated numbers:
# beets' flexible attributes hold scalars, and the crate engine reads it back with split().
TIMBRE_FIELD = "timbre"


def item_fields(features: dict[str, Any], audio_hash: str) -> dict[str, Any]:
    """The beets fields an analysis sets; tempo and key only when they were found."""
    fields: dict[str, Any] = {
        name: features[key] for name, key in FLEX_FIELDS.items() if features.get(key) is not None
    }
    fields["dj_analysis_version"] = features.get("analysis_version", ANALYSIS_VERSION)
    fields["dj_audio_hash"] = audio_hash
    if features.get("bpm"):
        fields["bpm"] = round(features["bpm"])
    else:
        fields.pop("bpm_precise", None)
    if features.get("initial_key"):
        fields["initial_key"] = features["initial_key"]
    if features.get("timbre"):
        fields[TIMBRE_FIELD] = encode_timbre(features["timbre"])
    return fields


def corrected_fields(item: Item) -> set[str]:
    """Which of beets' ``bpm`` and ``initial_key`` an analysed item holds the user's correction
    in (``beetcrate.corrections``), which a new analysis must not overwrite. Before any analysis
    there is none: the first one sets both, whatever the file's tags said."""
    if item.get("dj_analysis_version") is None:
        return set()
    corrected = set()
    if corrections.tempo_corrected(item.get("bpm"), item.get("bpm_precise")):
        corrected.add("bpm")
    if corrections.key_corrected(item.get("initial_key"), item.get("camelot")):
        corrected.add("initial_key")
    return corrected


def encode_timbre(values: list[float]) -> str:
    """``[1.25, -0.5]`` as ``"1.25 -0.5"``: the shortest text that reads back to each number."""
    return " ".join(repr(float(value)) for value in values)


ITEM_TYPES = {
    **{name: types.FLOAT for name in FLEX_FIELDS if name not in ("camelot", "openkey")},
    "camelot": types.STRING,
    "openkey": types.STRING,
    TIMBRE_FIELD: types.STRING,
    "dj_analysis_version": types.INTEGER,
}
