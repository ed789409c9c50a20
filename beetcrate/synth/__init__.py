"""Audio made from numbers, for the demo library, the tests and the benchmarks.

Every signal here is synthesized, so what it contains is known exactly (its tempo, key, beats,
which files hold the same recording) and nothing copyrighted is needed. The same arguments
(seed included) always give the same samples, which tests and benchmarks rely on.

- ``tones``: small test signals: sine tones, noisy chords, plucked notes, white noise, and a tone
  written to a file of any format;
- ``songs``: the demo library's music: drums, bass and chords at an exact tempo and key, with
  intros and breakdowns on phrase boundaries (``render_track``);
- ``grooves``: labelled dance clips for the DJ analysis (drum patterns, fractional tempi, all
  24 keys, detuning), each with its exact beats and downbeats (``Spec``, ``Labels``);
- ``harmony``: the grooves' chords, voicings, bass lines and melodies, drawn per track from
  progressions as varied as records (``Arrangement``), the key they were written in exact;
- ``tunes``: seeded tunes with a melody, chords, bass and drums, distinct enough to fingerprint
  as different songs, for the duplicate finder;
- ``tagging``: tags written the ways real taggers write them (cover art, every MP3 tag
  container), so that files differ only in their tags.

The demo uses this package, so it ships with beetcrate; it needs nothing beyond numpy, mutagen
and ``beetcrate.media``.
"""
