"""What crosses between the server, the outbox and the services: services, tracks, outcomes."""

from __future__ import annotations

import enum
import uuid
from dataclasses import asdict, dataclass, replace

# Last.fm accepts scrobbles of tracks of this length and more only.
LASTFM_SHORTEST_SCROBBLE_S = 30.0


class Service(enum.Enum):
    LASTFM = "lastfm"
    LISTENBRAINZ = "listenbrainz"


class Kind(enum.Enum):
    """A song started (``playing``: Last.fm's now playing, ListenBrainz's ``playing_now``) or
    was played (``listen``: a scrobble, a ``single`` listen)."""

    PLAYING = "playing"
    LISTEN = "listen"


@dataclass(frozen=True)
class Track:
    """What the services are told about a song, taken from the catalog when it was played, so
    that a play waiting for a service says what it was even if the library changed since."""

    artist: str
    title: str
    album: str = ""
    album_artist: str = ""
    track_number: int = 0
    duration: int = 0  # seconds; 0: unknown
    recording_mbid: str = ""  # beets' mb_trackid
    release_mbid: str = ""
    artist_mbid: str = ""

    def as_dict(self) -> dict[str, object]:
        return asdict(self)

    def without_bad_mbids(self) -> Track:
        """This track with the MusicBrainz ids that are not UUIDs left out: ListenBrainz refuses
        a whole submission for one such id, and a tag can hold anything."""
        return replace(
            self,
            recording_mbid=_uuid_or_empty(self.recording_mbid),
            release_mbid=_uuid_or_empty(self.release_mbid),
            artist_mbid=_uuid_or_empty(self.artist_mbid),
        )

    def wanted_by(self, service: Service, kind: Kind) -> bool:
        """Whether ``service`` takes this track as ``kind``: Last.fm scrobbles no track under
        30 seconds."""
        short = 0 < self.duration < LASTFM_SHORTEST_SCROBBLE_S
        return not (service is Service.LASTFM and kind is Kind.LISTEN and short)


def _uuid_or_empty(value: str) -> str:
    try:
        return str(uuid.UUID(value)) if value else ""
    except ValueError:
        return ""


@dataclass(frozen=True)
class Entry:
    """One row of the outbox: a play (or a start) waiting to be sent to one service."""

    id: int
    kind: Kind
    track: Track
    played_at: float  # epoch seconds
    client: str


class Outcome(enum.Enum):
    """What a service made of a submission."""

    SENT = "sent"  # taken (or deliberately ignored, as Last.fm does with too old scrobbles)
    RETRY = "retry"  # down, slow, or asking to try again later: the same rows later
    REFUSED = "refused"  # these rows can never be taken (malformed for the service): dropped
    REJECTED = "rejected"  # the link's credentials are refused: nothing more until relinked


@dataclass(frozen=True)
class Answer:
    """A service's answer to one submission: the outcome, its message, and for ``RETRY`` how
    long the service asked to wait (0: our own backoff decides)."""

    outcome: Outcome
    message: str = ""
    retry_after: float = 0.0


SENT = Answer(Outcome.SENT)


class LinkError(Exception):
    """Linking an account failed; the message says why, in one line."""
