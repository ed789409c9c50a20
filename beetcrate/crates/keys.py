"""Musical keys on the Camelot wheel: parsing every notation DJs use, and which keys mix.

A key is a position on the wheel (1-12) and a mode: ``A`` is minor, ``B`` major (Camelot);
Open Key numbers the same wheel from C major = 1d / A minor = 1m. Moving one step round the
wheel is a fifth up or down; the same number with the other letter is the relative major or
minor. Those moves keep all but one note of the scale, which is why they mix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Pitch classes by name; flats and sharps in ASCII and as the music symbols.
_PITCHES = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
_CAMELOT = re.compile(r"^(1[0-2]|0?[1-9])\s*([AB])$", re.IGNORECASE)
_OPENKEY = re.compile(r"^(1[0-2]|0?[1-9])\s*([MD])$", re.IGNORECASE)
_NAME = re.compile(
    r"^([A-G])\s*([#♯b♭]?)\s*(m|min|minor|maj|major|dur|moll)?$",
    re.IGNORECASE,
)
_NAMES_SHARP = ["C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"]


class UnknownKey(ValueError):
    """Not a key in any notation beetcrate reads."""


@dataclass(frozen=True, order=True)
class Key:
    """A key as a Camelot position: ``number`` 1-12 round the wheel, ``minor`` for the A ring."""

    number: int
    minor: bool

    @property
    def camelot(self) -> str:
        return f"{self.number}{'A' if self.minor else 'B'}"

    @property
    def openkey(self) -> str:
        return f"{(self.number - 8) % 12 + 1}{'m' if self.minor else 'd'}"

    @property
    def code(self) -> int:
        """The key as one small integer, 0-23 (two per wheel position, minor the odd one): what
        ``crate_items.key_code`` stores and the sonic engine's arrays are indexed by."""
        return 2 * (self.number - 1) + self.minor

    @classmethod
    def from_code(cls, code: int) -> Key:
        return cls(code // 2 + 1, bool(code % 2))

    @property
    def pitch_class(self) -> int:
        """The tonic, 0 = C."""
        offset = 5 if self.minor else 8
        # camelot = 7 * pitch + offset (mod 12), and 7 is its own inverse mod 12.
        return (7 * (self.number - offset)) % 12

    @property
    def name(self) -> str:
        return _NAMES_SHARP[self.pitch_class] + ("m" if self.minor else "")

    def step(self, steps: int) -> Key:
        """The key ``steps`` round the wheel (a fifth up per step), same mode."""
        return Key((self.number - 1 + steps) % 12 + 1, self.minor)

    def relative(self) -> Key:
        return Key(self.number, not self.minor)

    def mixes_into(self, *, boost: bool = False, diagonal: bool = False) -> frozenset[Key]:
        """The keys a DJ can mix into from this one: itself, one step either way round the
        wheel, the relative major/minor; with ``boost`` two steps up (the "energy boost"),
        with ``diagonal`` the diagonal move (from nA to (n+1)B, from nB to (n-1)A)."""
        keys = {self, self.step(1), self.step(-1), self.relative()}
        if boost:
            keys.add(self.step(2))
        if diagonal:
            keys.add(self.relative().step(1 if self.minor else -1))
        return frozenset(keys)

    def distance(self, other: Key) -> int:
        """Moves apart on the wheel: steps round it, plus one to change mode (0 to 7)."""
        steps = abs(self.number - other.number) % 12
        return min(steps, 12 - steps) + (self.minor != other.minor)


def from_pitch(pitch_class: int, minor: bool) -> Key:
    number = (7 * pitch_class + (5 if minor else 8)) % 12
    return Key(number or 12, minor)


def parse_key(text: str) -> Key:
    """A key written as Camelot (``8A``), Open Key (``1m``) or a name (``Am``, ``F# minor``,
    ``Bb``, ``C major``). Raises ``UnknownKey`` naming the text otherwise."""
    raw = text.strip()
    if match := _CAMELOT.match(raw):
        return Key(int(match[1]), match[2].upper() == "A")
    if match := _OPENKEY.match(raw):
        return Key((int(match[1]) + 6) % 12 + 1, match[2].lower() == "m")
    if match := _NAME.match(raw.replace("-", " ")):
        letter, accidental, mode = match[1].upper(), match[2], (match[3] or "")
        pitch = _PITCHES[letter] + (1 if accidental in ("#", "♯") else 0)
        pitch -= 1 if accidental in ("b", "♭") else 0
        # A lone "m" is minor ("Am"); a capital "M" alone is not a notation anyone uses.
        minor = mode.lower() in ("m", "min", "minor", "moll")
        return from_pitch(pitch % 12, minor)
    raise UnknownKey(f"not a key: {text!r} (write it as 8A, 1m, Am or F# minor)")


def maybe_key(text: str | None) -> Key | None:
    """The key ``text`` names, or None when it is empty or names none (an untagged field)."""
    if not text:
        return None
    try:
        return parse_key(text)
    except UnknownKey:
        return None
