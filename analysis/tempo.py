"""Tempo, beat grid and downbeats from the spectral flux.

1. **Periodicity.** Each band's onset envelope (low, mid, high) is autocorrelated on its own
   and the results averaged: a kick on the beat and a hat on the off-beat do not correlate
   with each other, which is what misleads a broadband envelope into 2/3 and 3/2 errors.
2. **Bar, then beat.** The bar is the kick-and-snare period between 1.2 and 4 s that also
   repeats at its half and quarter; the beat divides it by 1, 2, 3, 4, 6, 8, 12 or 16 (a
   syncopated kick every three sixteenths can make a bar and a half look like the bar, so
   thirds are candidates too and must win on the evidence); a division at which the onsets
   hardly repeat (``_REPEAT_FLOOR``) is none. Among those divisions the beat is chosen by its
   periodicity, by whether its grid points carry onsets
   (a pulse with empty beats is no pulse), by whether kick and snare both land on its beats
   rather than half-way (drum and bass read at half tempo has its snare on every "and"; a
   breakbeat's kicks are half on the "and" at its true tempo, so only kicks mostly half-way
   count against a reading) or else the kick alone hits every beat (a dembow's snares are
   all off the beat, its kick on every one), by how many beats the snare takes to repeat
   (two for a backbeat, four for a half-time feel; one is drum and bass at half tempo, eight
   a hip-hop groove read doubled), and by a prior: steep outside the preferred range, gentle
   away from its centre.
   Kick and snare are told apart by *strikes*: the rise of each band's linear amplitude. The
   spectral flux is logarithmic, so a soft hat or bass note after a quiet moment rises as much
   as a kick; strikes keep the loudness that marks the kick (low band) and the snare as the
   loudest hits of a groove. The snare is read two ways, and the candidates' scores averaged
   over both: the loudest hits of the high band (where a hat is often louder than the snare),
   and hits that rise across all of 1-8 kHz at once (where a kick's click does too).
3. **Sub-frame period.** The autocorrelation peaks near 4, 8, 16, 32 and 64 beats are located
   with parabolic interpolation; dividing by the beat count gives the period to a few
   thousandths of a frame. A frame-grid BPM (1 % off) would drift a beat in under a minute.
4. **Phase.** The grid is placed where the strikes line up (hats, bass notes and syncopated
   kicks fall on and off the beat alike, the loudest hits mostly on it), a sixteenth from
   there when the eighths there keep their weaker half clearly fuller (electro's kicks and
   claves on the "a"), then half a beat from there when the kick clearly hits that grid more,
   or else kick, backbeat (by how much more it alternates there), harmony (by how much more
   the chords change on its points) and the hits across 1-8 kHz (by how many more land on its
   points) lean to it (loud off-beat hats, reggaeton's, garage's and electro's loudest hits
   fall on the "and"),
   then moved onto the weighted median of the strong strike peaks.
5. **Downbeats.** Bars start where the harmony changes, where the bass drum (rather than the
   snare or clap) hits, and where the level steps up; the one of four beat phases scoring
   highest wins.
6. **Drift.** The grid is constant-tempo, as DJ software assumes, unless the tempo wanders (a
   band playing live). The pulse is measured again over stretches of 3 s (``steady_clock``);
   when those readings wander by 2 % or more and the track read on a clock that evens them
   out repeats clearly more strongly, steps 1 to 5 run on that steady reading (its onsets
   smoothed over a drummer's spread for step 1), and the beats
   found there are put back on the track's own clock. What wandering is left is followed
   beat by beat (``follow_drift``: a dynamic-programming tracker through the strikes, whose
   beat intervals bend smoothly around the period), keeping the phase of step 4; the followed
   beats replace the grid only when clearly more of their eighths land on onsets.
   The tempo reported is the beats' average; ``consistency`` tells how well they fit (a
   strong onset within 4 frames, 23 ms: a drummer's spread).

A track whose onsets hardly repeat at the beat, or whose grid fits few of them, has no beat
(``NO_BEAT_STRENGTH``): no tempo is reported. How strongly they repeat is read on the onsets
smoothed over a loose drummer's spread, at one, two and four beats (``_beat_strength``), so a band
whose hits land 10-20 ms either side of the beat still has one; unsmoothed, they must repeat
at the beat at all. The confidence reported is that unsmoothed repeat (the periodicity) times
the margin of the best tempo over the best one that is not its octave, times the consistency:
a double that fits the same hits nearly as well leaves the octave in doubt, not the beat, and a
close rival that is no octave leaves the tempo in doubt, not whether there is one.
Weights were set by measuring on the benchmark's tuning set (``benchmarks/dj_bench.py``, grooves
draws 7, 23, 11, 41, dembow, two-step and electro grooves included) and are checked on its
held-out sets (the demo's, the SoundFont set's).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from analysis.spectral import Frames

DEFAULT_RANGE = (78.0, 180.0)
# Longest lag of the autocorrelation, in frames (95 s): 64 beats at 40 BPM.
MAX_LAG = 1 << 14
_AC_CHUNK = 1 << 15
BEATS_PER_BAR = 4
_SEARCH = (30.0, 400.0)  # BPM range of autocorrelation peaks considered
# A candidate whose autocorrelation peak is lower than this share of the highest among the
# candidates between 60 and 200 BPM (a beat's pace) is no beat. On the tuning draws' live takes
# a syncopated groove and a breakbeat were read at a third of their bar (the autocorrelation
# there 0.03 and -0.00, against 0.13 and 0.16 at the beat) and swing at its double (0.04
# against 0.19), each winning on its grid's evidence alone. Measured on tuning draws 7 and 23,
# studio and live (tempo Acc1 summed over the four sets: 3.68 without it; 3.72, 3.73, 3.78,
# 3.82, 3.82 and 3.78 at 0.2, 0.3, 0.35, 0.4, 0.45 and 0.5, where from 0.45 a dembow fell to
# half tempo; 0.4 taken). Judged against all the candidates instead, a dembow's and a
# breakbeat's beat (0.24 and 0.29, their two bars 0.91 and 0.77) fell to half tempo.
_REPEAT_FLOOR = 0.4
_PULSE_RANGE = (60.0, 200.0)
# Octave resolution: weights of the log-score terms, set by measuring on the benchmark.
_PERIODICITY_WEIGHT = 0.5  # a loop's autocorrelation is as high at two bars as at one beat
_FILL_WEIGHT = 4.0  # a pulse whose beats carry no onset is no pulse
_ON_BEAT_WEIGHT = 4.0
_RANGE_SOFTNESS = 0.1  # octaves: how fast the prior falls outside the preferred range
_CENTRE_WIDTH = 0.5  # octaves: how gently it falls away from the range's centre
# Log-score of the snare's period in beats: on 2 and 4 is the norm, on 3 alone (half-time feel)
# common; on every beat is drum and bass read at half tempo, every eighth beat a doubled read.
# The penalties were set by that reasoning (they hold the SoundFont set's drum and bass at full
# tempo); the bonus was measured on draws 7, 23, 11, 41.
_BACKBEAT_SCORES = {1: -4.0, 2: 0.25, 8: -4.0}
# The every-beat penalty is not given where the kick keeps every beat (``_kick_pulse``) and
# the backbeat reading's hits land on the beats (``_on_beat``): loud hats or claps over a
# dembow's kick. On tuning draws 7 and 23 it doubled four dembows (kick pulse 0.81-1.00, on
# the beat 0.86-1.00); the half tempo of a trap and a breakbeat it keeps there read 0.70 with
# 0.96, 0.95 with 0.00 and 0.84 with 0.48. A kick pulse of 0.75 read a live trap at half, 0.85
# lost two dembows; on the beat from 0.3 to 0.7 measured alike, the top taken.
_FLOOR_KICK = 0.8
_FLOOR_BACKBEAT = 0.7
# A snare every four beats whose points half-way between the beats carry onsets less than
# half as often as the beats (``_fill``) is a boom bap's or a swing's backbeat read at double
# tempo: its eighths are empty between them (a swing's fall at two thirds of the beat). Chosen
# on tuning draws 7 and 23, studio and live: at their true tempo such grooves have a share of
# 0.64 or more (a live two-step, its grid drifting off the hits; a trap 0.68), except one swing
# (0.09, which this reads double); read at double tempo, as low as 0.09. 0.6 and 0.7 scored
# higher there (0.7 doubled the live two-step), 0.5 keeps a margin. The penalty: -2 fixed 3
# tracks there, -4 5, -8 9 (one swing doubled), -16 as -8.
_EMPTY_HALVES = 0.5
_EIGHTHS_AS_BEATS = -8.0
# A groove whose kicks land on the beat this often is on the pulse: breakbeats and hip-hop put
# half their kicks on the "and" at their true tempo. Measured on the tuning draws.
_KICK_ON_BEAT = 0.5
_SNARE_REPEAT = 0.7  # share of the snare's strongest repeat that counts as its period
_BACKBEAT_LEVEL = 0.6  # share of the high band's loudest hits a snare reaches, a hat not
_STRIKE_FRAMES = 4  # a drum hit's amplitude rises over about 20 ms
_HIT_LEVEL = 0.5  # share of a drum's loud strikes (98th percentile) that counts as its hit
# How much more of the other grid's points the kick alone must hit, or kick and backbeat
# together (the backbeat by how much more it alternates there), to move the beat off the
# loudest hits' grid. Measured on tuning draws 7 and 23 (kick 0.2 to 0.5, together 0 to 0.2;
# 0.15 and 0.2 tied, the smaller taken) and the DJ tests' clips: a breakbeat's or electro's
# syncopated kicks lean 0.25 to the "and" at their true phase.
_KICK_MARGIN = 0.3
_PHASE_MARGIN = 0.15
# How much more the weaker points of the eighths a sixteenth away must carry than those of the
# loudest hits' eighths, as a share of the loudest hits' grid, to move the beat there
# (``_on_the_eighths``).
_EIGHTHS_MARGIN = 0.1
# Weight of the harmony's lean: the relative difference of how much the chords change on the
# two grids. Measured on tuning draws 7 and 23 with the phase scored at the true period (8: 52
# and 51 grids on the beat of 54; 12, 16 and 32: 53 and 51; the middle of that range taken).
_HARMONY_WEIGHT = 16.0
# Weight of how much more of the 1-8 kHz hits the other grid carries. Measured on tuning draws 7
# and 23 (0.125 to 1: 0.25 put two more grids on the beat, 0.125 to 0.75 one, 1 none).
_SNARE_PHASE_WEIGHT = 0.25
# Below this beat strength (``_beat_strength``) times consistency there is no beat. Measured on
# the tuning draws 7 and 23, studio and live (drums off by 6-16 ms), with their ambient tracks
# (pads and a sparse bell tune, whose chord changes repeat every bar): ambient at most 0.126,
# grooves at least 0.142 (2nd percentile 0.240); the middle taken. Unsmoothed, one groove of the
# 216 of those draws did not repeat at its beat at all (a live swing, its drums off by 16 ms).
NO_BEAT_STRENGTH = 0.13
# On a take read on the steady clock (a band playing live), the bands' onsets are smoothed over
# this many frames (17 ms) before the period is estimated: the autocorrelation's peaks, one
# frame wide on a drum machine, blur under a drummer's spread, and the period refined on them
# drifts the grid off the hits. Measured on tuning-live 7 and 23 (beat F summed over both: 1.709
# unsmoothed; 1.762, 1.783, 1.740 and 1.718 over 2, 3, 4 and 5 frames); studio takes, read on
# no clock, are untouched.
_LIVE_SPREAD = 3
# The onsets are smoothed over this many frames (29 ms) before their repeats are read: a live
# drummer's hits spread over 10-20 ms, and unsmoothed the repeats of their peaks barely meet.
_HIT_SPREAD = 5
# A beat is on the grid when a strong onset peaks within this many frames of it (23 ms): a
# drummer's hits spread by 10 ms and more; two frames (12 ms) lost loose bands their tempo.
_ON_GRID = 4.0
# The steady clock: the pulse is read again over stretches of this many seconds, within this
# share of the whole track's, and must repeat this strongly (autocorrelation) to count; the
# clock bends when the readings differ by this share, and is kept when the track read on it
# repeats this much more strongly. The window and the smoothing were measured on the tuning
# draws' live takes (7 and 23: 2, 3, 4 and 6 s by 1, 3, 5 and 7 stretches; 3 s by 5 best, 6 s
# too slow for a tempo that wanders over 8 bars); the gain sits between their studio takes
# (at most 1.03 times as strong on a clock) and their live ones (at least 1.24).
_CLOCK_WINDOW = 3.0
_CLOCK_REACH = 0.06
_CLOCK_PULSE = 0.1
_CLOCK_WANDER = 0.02
_CLOCK_GAIN = 0.15
_CLOCK_SMOOTHING = 5  # stretches in the running median
# Beat following: a beat interval off the period costs this times log(interval / period)²
# (in standard deviations of the envelope), intervals within this share of the period are
# considered, and the followed beats replace the constant grid when this much larger a share of
# their eighths lands on an onset. The tightness was measured on the tuning draws' live takes (7
# and 23: 30, 100, 300, 1000, 3000 and 10000; 1000 best); the reach (0.1 to 0.25) changed
# nothing there; the gain was set by reasoning (a tenth of the eighths).
_FOLLOW_TIGHTNESS = 1000.0
_FOLLOW_REACH = 0.15
_FOLLOW_GAIN = 0.1
_FOLLOW_FEWEST = 16  # beats: a shorter grid has no drift to follow


@dataclass(frozen=True)
class Period:
    """The beat period ``estimate_period`` found."""

    frames: float  # sub-frame; 0 when none
    periodicity: float  # the onsets' autocorrelation at the period, 0..1
    confidence: float  # 0..1: the periodicity times the margin over the best non-octave rival


NO_PERIOD = Period(0.0, 0.0, 0.0)


@dataclass(frozen=True)
class Rhythm:
    bpm: float  # 0 when no tempo was found
    confidence: float  # 0..1
    beats: np.ndarray  # seconds
    downbeats: np.ndarray  # seconds, a subset of beats
    consistency: float  # share of grid beats that fall on an onset


NO_RHYTHM = Rhythm(0.0, 0.0, np.zeros(0), np.zeros(0), 0.0)


def _smooth(values: np.ndarray, width: int) -> np.ndarray:
    if width <= 1 or values.size < width:
        return values
    return np.convolve(values, np.full(width, 1 / width, dtype=values.dtype), mode="same")


def _onsets(frames: Frames) -> tuple[list[np.ndarray], np.ndarray]:
    """Each band's onset envelope (low, mid, high), and their sum."""
    low, mid, high = (_novelty(band, frames.rate) for band in frames.flux)
    return [low, mid, high], low + mid + high


def _novelty(flux: np.ndarray, fps: float) -> np.ndarray:
    """Flux above its local mean (0.4 s), so sustained loudness does not read as onsets."""
    rising = flux - _smooth(flux, int(0.4 * fps))
    return np.maximum(rising, 0.0)


def autocorrelation(envelope: np.ndarray, max_lag: int = MAX_LAG) -> np.ndarray:
    """Normalised autocorrelation up to ``max_lag``, summed over chunks so that memory does
    not grow with the track (a whole-track FFT of a two-hour envelope takes hundreds of MB)."""
    centred = envelope - envelope.mean()
    lags = min(max_lag, centred.size)
    size = 1 << int(np.ceil(np.log2(_AC_CHUNK + lags)))
    ac = np.zeros(lags)
    for start in range(0, centred.size, _AC_CHUNK):
        chunk = centred[start : start + _AC_CHUNK]
        reach = centred[start : start + _AC_CHUNK + lags]
        cross = np.fft.irfft(np.conj(np.fft.rfft(chunk, size)) * np.fft.rfft(reach, size), size)
        ac += cross[:lags]
    return ac / ac[0] if ac[0] > 0 else ac


def _peak_near(ac: np.ndarray, lag: float, tolerance: float) -> tuple[float, float]:
    """The autocorrelation's highest local peak within lag ± tolerance, sub-sample."""
    low = max(1, int(np.floor(lag - tolerance)))
    high = min(ac.size - 2, int(np.ceil(lag + tolerance)))
    if high <= low:
        return lag, 0.0
    index = low + int(np.argmax(ac[low : high + 1]))
    if index <= 0 or index >= ac.size - 1:
        return float(index), float(ac[index])
    shift = _vertex(ac, index)
    return index + shift, float(ac[index] - 0.25 * (ac[index - 1] - ac[index + 1]) * shift)


def _vertex(values: np.ndarray, index: int) -> float:
    """Where the parabola through ``values`` at ``index`` and its two neighbours peaks, as a
    shift from ``index`` within half a sample either way (0 where it does not peak)."""
    left, centre, right = values[index - 1], values[index], values[index + 1]
    curvature = left - 2 * centre + right
    return float(np.clip(0.5 * (left - right) / curvature, -0.5, 0.5)) if curvature < 0 else 0.0


def _grid_values(envelope: np.ndarray, phase: float, period: float) -> np.ndarray:
    positions = np.arange(phase, envelope.size - 1, period)
    base = positions.astype(int)
    frac = positions - base
    return envelope[base] * (1 - frac) + envelope[base + 1] * frac


def _best_phase(envelope: np.ndarray, period: float) -> tuple[float, float]:
    """Phase (frames) whose grid collects the most envelope, and that mean."""
    phases = np.arange(0.0, period, 0.5)
    means = np.array([_grid_values(envelope, phase, period).mean() for phase in phases])
    best = int(np.argmax(means))
    return float(phases[best]), float(means[best])


def beat_phase(strike: Strikes, period: float, chord_change: Callable[[float], float]) -> float:
    """Phase (frames) of the beat grid: on the beat or on the "and" of the loudest hits' grid.

    The strikes of all bands, each weighing the same, place a grid where the most hits land;
    but loud off-beat hats (house, garage) or reggaeton's, garage's and electro's loudest hits
    fall on the "and", half a beat off. The grid moves there when the music clearly says so:
    the kick alone, when it hits far more of the other grid's points (dembow's and house's kick
    is on every beat, counted by hits, not loudness: ``_hits``); else the kick, the backbeat and
    the harmony together: the backbeat by how much more it alternates on the other grid (a
    snare on 2 and 4 hits every other beat, where off-beat hats, taken for snares when louder,
    hit every "and"), the harmony by how much more the chords change on its points
    (``chord_change`` of a grid's phase: chords change on the beat), and the hits across 1-8 kHz
    by how many more of them land on its points (a two-step's snare on 2 and 4, where its
    syncopated kick leaves the loudest hits' two grids tied). On a near tie the loudest hits'
    grid stays: syncopated kicks and fills fall on and off the beat alike. Before all that, the
    loudest hits' grid moves a sixteenth when they fall on the "a" (``_on_the_eighths``).
    """
    phase, _ = _best_phase(strike.total, period)
    phase = _on_the_eighths(strike.total, phase, period)
    shifted = (phase + period / 2) % period
    kick_here, kick_there = _hits(strike.kick, phase, period)
    kick_lean = _share(kick_there) - _share(kick_here)
    if abs(kick_lean) >= _KICK_MARGIN:
        return shifted if kick_lean > 0 else phase
    backbeat_here, backbeat_there = _hits(strike.backbeat, phase, period)
    chords_here, chords_there = chord_change(phase), chord_change(shifted)
    chords = chords_here + chords_there
    lean = (
        kick_lean
        + _alternation(backbeat_there)
        - _alternation(backbeat_here)
        + (_HARMONY_WEIGHT * (chords_there - chords_here) / chords if chords > 0 else 0.0)
    )
    # Hits across 1-8 kHz (snares, claps, a kick's click) fall on the beat, hats rarely; none
    # near either grid's points says nothing.
    if strike.snare.any():
        snare_here = _point_peaks(strike.snare, phase, period).sum()
        snare_there = _point_peaks(strike.snare, phase + period / 2, period).sum()
        if snare_here + snare_there > 0:
            lean += _SNARE_PHASE_WEIGHT * (snare_there - snare_here) / (snare_here + snare_there)
    return shifted if lean >= _PHASE_MARGIN else phase


def _on_the_eighths(total: np.ndarray, phase: float, period: float) -> float:
    """The loudest hits' grid, or the louder of the two a sixteenth either side when the hits
    keep to those grids' eighths.

    Electro's kicks and claves on the "a" of the beat (the last sixteenth before it) can be the
    loudest hits of a bar, and their grid a sixteenth early collects more than the beat's. But
    music fills its eighths: the beat and the "and" both carry hits (kick, backbeat, hats),
    where the "a" and the "e" are syncopations, one of them mostly empty. So each grid's eighths
    are judged by their weaker half: the grid moves when the eighths a sixteenth away carry
    clearly more there, as a share of the loudest grid (a swing's beat dwarfs its empty "and"
    and "e" alike). Which of the two beats on those eighths is the beat is ``beat_phase``'s
    half-beat choice.
    """
    loud = [_grid_values(total, phase + k * period / 4, period).mean() for k in range(4)]
    here, there = min(loud[0], loud[2]), min(loud[1], loud[3])
    if loud[0] <= 0 or there - here < _EIGHTHS_MARGIN * loud[0]:
        return phase
    return (phase + period / 4 if loud[1] >= loud[3] else phase - period / 4) % period


def grid_chord_change(
    frames: Frames, chroma: np.ndarray, chroma_rate: float, period: float
) -> Callable[[float], float]:
    """How much the chords change on a grid of ``period`` frames, as a function of its phase:
    the mean of the largest quarter of the changes at its points (a chord lasts a bar or two,
    so most beats change nothing)."""

    def change(phase: float) -> float:
        times = frames.offset + np.arange(phase, frames.count - 3, period) / frames.rate
        at_points = _harmonic_change(times, chroma, chroma_rate)
        largest = np.sort(at_points)[-max(1, at_points.size // 4) :]
        return float(largest.mean())

    return change


def _drum_phase(total: np.ndarray, kick: np.ndarray, backbeat: np.ndarray, period: float) -> float:
    """The loudest hits' grid or the one half a beat off, whichever carries more kick and
    backbeat hits: the grid on which the octave choice judges each candidate tempo
    (``estimate_period``). Judged on ``beat_phase``'s grid instead, tuning draw 7 read two more
    drum and bass and one more trap track at half tempo (tempo Acc1 0.741 to 0.704)."""
    phase, _ = _best_phase(total, period)
    on = off = 0.0
    for drum in (kick, backbeat):
        here, there = _hits(drum, phase, period)
        on += _share(here)
        off += _share(there)
    return phase if on >= off else (phase + period / 2) % period


def _share(hits: np.ndarray) -> float:
    return float(hits.mean()) if hits.size else 0.0


def _alternation(hits: np.ndarray) -> float:
    """Share of neighbouring grid points of which exactly one is hit: 1 for a backbeat on 2
    and 4, 0 for a drum on every point or on none."""
    return float((hits[1:] != hits[:-1]).mean()) if hits.size > 1 else 0.0


def _hits(envelope: np.ndarray, phase: float, period: float) -> tuple[np.ndarray, np.ndarray]:
    """Whether a drum hits at each grid point, and at each point half-way between them.

    A hit is a strike at least ``_HIT_LEVEL`` of the drum's loud ones (its 98th percentile over
    both sets of points), so that a bass note, a soft strike of the low band, is no kick.
    """
    here = _point_peaks(envelope, phase, period)
    there = _point_peaks(envelope, phase + period / 2, period)
    loud = np.percentile(np.concatenate([here, there]), 98) if here.size else 0.0
    if loud <= 0:
        return np.zeros(here.size, bool), np.zeros(there.size, bool)
    return here > _HIT_LEVEL * loud, there > _HIT_LEVEL * loud


def _kick_pulse(kick: np.ndarray, phase: float, period: float) -> float:
    """How nearly the kick alone keeps the pulse: the share of beats it hits times the share of
    its hits on beats. 1 for a kick on every beat (four-on-the-floor, dembow) at the true
    tempo; 0.5 at double tempo (every other beat) and at half (as many kicks half-way)."""
    here, there = _hits(kick, phase, period)
    hits = here.sum() + there.sum()
    return float(here.mean() * here.sum() / hits) if hits else 0.0


def _point_peaks(envelope: np.ndarray, phase: float, period: float) -> np.ndarray:
    """The envelope's highest value within two frames of each grid point."""
    around = _points(envelope, phase, period)[:, None] + np.arange(-2, 3)
    return envelope[np.clip(around, 0, envelope.size - 1)].max(axis=1)


def _fill(envelope: np.ndarray, phase: float, period: float) -> float:
    """Share of grid points carrying an onset (above a fifth of the envelope's loud peaks)."""
    loud = np.percentile(envelope, 99)
    if loud <= 0:
        return 0.0
    hits = _point_peaks(envelope, phase, period) > 0.2 * loud
    return float(hits.mean()) if hits.size else 0.0


def _prior(bpm: float, preferred: tuple[float, float]) -> float:
    """Log prior of a tempo: falls off steeply outside the preferred range, and gently away
    from its centre (so 82 and 164, both in 78-180, are not equally likely)."""
    low, high = preferred
    outside = np.log2(low / bpm) if bpm < low else np.log2(bpm / high) if bpm > high else 0.0
    centre = np.log2(bpm / np.sqrt(low * high))
    return float(-0.5 * (outside / _RANGE_SOFTNESS) ** 2 - 0.5 * (centre / _CENTRE_WIDTH) ** 2)


@dataclass(frozen=True)
class Strikes:
    """Per frame, how hard the drums hit: each band's mean scaled to 1."""

    kick: np.ndarray  # the low band
    total: np.ndarray  # the three bands summed: where the loudest hits fall
    backbeat: np.ndarray  # the loudest high-band hits: snares and claps, and hats when loud
    # The loudest hits across 1-8 kHz at once: snares and claps, and a kick's click; no frames
    # when the sub-bands were not measured.
    snare: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.float32))


def _rise(values: np.ndarray) -> np.ndarray:
    """A band's strikes: its amplitude's rise over a few frames, the mean scaled to 1."""
    rise = np.maximum(np.diff(values, prepend=values[:1]), 0.0)
    rise = np.convolve(rise, np.ones(_STRIKE_FRAMES, dtype=values.dtype), mode="same")
    return rise / (rise.mean() + 1e-9)


def _loudest(values: np.ndarray) -> np.ndarray:
    """The hits above ``_BACKBEAT_LEVEL`` of the loudest (99.5th percentile)."""
    loud = _BACKBEAT_LEVEL * np.percentile(values, 99.5) if values.size else 0.0
    return np.maximum(values - loud, 0.0)


def strikes(amplitude: np.ndarray, snare_bands: np.ndarray | None = None) -> Strikes:
    """Strikes from the (3, n) band amplitudes, and the (k, n) sub-band amplitudes between 1
    and 8 kHz when measured (``Frames.snare``)."""
    # Band by band: a two-hour mix has a million frames, and copies of all three add up.
    rises = np.empty_like(amplitude)
    for band, values in enumerate(amplitude):
        rises[band] = _rise(values)
    low, _, high = rises
    # Snares and claps are the loudest hits of the high band, hats the softer rest; bass notes
    # and chords strike in the low and mid bands. But a hat is often louder than the snare up
    # there, and sounds little lower down: hits that rise across all of 1-8 kHz at once (the
    # geometric mean of the sub-bands' rises) are a snare's wires, a clap, or a kick's click.
    snare = np.zeros(0, dtype=amplitude.dtype)
    if snare_bands is not None and snare_bands.size:
        logs = np.zeros(low.size, dtype=amplitude.dtype)
        for values in snare_bands:
            logs += np.log(_rise(values.astype(amplitude.dtype)) + 1e-3)
        broad = np.exp(logs / snare_bands.shape[0])
        snare = _loudest(broad / (broad.mean() + 1e-9)).astype(amplitude.dtype)
    return Strikes(kick=low, total=rises.sum(axis=0), backbeat=_loudest(high), snare=snare)


def estimate_period(
    bands: list[np.ndarray], strike: Strikes, fps: float, preferred: tuple[float, float]
) -> Period:
    """The beat period, how strongly the onsets repeat at it and a confidence.

    Steps 1 to 3 of the module's description: per-band periodicity, the bar, the beat among
    the bar's divisions, each judged on its refined period.
    """
    low, mid, high = bands
    ac = np.mean([autocorrelation(band) for band in bands if band.any()], axis=0)
    drums_ac = np.mean([autocorrelation(band) for band in (low, mid) if band.any()] or [ac], 0)
    size = low.size
    shortest, longest = int(1.2 * fps), int(min(4.0 * fps, size / 2))
    if longest <= shortest + 2:
        return NO_PERIOD
    bar, _ = _peak_near(drums_ac, _bar_period(drums_ac, shortest, longest), 2)
    onset = low + mid + high
    # The backbeat's two readings (the high band's loudest hits, and hits across 1-8 kHz) each
    # judge the candidates, and their scores are averaged: each misleads on some kits (loud
    # hats in the high band, a kick's click across 1-8 kHz), seldom both on the same track.
    readings = [strike.backbeat] + ([strike.snare] if strike.snare.size else [])
    repeats = [autocorrelation(backbeat) if backbeat.any() else ac for backbeat in readings]
    candidates = [
        _peak_near(ac, bar / beats_per_bar, 0.02 * bar / beats_per_bar)
        for beats_per_bar in (1, 2, 3, 4, 6, 8, 12, 16)
    ]
    candidates = [(lag, height) for lag, height in candidates if _in_range(fps, lag, _SEARCH)]
    # A pulse at which the onsets hardly repeat is no beat, however its grid scores: against
    # the division of the bar that repeats best at a beat's pace (not a bar's: a loop repeats
    # as well at one bar as at one beat).
    floor = _REPEAT_FLOOR * max(
        (height for lag, height in candidates if _in_range(fps, lag, _PULSE_RANGE)), default=0.0
    )
    scored: dict[float, float] = {}
    for lag, height in candidates:
        if height < floor:
            continue
        # Judged on a precise grid: a 0.2 % error drifts a quarter beat over two minutes.
        lag = _refine_period(ac, lag)
        pulse = np.mean(
            [
                _pulse_score(onset, strike, backbeat, backbeat_ac, lag)
                for backbeat, backbeat_ac in zip(readings, repeats, strict=True)
            ]
        )
        scored[lag] = (
            _PERIODICITY_WEIGHT * np.log(max(height, 1e-3))
            + float(pulse)
            + _prior(60 * fps / lag, preferred)
        )
    if not scored:
        return NO_PERIOD
    ranked = sorted(scored.items(), key=lambda pair: -pair[1])
    lag = ranked[0][0]
    # The margin over a genuinely different tempo: an octave of the best (its double or half)
    # fits the same hits, so coming close says which octave is in doubt, not whether there is
    # a beat (hand-played dembow's double came within 0.1 and lost its tempo).
    rivals = [score for other, score in ranked[1:] if not _octave_apart(other, lag)]
    margin = ranked[0][1] - rivals[0] if rivals else 2.0
    periodicity = float(np.clip(ac[round(lag)], 0, 1))
    return Period(lag, periodicity, periodicity * (1 - np.exp(-margin)))


def _pulse_score(
    onset: np.ndarray, strike: Strikes, backbeat: np.ndarray, backbeat_ac: np.ndarray, lag: float
) -> float:
    """How well the drums keep a pulse of ``lag`` frames, read with one backbeat envelope: its
    grid's points carry onsets, kick and backbeat land on them (or the kick alone on every
    one), and the backbeat repeats every two beats."""
    kick = strike.kick
    phase = _drum_phase(strike.total, kick, backbeat, lag)
    fill = _fill(onset, phase, lag)
    kick_pulse = _kick_pulse(kick, phase, lag)
    backbeat_on_beat = _on_beat(backbeat, phase, lag)
    snare_beats = _snare_beats(backbeat_ac, lag)
    backbeat_score = _BACKBEAT_SCORES.get(snare_beats, 0.0)
    if snare_beats == 1 and kick_pulse >= _FLOOR_KICK and backbeat_on_beat >= _FLOOR_BACKBEAT:
        # Hats or claps with a kick on every beat (a dembow's), not drum and bass's snare read
        # at half tempo: that one falls half-way between the beats.
        backbeat_score = 0.0
    if snare_beats == 4 and _fill(onset, phase + lag / 2, lag) < _EMPTY_HALVES * fill:
        # A half-time feel with nothing half-way between the beats: the eighths of a backbeat
        # on 2 and 4 read at double tempo. A real half-time groove's hats fill its eighths.
        backbeat_score = _EIGHTHS_AS_BEATS
    return (
        _FILL_WEIGHT * np.log(max(fill, 0.05))
        + _ON_BEAT_WEIGHT * max(min(_kick_on_beat(kick, phase, lag), backbeat_on_beat), kick_pulse)
        + backbeat_score
    )


def _in_range(fps: float, lag: float, bpm_range: tuple[float, float]) -> bool:
    return bpm_range[0] <= 60 * fps / lag <= bpm_range[1]


def _octave_apart(lag: float, other: float) -> bool:
    """Whether two periods are a power of two apart (within the 2 % of ``_peak_near``)."""
    octaves = abs(np.log2(lag / other))
    return abs(octaves - round(octaves)) < 0.03


def _bar_period(ac: np.ndarray, shortest: int, longest: int) -> int:
    """The bar: the autocorrelation peak between ``shortest`` and ``longest`` that is strong
    at its half and quarter too.

    A loop that repeats every bar also repeats every two and three bars, and a kick on every
    beat repeats every three beats; only a bar of four beats also repeats at its half and its
    quarter.
    """
    window = ac[shortest:longest]
    middle = window[1:-1]
    peaks = np.flatnonzero((middle >= window[:-2]) & (middle >= window[2:])) + 1 + shortest
    if peaks.size == 0:
        return shortest + int(np.argmax(window))
    scores = [ac[p] + _peak_near(ac, p / 2, 2)[1] + _peak_near(ac, p / 4, 2)[1] for p in peaks]
    return int(peaks[int(np.argmax(scores))])


def _snare_beats(snare_ac: np.ndarray, period: float) -> int:
    """How many beats of ``period`` the snare takes to repeat: 2 for a backbeat, 4 for a
    half-time feel; 0 when there is no snare to tell."""
    heights = {}
    for beats in (1, 2, 4, 8):
        if beats * period + 2 >= snare_ac.size:
            break
        heights[beats] = _peak_near(snare_ac, beats * period, max(2.0, 0.02 * beats * period))[1]
    strongest = max(heights.values(), default=0.0)
    if strongest <= 0:
        return 0
    return next(beats for beats, height in heights.items() if height >= _SNARE_REPEAT * strongest)


def _kick_on_beat(kick: np.ndarray, phase: float, period: float) -> float:
    """How well the kicks keep to the grid, 1 for any syncopated groove with half its kicks on
    the beats; less when they mostly land half-way (a 3/2 or an octave misreading)."""
    return min(1.0, _on_beat(kick, phase, period) / _KICK_ON_BEAT)


def _on_beat(envelope: np.ndarray, phase: float, period: float) -> float:
    """Share of an envelope's hits on the grid rather than half-way between its points.

    At the true tempo both kick and snare sit on beats; read at half tempo, one of them falls
    on the off-beats (drum and bass: the snare on every "and").
    """
    on = _point_peaks(envelope, phase, period).sum()
    total = on + _point_peaks(envelope, phase + period / 2, period).sum()
    return float(on / total) if total > 0 else 0.0


def _points(envelope: np.ndarray, phase: float, period: float) -> np.ndarray:
    return np.arange(phase, envelope.size - 3, period).astype(int)


def _refine_period(ac: np.ndarray, lag: float) -> float:
    """Period from autocorrelation peaks many beats away: their error divides by the count.

    The walk stops where it would leave the 2 % around ``lag`` that ``_peak_near`` searched: a
    candidate that is no tempo of the track (a third of a two-bar loop) would otherwise follow
    other peaks, step by step, to a tempo that is not a division of the bar at all (garage at
    132 BPM read as 105.6, whose grid fits nothing, and reported as no tempo).
    """
    estimates = [(lag, 1)]
    period = lag
    for beats in (4, 8, 16, 32, 64):
        if beats * period + period / 4 >= ac.size:
            break
        found, height = _peak_near(ac, beats * period, period / 8)
        if height <= 0.1 or abs(found / beats / lag - 1) > 0.02:
            break
        period = found / beats
        estimates.append((found, beats))
    return estimates[-1][0] / estimates[-1][1]


def _onset_peak(envelope: np.ndarray, position: float, radius: float) -> tuple[float, float]:
    """The envelope's highest point within position ± radius, sub-frame, and its height."""
    low = max(1, int(position - radius))
    high = min(envelope.size - 2, int(position + radius) + 1)
    if high <= low:
        return position, 0.0
    index = low + int(np.argmax(envelope[low:high]))
    return index + _vertex(envelope, index), float(envelope[index])


def fit_phase(envelope: np.ndarray, period: float, phase: float) -> tuple[float, float]:
    """Move the grid onto the onset peaks, keeping the period.

    The period from the autocorrelation is a global measure over the whole track, already
    good to a few thousandths of a frame; fitting it again to individual peaks would let a few
    soft onsets that peak late (pads, a beatless intro) tilt it. The phase is the weighted
    median offset of the strong onset peaks from the grid. Returns (phase, consistency): the
    share of beats with an onset peak within ``_ON_GRID`` frames of the grid.
    """
    numbers = np.arange(int((envelope.size - 1 - phase) / period) + 1)
    if numbers.size < 4:
        return phase, 0.0
    found = [_onset_peak(envelope, phase + n * period, period / 6) for n in numbers]
    positions = np.array([p for p, _ in found])
    heights = np.array([h for _, h in found])
    offsets = positions - (phase + numbers * period)
    # Only the drum hits: softer onsets (pads, bass notes) peak a little late.
    strong = heights > 0.5 * np.percentile(heights, 90)
    if strong.any():
        order = np.argsort(offsets[strong])
        weights = np.cumsum(heights[strong][order])
        phase += float(offsets[strong][order][np.searchsorted(weights, weights[-1] / 2)])
    offsets = positions - (phase + numbers * period)
    on_grid = (np.abs(offsets) < _ON_GRID) & (heights > 0.25 * np.percentile(heights, 90))
    return phase, float(on_grid.mean())


def track(
    frames: Frames,
    chroma: np.ndarray,
    chroma_rate: float,
    preferred: tuple[float, float] = DEFAULT_RANGE,
) -> Rhythm:
    """Tempo, beats and downbeats of a whole track from its spectral frames."""
    fps = frames.rate
    if frames.count < int(4 * fps):
        return NO_RHYTHM
    bands, onset = _onsets(frames)
    if onset.max(initial=0.0) <= 1e-6:
        return NO_RHYTHM
    clock = steady_clock(onset, fps)
    if clock is not None:
        # The tempo wanders (a band playing live): the track is read on a clock that keeps
        # it steady, and the beats found there are put back on the track's own.
        frames = frames.resampled(clock)
        chroma = _chroma_on(chroma, chroma_rate, frames, clock)
        bands, onset = _onsets(frames)
    strike = strikes(frames.amplitude, frames.snare)
    if clock is not None:
        # A band's hits spread either side of the beat: their repeats are read on the onsets
        # smoothed over that spread, whose period then holds the grid on them.
        bands = [_smooth(band, _LIVE_SPREAD) for band in bands]
    found = estimate_period(bands, strike, fps, preferred)
    if found.frames <= 0:
        return NO_RHYTHM
    period = found.frames
    phase = beat_phase(strike, period, grid_chord_change(frames, chroma, chroma_rate, period))
    phase, consistency = fit_phase(strike.total, period, phase)
    positions = _grid_positions(frames, period, phase)
    followed = follow_drift(strike.total, positions, period)
    # Judged by the eighths: a grid that only moved onto the loudest hits, half a beat or a
    # sixteenth away (``beat_phase``'s choice undone), fits them no better than the constant
    # one, where a tempo that wanders leaves the constant grid's eighths off the onsets too.
    if _consistency(strike.total, _eighths(followed), period / 2) >= (
        _consistency(strike.total, _eighths(positions), period / 2) + _FOLLOW_GAIN
    ):
        # The tempo wanders (a band playing live): the beats follow the drummer, and the tempo
        # is their average.
        positions, consistency = followed, _consistency(strike.total, followed, period)
        period = (positions[-1] - positions[0]) / (positions.size - 1)
    if found.periodicity <= 0 or _beat_strength(onset, found.frames) * consistency < (
        NO_BEAT_STRENGTH
    ):
        # A beatless track (pads, ambient): no tempo rather than a wrong one. The onsets as
        # they are must repeat at the beat at all: a low drone's flux ripples at the frame rate
        # in a pattern that repeats, smoothed, as steadily as a drum machine.
        return NO_RHYTHM
    beats = frames.offset + positions / fps
    beats = beats[beats >= 0]
    downbeats = _downbeats(beats, frames, strike, chroma, chroma_rate)
    if clock is not None and beats.size > 1:
        beats, downbeats = (_on_track_clock(times, frames, clock) for times in (beats, downbeats))
        period = fps * (beats[-1] - beats[0]) / (beats.size - 1)
    bpm = 60 * fps / period
    return Rhythm(
        bpm=round(bpm, 2),
        confidence=round(found.confidence * consistency, 3),
        beats=beats,
        downbeats=downbeats,
        consistency=round(consistency, 3),
    )


def steady_clock(onset: np.ndarray, fps: float) -> np.ndarray | None:
    """Where each frame of a steady-tempo reading of the track lies in the track (fractional
    frames), or None when the tempo holds.

    The track's strongest pulse between 0.3 and 1.2 s (a beat or two, whichever repeats
    best) is measured again over stretches of ``_CLOCK_WINDOW`` seconds, within
    ``_CLOCK_REACH`` of the whole track's; a stretch where it hardly repeats (a breakdown)
    takes its neighbours' reading, and a running median keeps one misread stretch from
    bending the clock. When the readings wander by ``_CLOCK_WANDER`` or more, the clock
    runs each stretch at the speed that makes its pulse the track's, and is kept when the
    onsets read on it repeat at least ``_CLOCK_GAIN`` more strongly than as they are.
    """
    window = int(_CLOCK_WINDOW * fps)
    hop = window // 2
    if onset.size < 4 * window:
        return None
    centred = onset - onset.mean()
    ac = autocorrelation(centred, int(1.2 * fps) + 2)
    shortest = int(0.3 * fps)
    pulse = shortest + int(np.argmax(ac[shortest:]))
    lags = np.arange(int(pulse * (1 - _CLOCK_REACH)), int(np.ceil(pulse * (1 + _CLOCK_REACH))) + 1)
    starts = np.arange(0, onset.size - window - lags[-1], hop)
    if starts.size < 4:
        return None
    readings = np.full(starts.size, np.nan)
    for number, start in enumerate(starts):
        stretch = centred[start : start + window + lags[-1]]
        head = stretch[:window]
        energy = float(head @ head)
        if energy <= 0:
            continue
        heights = np.array([head @ stretch[lag : lag + window] for lag in lags]) / energy
        best = int(np.argmax(heights))
        if 0 < best < lags.size - 1 and heights[best] >= _CLOCK_PULSE:
            readings[number] = (lags[best] + _vertex(heights, best)) / pulse
    heard = np.flatnonzero(~np.isnan(readings))
    if heard.size < 4:
        return None
    speed = _running_median(
        np.interp(np.arange(starts.size), heard, readings[heard]), _CLOCK_SMOOTHING
    )
    if speed.max() - speed.min() < _CLOCK_WANDER:
        return None
    # A stretch played slower (its pulse longer than the track's) is read faster: fewer
    # steady frames per frame of the track.
    slower = np.interp(np.arange(onset.size), starts + window / 2, speed / np.median(speed))
    steady_of_track = np.concatenate([[0.0], np.cumsum(1 / slower)])
    steady = np.arange(0.0, steady_of_track[-1] - 1)
    clock = np.interp(steady, steady_of_track, np.arange(onset.size + 1, dtype=float))
    # Kept only when the steady reading repeats clearly better than the track as it is: on a
    # tempo that holds, misread stretches (a beatless intro, a fill) bend a clock that only
    # blurs the pulse.
    on_clock = np.interp(clock, np.arange(onset.size), onset)
    if _pulse_strength(on_clock, pulse) < (1 + _CLOCK_GAIN) * _pulse_strength(onset, pulse):
        return None
    return clock


def _beat_strength(onset: np.ndarray, period: float) -> float:
    """How strongly the onsets repeat at one, two and four beats, read on the onsets smoothed
    over ``_HIT_SPREAD``: 0 for pads, 1 to 2 for a steady groove."""
    return _pulse_strength(_smooth(onset, _HIT_SPREAD), period)


def _pulse_strength(envelope: np.ndarray, pulse: float) -> float:
    """How strongly an envelope repeats at one, two and four of its pulses (autocorrelation
    peaks within 2 %): a wandering tempo smears the longer repeats most."""
    ac = autocorrelation(envelope, int(4.1 * pulse) + 2)
    return sum(_peak_near(ac, beats * pulse, 0.02 * beats * pulse)[1] for beats in (1, 2, 4))


def _chroma_on(
    chroma: np.ndarray, chroma_rate: float, frames: Frames, clock: np.ndarray
) -> np.ndarray:
    """The chroma rows (per ``chroma_rate``) read on the steady clock of ``steady_clock``."""
    if chroma.shape[0] < 2:
        return chroma
    steady = np.arange(int((frames.offset + clock.size / frames.rate) * chroma_rate) + 1)
    at = _on_track_clock(steady / chroma_rate, frames, clock) * chroma_rate
    rows = np.arange(chroma.shape[0])
    return np.stack([np.interp(at, rows, chroma[:, pitch]) for pitch in range(chroma.shape[1])], 1)


def _on_track_clock(times: np.ndarray, frames: Frames, clock: np.ndarray) -> np.ndarray:
    """Times (seconds) of the steady reading put back on the track's own clock."""
    steady_frames = (times - frames.offset) * frames.rate
    track_frames = np.interp(steady_frames, np.arange(clock.size), clock)
    return frames.offset + track_frames / frames.rate


def _grid_positions(frames: Frames, period: float, phase: float) -> np.ndarray:
    """Grid positions (frames) from the first to the last audible frame."""
    level = frames.amplitude.sum(axis=0)
    audible = np.flatnonzero(level > 0.01 * level.max())
    first, last = audible[0], audible[-1]
    start = int(np.ceil((first - phase) / period - 0.25))
    stop = int(np.floor((last - phase) / period))
    return phase + np.arange(start, stop + 1) * period


def follow_drift(envelope: np.ndarray, positions: np.ndarray, period: float) -> np.ndarray:
    """The beats of a tempo that wanders, tracked through the envelope around the grid.

    Dynamic programming, as Ellis's beat tracker (2007) and librosa's: a frame's score is the
    envelope there (in standard deviations) plus the best score of a beat one interval earlier,
    an interval off the period paying ``_FOLLOW_TIGHTNESS`` times its log ratio squared; the
    best path back from the last beat is the beats. Each beat is placed by the hits around it
    and the intervals bend smoothly, so a drummer's wandering tempo is followed beat by beat
    and a breakdown without drums is crossed at the period. The path follows the loudest hits,
    half a beat from the grid where ``beat_phase`` moved it off them (loud off-beat hats,
    reggaeton's loudest hits on the "and"): then the points half-way between its beats are the
    beats. On a constant tempo the path is about the grid.
    """
    if positions.size < _FOLLOW_FEWEST:
        return positions
    first = int(max(0.0, positions[0] - period / 2))
    last = int(min(envelope.size - 1.0, positions[-1] + period / 2))
    local = envelope[first : last + 1].astype(float)
    spread = local.std()
    if spread <= 0:
        return positions
    local /= spread
    shortest = max(1, int(np.floor(period * (1 - _FOLLOW_REACH))))
    steps = np.arange(shortest, int(np.ceil(period * (1 + _FOLLOW_REACH))) + 1)
    cost = _FOLLOW_TIGHTNESS * np.log(steps / period) ** 2
    score = local.copy()
    previous = np.full(local.size, -1)
    # Every source of a block of ``shortest`` frames lies before the block: one step per block.
    for start in range(shortest, local.size, shortest):
        block = np.arange(start, min(local.size, start + shortest))
        sources = block[:, None] - steps
        reached = np.where(sources >= 0, score[np.maximum(sources, 0)] - cost, -np.inf)
        best = reached.argmax(axis=1)
        gain = reached[np.arange(block.size), best]
        extends = gain > 0  # else a path starts afresh here
        score[block[extends]] += gain[extends]
        previous[block[extends]] = sources[np.arange(block.size), best][extends]
    beat = local.size - steps[-1] + int(np.argmax(score[-steps[-1] :]))
    path = [beat]
    while previous[path[-1]] >= 0:
        path.append(int(previous[path[-1]]))
    followed = first + np.array(path[::-1], dtype=float)
    if followed.size < 2:
        return positions
    nearest = np.clip(np.searchsorted(followed, positions), 1, followed.size - 1)
    distance = np.minimum(
        np.abs(positions - followed[nearest - 1]), np.abs(positions - followed[nearest])
    )
    if np.median(distance) > period / 4:
        followed = (followed[1:] + followed[:-1]) / 2
    return followed


def _eighths(positions: np.ndarray) -> np.ndarray:
    """The beats and the points half-way between them."""
    middles = (positions[1:] + positions[:-1]) / 2
    return np.sort(np.concatenate([positions, middles]))


def _running_median(values: np.ndarray, width: int) -> np.ndarray:
    half = width // 2
    padded = np.pad(values, half, mode="edge")
    return np.median(np.lib.stride_tricks.sliding_window_view(padded, width), axis=1)


def _consistency(envelope: np.ndarray, positions: np.ndarray, period: float) -> float:
    """Share of beats with a strong onset peak within ``_ON_GRID`` frames, as ``fit_phase``
    counts."""
    inside = positions[(positions >= 1) & (positions < envelope.size - 2)]
    if inside.size == 0:
        return 0.0
    found = [_onset_peak(envelope, p, period / 6) for p in inside]
    heights = np.array([h for _, h in found])
    distance = np.abs(np.array([q for q, _ in found]) - inside)
    return float(((distance < _ON_GRID) & (heights > 0.25 * np.percentile(heights, 90))).mean())


def _zscore(values: np.ndarray) -> np.ndarray:
    spread = values.std()
    return (values - values.mean()) / spread if spread > 1e-9 else np.zeros_like(values)


def _downbeats(
    beats: np.ndarray,
    frames: Frames,
    strike: Strikes,
    chroma: np.ndarray,
    chroma_rate: float,
) -> np.ndarray:
    if beats.size < 2 * BEATS_PER_BAR:
        return beats[:1]
    at = np.clip(((beats - frames.offset) * frames.rate).astype(int), 0, frames.count - 1)
    kick = np.array([strike.kick[max(0, i - 2) : i + 3].max() for i in at])
    # The snares and claps themselves, not mid and high striking together: a chord changing on
    # the downbeat under a hat does that too (and in a dembow, where no snare falls on a beat,
    # outweighs everything).
    snare = np.array([strike.backbeat[max(0, i - 2) : i + 3].max() for i in at])
    level = frames.amplitude.sum(axis=0)
    spacing = max(1, int(np.median(np.diff(at))))
    before = np.array([level[max(0, i - spacing) : max(1, i)].mean() for i in at])
    after = np.array([level[i : i + spacing].mean() if i < level.size else 0.0 for i in at])
    rise = np.log((after + 1e-6) / (before + 1e-6))
    harmony = _harmonic_change(beats, chroma, chroma_rate)
    evidence = 1.5 * _zscore(harmony) + _zscore(kick) - _zscore(snare) + 0.5 * _zscore(rise)
    scores = [evidence[phase::BEATS_PER_BAR].mean() for phase in range(BEATS_PER_BAR)]
    return beats[int(np.argmax(scores)) :: BEATS_PER_BAR]


def _harmonic_change(beats: np.ndarray, chroma: np.ndarray, chroma_rate: float) -> np.ndarray:
    """Per beat: how different the chroma of the next two beats is from the previous two."""
    change = np.zeros(beats.size)
    if chroma.shape[0] < 2 or beats.size < 5:
        return change
    index = np.clip((beats * chroma_rate).astype(int), 0, chroma.shape[0] - 1)
    cumulative = np.vstack([np.zeros(12), np.cumsum(chroma, axis=0)])
    middle = np.arange(2, beats.size - 2)
    previous = cumulative[index[middle]] - cumulative[index[middle - 2]]
    following = cumulative[index[middle + 2]] - cumulative[index[middle]]
    norm = np.linalg.norm(previous, axis=1) * np.linalg.norm(following, axis=1)
    similar = np.einsum("ij,ij->i", previous, following) / np.where(norm > 0, norm, 1.0)
    change[middle] = np.where(norm > 0, 1 - similar, 0.0)
    return change
