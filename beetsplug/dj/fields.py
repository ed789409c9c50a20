"""The beets fields the plugin writes: beets' own ``bpm`` and ``initial_key``, and typed
flexible attributes for the precise and scalar features (declared in the plugin's
``item_types`` so ``beet ls bpm_precise:120..130`` compares numbers), and the timbre as text.

Kept free of heavy imports: beets loads the plugin for every command.
"""

from __future__ import annotations

from typing import Any

from beets.dbcore import types

from analysis import ANALYSIS_VERSION

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


def corrected_fields(current: dict[str, Any], analysed: dict[str, Any] | None) -> set[str]:
    """Which of beets' ``bpm`` and ``initial_key`` hold a value the last analysis (its stored
    features, ``analysed``) did not write: the user's correction (``beet modify bpm=140``), which
    a new analysis must not overwrite. Before any analysis (``analysed`` None) there is none: the
    first analysis sets both."""
    if analysed is None:
        return set()
    written = {
        "bpm": round(analysed["bpm"]) if analysed.get("bpm") else None,
        "initial_key": analysed.get("initial_key") or None,
    }
    return {name for name, value in written.items() if current.get(name) and current[name] != value}


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
