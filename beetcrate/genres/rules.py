"""From Last.fm tags to genres: pure functions over a vocabulary (aliases, tree, whitelist).

A tag's way: its name is normalised (lower case, single spaces) and respelt by the first alias
that matches it whole ("hip-hop" → "hip hop"); the canonical tree then gives its ancestry,
itself first and the tree's root last ("deep house", "house", "electronic"); only then does the
whitelist choose among them: the most general genre of the ancestry that the whitelist lets
pass, or the most specific with ``prefer_specific``. A tag none of whose ancestry passes gives no
genre. Canonicalising first means a tag missing from the whitelist still counts through its
parent, where a whitelist applied first would have dropped it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field


class VocabularyError(ValueError):
    """A whitelist, tree or alias file that cannot be used; the message is one line."""


@dataclass(frozen=True)
class Tag:
    """A Last.fm tag and its weight (0 to 100, relative to the object's top tag)."""

    name: str
    weight: int


Alias = tuple[re.Pattern[str], str]  # a pattern matched against a whole name, its replacement


@dataclass(frozen=True)
class Vocabulary:
    """What genres may be: ``whitelist`` None lets every genre pass, an empty one none;
    ``ancestry`` maps a genre of the tree to itself and its parents up to the root (empty: no
    canonicalisation); ``aliases`` respell names, the first that matches a whole name wins."""

    whitelist: frozenset[str] | None = None
    ancestry: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    aliases: tuple[Alias, ...] = ()

    def spelling(self, name: str) -> str:
        """``name`` normalised, then respelt by the first alias matching it whole."""
        normal = normalise(name)
        for pattern, replacement in self.aliases:
            match = pattern.fullmatch(normal)
            if match is None:
                continue
            try:
                return normalise(match.expand(replacement))
            except (re.error, IndexError):  # a replacement naming a group its pattern lacks
                continue
        return normal

    def passes(self, genre: str) -> bool:
        return self.whitelist is None or genre in self.whitelist

    def genre_of(self, name: str, prefer_specific: bool) -> str | None:
        """The genre a (respelt) tag name stands for, or None if nothing of it passes."""
        passing = [g for g in self.ancestry.get(name, (name,)) if self.passes(g)]
        if not passing:
            return None
        return passing[0] if prefer_specific else passing[-1]


@dataclass(frozen=True)
class GenreRules:
    """How tags become genres: the vocabulary, and how many genres of what weight to keep."""

    vocabulary: Vocabulary = field(default_factory=Vocabulary)
    count: int = 1
    min_weight: int = 10
    prefer_specific: bool = False


def resolve(tags: Iterable[Tag], rules: GenreRules) -> tuple[str, ...]:
    """The genres ``tags`` give: heaviest tag first, tags lighter than ``min_weight`` left out,
    each genre once, at most ``count``, title-cased."""
    genres: list[str] = []
    for tag in sorted(tags, key=lambda tag: -tag.weight):
        if len(genres) >= rules.count or tag.weight < rules.min_weight:
            break
        name = rules.vocabulary.spelling(tag.name)
        genre = rules.vocabulary.genre_of(name, rules.prefer_specific) if name else None
        if genre is not None and genre not in genres:
            genres.append(genre)
    return tuple(title_case(genre) for genre in genres)


def normalise(name: str) -> str:
    """Lower case, surrounding space removed, inner runs of space made one."""
    return " ".join(name.lower().split())


# Words that stay lower case inside a genre's name, and those written in capitals.
_SMALL_WORDS = frozenset({"and", "n", "of", "the", "in", "or", "de", "y"})
_ACRONYMS = frozenset({"uk", "us", "usa", "nyc", "edm", "idm", "ebm", "aor", "mpb", "ccm", "dj"})
_PARTS = re.compile(r"([-/ ])")


def title_case(genre: str) -> str:
    """ "drum and bass" → "Drum and Bass", "r&b" → "R&B", "post-rock" → "Post-Rock", "uk garage"
    → "UK Garage", "80s" → "80s" (``str.title`` would write "80S" and "Rock'N'Roll")."""
    parts = _PARTS.split(genre)
    written = []
    for index, part in enumerate(parts):
        if part in _ACRONYMS or "&" in part:
            written.append(part.upper())
        elif index > 0 and part in _SMALL_WORDS:
            written.append(part)
        else:
            written.append(part[:1].upper() + part[1:])
    return "".join(written)


# Reading the vocabulary's documents (the files' texts, already read)


def parse_whitelist(text: str) -> frozenset[str]:
    """A whitelist file: one genre a line; blank lines and ``#`` comments are skipped."""
    return frozenset(
        normalise(line) for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


def parse_tree(document: object) -> dict[str, tuple[str, ...]]:
    """A canonical tree (YAML: a genre maps to the list of its children, a leaf is a string) →
    each genre's ancestry, itself first. A genre in two branches keeps its first place."""
    ancestry: dict[str, tuple[str, ...]] = {}

    def walk(node: object, parents: tuple[str, ...]) -> None:
        if isinstance(node, Mapping):
            for key, children in node.items():
                genre = normalise(str(key))
                ancestry.setdefault(genre, (genre, *parents))
                walk(children, (genre, *parents))
        elif isinstance(node, list):
            for child in node:
                walk(child, parents)
        elif isinstance(node, str | int | float):
            genre = normalise(str(node))
            ancestry.setdefault(genre, (genre, *parents))
        elif node is not None:
            raise VocabularyError(f"a genre tree holds genres and lists, not {node!r}")

    walk(document, ())
    return ancestry


def parse_aliases(document: object) -> tuple[Alias, ...]:
    """An alias file (YAML: a spelling, ``\\1`` naming a group, maps to the list of regular
    expressions it replaces) → the aliases in the file's order."""
    if document is None:
        return ()
    if not isinstance(document, Mapping):
        raise VocabularyError("an alias file maps each spelling to a list of patterns")
    aliases = []
    for replacement, patterns in document.items():
        for pattern in patterns if isinstance(patterns, list) else [patterns]:
            try:
                aliases.append((re.compile(str(pattern), re.IGNORECASE), str(replacement)))
            except re.error as exc:
                raise VocabularyError(f"alias {replacement!r}: pattern {pattern!r}: {exc}") from exc
    return tuple(aliases)
