"""The DJ analysis engine: pure functions from audio to features, no database or queue inside.

``analysis.engine.analyze(path)`` decodes a file once and returns an ``Analysis``; the feature
families live in ``tempo``, ``key``, ``loudness``, ``waveform``, ``cues`` and ``character``.
"""
