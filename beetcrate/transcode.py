"""On-the-fly transcoding for ``stream``: which encoding a request gets, and serving it cheaply.

Four parts, in the order a request meets them:

- ``TranscodeConfig.choose`` turns a request (``format``, ``maxBitRate``, the user) and the
  source's format into a ``Choice``: the original file, or a profile at a capped bitrate.
- ``TranscodeCache`` keeps finished transcodes on disk, bounded in size, least recently used
  first out. A finished transcode is a plain file, so it is served with an exact Content-Length
  and HTTP Range like any original.
- ``Transcoder`` runs encoders. Requests for the same transcode while it is being made share one
  encoder: it writes to a temporary file that every reader follows, and is renamed into the
  cache when complete. Encoder slots (global and per user) are ``flock``-ed files in the cache
  directory, so the limits hold across gunicorn's worker processes and free themselves if a
  process dies. When the last reader goes away (the client hung up) the encoder stops at its
  next chunk and its temporary file is removed.
- The cache directory may be deleted while the server runs (``docs/configuration.md``): every
  folder is made again when it is next needed. Encoders running then finish their streams but
  leave nothing in the cache, and their slots are on files no longer named, so for as long
  as they run the limits count only the encoders started after.
- ``fit_to_length`` pads or trims a stream to the length promised by ``estimateContentLength``,
  as gonic does; such streams are encoded at a constant bitrate so the padding stays tiny.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import threading
import uuid
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import confuse

log = logging.getLogger("beetcrate.transcode")

# The ``opus: stream:`` section of the beets config. Bitrates are kbps, as in the Subsonic API.
STREAM_DEFAULTS: dict[str, object] = {
    "format": "opus",
    "profiles": {
        "opus": {"bitrate": 128},
        "mp3": {"bitrate": 192},
    },
    # Server-wide cap and per-user caps (user name -> kbps); 0 means no cap.
    "max_bitrate": 0,
    "user_max_bitrate": {},
    "cache_mb": 1024,
    "max_encoders": 8,
    "max_encoders_per_user": 3,
}

CONTENT_TYPES = {"opus": "audio/ogg", "mp3": "audio/mpeg"}
# libopus and LAME refuse bitrates below these (kbps).
_MIN_KBPS = 8
# MP3 frames' headers and the tags over LAME's bit rate (Opus: see ``estimate_length``).
_ESTIMATE_OVERHEAD = 1.01
# Room for an Ogg Opus stream's header pages (OpusHead, OpusTags with the song's tags).
_OPUS_HEADERS = 1024
_ESTIMATE_SLACK = 4096
_READ_CHUNK = 1 << 16


class TranscodeError(Exception):
    """A request that cannot be transcoded; the message is fit for a Subsonic error."""


class TooBusy(TranscodeError):
    """Every encoder slot (global or the user's) is taken."""


@dataclass(frozen=True)
class Profile:
    name: str
    bit_rate: int  # kbps

    @property
    def suffix(self) -> str:
        return self.name

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.name]


@dataclass(frozen=True)
class Choice:
    """What a request gets: ``profile`` None means the original file."""

    profile: Profile | None
    bit_rate: int = 0  # kbps, for a transcode

    @property
    def raw(self) -> bool:
        return self.profile is None


@dataclass(frozen=True)
class TranscodeConfig:
    profiles: dict[str, Profile]
    default: str
    max_bit_rate: int = 0
    user_max_bit_rate: dict[str, int] = field(default_factory=dict)
    cache_bytes: int = 1024 << 20
    max_encoders: int = 8
    max_encoders_per_user: int = 3

    @classmethod
    def defaults(cls) -> TranscodeConfig:
        """The configuration an empty ``opus: stream:`` section gives."""
        empty = confuse.RootView([confuse.ConfigSource.of({"opus": {"stream": {}}})])
        return cls.from_beets(empty)

    @classmethod
    def from_beets(cls, config: confuse.ConfigView) -> TranscodeConfig:
        """Read the ``opus: stream:`` section (defaults filled in)."""
        section = config["opus"]["stream"]
        section.add(STREAM_DEFAULTS)
        profiles = {}
        for name, values in section["profiles"].get(dict).items():
            if name not in CONTENT_TYPES:
                raise TranscodeError(f"unknown transcode profile {name!r} (use opus or mp3)")
            profiles[name] = Profile(name, int(values["bitrate"]))
        default = section["format"].as_choice(list(profiles))
        return cls(
            profiles=profiles,
            default=default,
            max_bit_rate=section["max_bitrate"].get(int),
            user_max_bit_rate={k: int(v) for k, v in section["user_max_bitrate"].get(dict).items()},
            cache_bytes=section["cache_mb"].get(int) << 20,
            max_encoders=section["max_encoders"].get(int),
            max_encoders_per_user=section["max_encoders_per_user"].get(int),
        )

    @property
    def default_profile(self) -> Profile:
        return self.profiles[self.default]

    def cap(self, max_bit_rate: int = 0, user: str | None = None, user_max: int = 0) -> int:
        """The lowest of the request's, the user's (config or account) and the server's caps.

        0 means no cap.
        """
        caps = [max_bit_rate, user_max, self.user_max_bit_rate.get(user or "", 0)]
        caps.append(self.max_bit_rate)
        positive = [c for c in caps if c and c > 0]
        return min(positive) if positive else 0

    def choose(
        self,
        source_suffix: str,
        source_bit_rate: int,
        format: str | None = None,
        max_bit_rate: int = 0,
        user: str | None = None,
        user_max: int = 0,
    ) -> Choice:
        """Pick the original or a profile for a request; bitrates in kbps.

        - ``format=raw`` asks for the original, which it gets unless it is above the user's or
          the server's cap (a cap is a promise to the person paying for the data).
        - No format: the original when it is within the cap, else the default profile.
        - A profile's name: the original when it already is that format and within the cap
          (the client accepts it), else that profile. Unknown names mean the default profile.
        """
        cap = self.cap(max_bit_rate, user, user_max)
        within = not cap or 0 < source_bit_rate <= cap
        source_suffix = source_suffix.lower()
        if format == "raw":
            hard_cap = self.cap(0, user, user_max)
            if not hard_cap or 0 < source_bit_rate <= hard_cap:
                return Choice(None)
            profile = self.default_profile
        elif not format:
            if within:
                return Choice(None)
            profile = self.default_profile
        else:
            profile = self.profiles.get(format, self.default_profile)
            if source_suffix == profile.suffix and within:
                return Choice(None)
        bit_rate = min(profile.bit_rate, cap) if cap else profile.bit_rate
        return Choice(profile, max(bit_rate, _MIN_KBPS))


@dataclass(frozen=True)
class Job:
    """One transcode: its source, its encoding and where it starts."""

    item_id: int
    source: Path
    profile: Profile
    bit_rate: int  # kbps
    offset: float = 0.0
    constant_bit_rate: bool = False
    # The song's tags, written into the transcode as a downloaded mirror file has them.
    tags: tuple[tuple[str, str], ...] = ()

    @property
    def key(self) -> str:
        """Names the result: changes whenever the source file or any setting does."""
        try:
            stat = self.source.stat()
            version = f"{stat.st_mtime_ns}:{stat.st_size}"
        except OSError:
            version = "missing"
        raw = (
            f"{self.item_id}:{version}:{self.profile.name}:{self.bit_rate}:"
            f"{self.offset:.3f}:{int(self.constant_bit_rate)}:{self.tags!r}"
        )
        return hashlib.sha256(raw.encode()).hexdigest()[:32]


class TranscodeCache:
    """Finished transcodes in a directory, evicted least recently used first past ``max_bytes``.

    Recency is the file's mtime, refreshed on every hit; the cache needs no index, so several
    processes can share it. Files only ever appear by atomic rename. The folders are made when
    a transcode starts, so a deleted cache is an empty one.
    """

    def __init__(self, directory: str | Path, max_bytes: int) -> None:
        self.directory = Path(directory)
        self.max_bytes = max_bytes
        self.tmp = self.directory / "tmp"

    def path(self, key: str, suffix: str) -> Path:
        return self.directory / f"{key}.{suffix}"

    def get(self, key: str, suffix: str) -> Path | None:
        path = self.path(key, suffix)
        try:
            os.utime(path)
        except FileNotFoundError:
            return None
        return path

    def temp_path(self, key: str, suffix: str) -> Path:
        self.tmp.mkdir(parents=True, exist_ok=True)
        return self.tmp / f"{key}.{uuid.uuid4().hex[:8]}.{suffix}.part"

    def put(self, temp: Path, key: str, suffix: str) -> Path | None:
        """Move a finished transcode into the cache; None if the cache was deleted under it
        (the temporary file went with it)."""
        path = self.path(key, suffix)
        try:
            os.replace(temp, path)
        except FileNotFoundError:
            log.info("the transcode cache was deleted during an encode; %s not kept", path.name)
            return None
        self.evict(keep=path)
        return path

    def entries(self) -> list[Path]:
        try:
            return [p for p in self.directory.iterdir() if p.is_file()]
        except FileNotFoundError:
            return []

    def evict(self, keep: Path | None = None) -> None:
        """Remove the least recently used entries until the cache fits its budget."""
        entries = []
        for path in self.entries():
            try:
                stat = path.stat()
            except FileNotFoundError:
                continue
            entries.append((stat.st_mtime_ns, stat.st_size, path))
        total = sum(size for _, size, _ in entries)
        for _, size, path in sorted(entries):
            if total <= self.max_bytes:
                break
            if path == keep:
                continue
            path.unlink(missing_ok=True)
            total -= size


class _Slots:
    """At most ``count`` holders of ``name`` across all processes, by flock on numbered files
    in ``directory``, made again if it was deleted."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def acquire(self, name: str, count: int) -> IO[bytes] | None:
        self.directory.mkdir(parents=True, exist_ok=True)
        for n in range(count):
            handle = open(self.directory / f"{name}.{n}", "wb")  # noqa: SIM115 - held open
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                continue
            return handle
        return None


class _Encoding:
    """One running encoder, writing to a temporary file that its readers follow."""

    def __init__(self, job: Job, temp: Path, on_done: Callable[[_Encoding], None]) -> None:
        self.job = job
        self.temp = temp
        self.size = 0
        self.finished = False
        self.error: Exception | None = None
        self.readers = 0
        self.cancelled = False
        self.changed = threading.Condition()
        self._on_done = on_done
        temp.touch()
        self.thread = threading.Thread(target=self._run, name=f"encode-{job.key[:8]}", daemon=True)

    def _run(self) -> None:
        # PyAV is imported on first encode: every beets command loads this module through
        # ``beetcrate.settings`` (for the sidecar's path), and importing PyAV takes 0.15 s.
        from beetcrate import media

        stream = media.encode_stream(
            self.job.source,
            self.job.profile.suffix,
            bit_rate=self.job.bit_rate * 1000,
            start=self.job.offset,
            constant_bit_rate=self.job.constant_bit_rate,
            metadata=dict(self.job.tags),
        )
        try:
            with open(self.temp, "wb") as out:
                for chunk in stream:
                    if self.cancelled:
                        break
                    out.write(chunk)
                    out.flush()
                    with self.changed:
                        self.size += len(chunk)
                        self.changed.notify_all()
        except Exception as exc:
            # Whatever went wrong, a partial transcode must not reach the cache.
            self.error = exc
            log.warning("transcode of %s failed: %s", self.job.source, exc)
        finally:
            stream.close()
            self._on_done(self)
            with self.changed:
                self.finished = True
                self.changed.notify_all()

    def attach(self) -> IO[bytes]:
        """Count a new reader; its file is opened now, before a rename can move it away."""
        with self.changed:
            self.readers += 1
        return open(self.temp, "rb")

    def follow(self, source: IO[bytes]) -> Generator[bytes, None, None]:
        """Yield the encoder's output from byte 0, waiting for more until it is complete."""
        position = 0
        with source:
            try:
                while True:
                    with self.changed:
                        while self.size <= position and not self.finished:
                            self.changed.wait(1.0)
                        available, finished = self.size, self.finished
                    if available > position:
                        data = source.read(min(available - position, _READ_CHUNK))
                        position += len(data)
                        yield data
                    elif finished:
                        if self.error is not None:
                            from beetcrate.media import MediaError

                            raise MediaError(str(self.error))
                        return
            finally:
                self._detach()

    def _detach(self) -> None:
        with self.changed:
            self.readers -= 1
            if self.readers == 0 and not self.finished:
                self.cancelled = True


class Transcoder:
    """Starts encoders within the limits, shares them between identical requests."""

    def __init__(self, config: TranscodeConfig, cache_dir: str | Path) -> None:
        self.config = config
        self.cache = TranscodeCache(Path(cache_dir) / "transcodes", config.cache_bytes)
        self._slots = _Slots(Path(cache_dir) / "slots")
        self._active: dict[str, _Encoding] = {}
        self._lock = threading.Lock()

    def cached(self, job: Job) -> Path | None:
        """The finished transcode of ``job``, if there is one (and mark it recently used)."""
        return self.cache.get(job.key, job.profile.suffix)

    def stream(self, job: Job, user: str | None = None) -> Generator[bytes, None, None]:
        """The bytes of ``job``'s transcode, from byte 0, joining a running encoder if any.

        Raises ``TooBusy`` before any byte if no encoder slot is free. Mid-stream failures
        raise ``MediaError`` from the iterator; the caller ends the response there.
        """
        key = job.key
        with self._lock:
            encoding = self._active.get(key)
            if encoding is None or encoding.cancelled:
                encoding = self._start(job, key, user)
            source = encoding.attach()
        return encoding.follow(source)

    def _start(self, job: Job, key: str, user: str | None) -> _Encoding:
        slot = self._slots.acquire("global", self.config.max_encoders)
        if slot is None:
            raise TooBusy(f"all {self.config.max_encoders} transcoders are busy; try again soon")
        user_slot = None
        if user is not None:
            user_hash = hashlib.sha256(user.encode()).hexdigest()[:16]
            user_slot = self._slots.acquire(f"user-{user_hash}", self.config.max_encoders_per_user)
            if user_slot is None:
                slot.close()
                raise TooBusy(
                    f"{user} already has {self.config.max_encoders_per_user} transcodes running"
                )

        def release() -> None:
            for handle in (slot, user_slot):
                if handle is not None:
                    handle.close()

        def done(encoding: _Encoding) -> None:
            try:
                with self._lock:
                    if self._active.get(key) is encoding:
                        del self._active[key]
                    if encoding.error is None and not encoding.cancelled:
                        self.cache.put(encoding.temp, key, job.profile.suffix)
                    else:
                        encoding.temp.unlink(missing_ok=True)
            finally:
                release()

        try:
            encoding = _Encoding(job, self.cache.temp_path(key, job.profile.suffix), done)
        except OSError:  # the cache cannot be written (a full disk): the slots are free again
            release()
            raise
        self._active[key] = encoding
        encoding.thread.start()
        return encoding

    def active_encoders(self) -> int:
        with self._lock:
            return len(self._active)


def estimate_length(duration: float, bit_rate: int, suffix: str = "mp3") -> int:
    """The bytes promised for a constant-bitrate transcode of ``duration`` s at ``bit_rate``.

    An Opus stream at a constant rate comes out at least 0.8 kbps under its cap, Ogg pages
    included (``media.encode_stream``), plus its headers: the promise is 0.5 kbps under the cap
    plus room for the headers, so the stream always fits, and padded to the promise it keeps to
    the cap for any track of 17 s or more (shorter ones go over by their 1 KB of headers). An
    MP3 stream is LAME's exact rate plus its headers."""
    if suffix == "opus":
        return int(duration * (bit_rate * 1000 - 500) / 8) + _OPUS_HEADERS
    return int(duration * bit_rate * 1000 / 8 * _ESTIMATE_OVERHEAD) + _ESTIMATE_SLACK


def fit_to_length(chunks: Iterator[bytes], length: int) -> Iterator[bytes]:
    """Yield exactly ``length`` bytes: the stream, trimmed if longer, zero-padded if shorter.

    Decoders skip trailing zeros after the last Ogg page or MP3 frame. A failure mid-stream is
    raised as is, not padded over: the response then ends short and the client sees the error.
    """
    sent = 0
    try:
        for chunk in chunks:
            if sent + len(chunk) >= length:
                yield chunk[: length - sent]
                return
            sent += len(chunk)
            yield chunk
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()
    padding = b"\0" * _READ_CHUNK
    while sent < length:
        piece = padding[: length - sent]
        sent += len(piece)
        yield piece
