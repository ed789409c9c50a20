"""The DJ analysis engine: pure functions from audio to features, no database or queue inside.

``analysis.engine.analyze(path)`` decodes a file once and returns an ``Analysis``; the feature
families live in ``tempo``, ``key``, ``loudness``, ``waveform``, ``cues``, ``character`` and
``timbre``.
"""

# Bump when a change to the engine changes its results: stored analyses of an older version
# are recomputed by the next ``beet dj analyze``.
ANALYSIS_VERSION = 23
