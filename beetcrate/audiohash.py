"""The one audio-only hash: xxh3-128 of a file's audio payload, tags and metadata left out.

Two copies of a song that differ only in their tags or embedded art hash the same, so the hash
identifies *the audio* across retagging: the duplicate finder groups by it, the Opus mirror and
the DJ analysis store key their work by it.

What counts as payload, per container (recognised by its magic bytes, not by the file's name):

- MPEG audio (MP3, ADTS AAC): everything between leading ID3v2 tags (extended header and footer
  included) and trailing ID3v1/ID3v1.1 "TAG+", APEv2, Lyrics3 v1/v2 and appended ID3v2 tags.
- FLAC: the frames after the metadata blocks (STREAMINFO, padding, pictures, Vorbis comments…).
- Ogg Vorbis, Opus and FLAC: the packets after the stream's header packets, without the page
  framing (page sequence numbers and CRCs change when a tagger rewrites the comment header).
- MP4/M4A: the contents of the ``mdat`` boxes (``moov`` holds the tags and chunk offsets that
  move when tags grow).
- WAV and AIFF: the ``data`` / ``SSND`` chunk.

ID3v2 tags in front of and ID3v1/APEv2/Lyrics3 tags behind FLAC and Ogg files (some taggers put
them there too) are cut as in MPEG streams.

Files are read in 1 MiB slices whatever their length. The pre-screen (``prescreen``: payload
size and a hash of its first 64 KiB) reads almost nothing and tells most different files apart
before a full hash is needed.
"""

from __future__ import annotations

import io
import os
import struct
from collections.abc import Iterable, Iterator
from typing import BinaryIO, cast

import xxhash

from beetcrate.media import MediaError

CHUNK = 1 << 20
PRESCREEN_BYTES = 1 << 16

Span = tuple[int, int]  # (offset, length) of a run of payload bytes in the file


def audio_hash(path: str | os.PathLike) -> str:
    """Hex xxh3-128 of the audio payload of ``path``; ``MediaError`` if it has none."""
    hasher = xxhash.xxh3_128()
    with _open(path) as f:
        for data in _read_spans(f, _payload_spans(f, path)):
            hasher.update(data)
    return hasher.hexdigest()


def payload_size(path: str | os.PathLike) -> int:
    """Bytes of audio payload in ``path`` (seeks over the audio, reads only the framing)."""
    with _open(path) as f:
        return sum(length for _, length in _payload_spans(f, path))


def prescreen(path: str | os.PathLike) -> str:
    """A cheap key equal for every two files of equal audio hash: payload size + head hash.

    Files whose keys differ certainly differ in audio; equal keys need ``audio_hash`` to tell.
    """
    hasher = xxhash.xxh3_64()
    size = 0
    head_left = PRESCREEN_BYTES
    with _open(path) as f:
        for offset, length in _payload_spans(f, path):
            size += length
            if head_left:
                f.seek(offset)
                data = f.read(min(length, head_left))
                hasher.update(data)
                head_left -= len(data)
    return f"{size:x}-{hasher.hexdigest()}"


def whole_file_hash(path: str | os.PathLike) -> str:
    """Hex xxh3-128 of every byte of the file: the naive peer the benchmark compares with."""
    hasher = xxhash.xxh3_128()
    with _open(path) as f:
        for data in _read_spans(f, [(0, os.fstat(f.fileno()).st_size)]):
            hasher.update(data)
    return hasher.hexdigest()


def _open(path: str | os.PathLike) -> io.BufferedReader:
    try:
        # Binary reading with a buffer size above 1 always gives a BufferedReader (which has
        # readinto); typeshed only says so for a literal size, so CHUNK leaves it at BinaryIO.
        return cast(io.BufferedReader, open(path, "rb", buffering=CHUNK))
    except OSError as exc:
        raise MediaError(f"cannot open {os.fspath(path)}: {exc.strerror}") from exc


def _read_spans(f: io.BufferedReader, spans: Iterable[Span]) -> Iterator[memoryview]:
    """Yield the bytes of ``spans`` through one reused 1 MiB buffer (no copy per slice)."""
    buffer = memoryview(bytearray(CHUNK))
    for offset, length in spans:
        f.seek(offset)
        while length:
            read = f.readinto(buffer[: min(length, CHUNK)])
            if not read:
                raise MediaError(f"truncated file {f.name}")
            yield buffer[:read]
            length -= read


def _payload_spans(f: BinaryIO, path: str | os.PathLike) -> Iterator[Span]:
    """Pick the container's parser from the magic bytes and yield its payload spans."""
    size = os.fstat(f.fileno()).st_size
    if size == 0:
        raise MediaError(f"empty file {os.fspath(path)}")
    start = _skip_id3v2(f, 0, size)
    f.seek(start)
    magic = f.read(12)
    if magic.startswith(b"fLaC"):
        spans = _flac_spans(f, start, _strip_trailing_tags(f, start, size))
    elif magic.startswith(b"OggS"):
        spans = _ogg_spans(f, start, _strip_trailing_tags(f, start, size))
    elif magic[4:8] == b"ftyp":
        spans = _box_spans(f, size)
    elif magic.startswith(b"RIFF") and magic[8:12] == b"WAVE":
        spans = _chunk_spans(f, 12, size, b"data", "<I")
    elif magic.startswith(b"FORM") and magic[8:12] in (b"AIFF", b"AIFC"):
        spans = _chunk_spans(f, 12, size, b"SSND", ">I")
    elif len(magic) >= 2 and magic[0] == 0xFF and magic[1] & 0xE0 == 0xE0:
        spans = iter([(start, _strip_trailing_tags(f, start, size) - start)])
    else:
        raise MediaError(f"unknown audio format in {os.fspath(path)}")
    found = False
    for offset, length in spans:
        if length > 0:
            found = True
            yield offset, length
    if not found:
        raise MediaError(f"no audio payload in {os.fspath(path)}")


def _syncsafe(data: bytes) -> int:
    return (data[0] << 21) | (data[1] << 14) | (data[2] << 7) | data[3]


def _skip_id3v2(f: BinaryIO, offset: int, size: int) -> int:
    """Offset past any ID3v2 tags (and the zero padding some taggers leave after them)."""
    tagged = offset
    while True:
        f.seek(offset)
        header = f.read(10)
        if len(header) < 10 or not header.startswith(b"ID3"):
            break
        footer = 10 if header[5] & 0x10 else 0
        offset += 10 + _syncsafe(header[6:10]) + footer
        if offset > size:
            raise MediaError(f"ID3v2 tag runs past the end of {f.name}")
    if offset == tagged:
        return offset
    f.seek(offset)
    padding = f.read(4096)
    return offset + (len(padding) - len(padding.lstrip(b"\0")))


def _strip_trailing_tags(f: BinaryIO, start: int, end: int) -> int:
    """End offset of an MPEG stream once ID3v1, APEv2, Lyrics3 and ID3v2 footers are cut."""
    while end - start >= 10:
        tail_len = min(end - start, 256)
        f.seek(end - tail_len)
        tail = f.read(tail_len)
        if tail_len >= 128 and tail[-128:-125] == b"TAG":
            end -= 128
            f.seek(max(start, end - 227))
            if f.read(4) == b"TAG+":
                end -= 227
        elif tail_len >= 32 and tail[-32:-24] == b"APETAGEX":
            # Footer: "APETAGEX", version, size (items + footer), item count, flags, reserved.
            tag_size, _, flags = struct.unpack("<III", tail[-20:-8])
            end -= tag_size + (32 if flags & 0x80000000 else 0)
        elif tail.endswith(b"LYRICS200") and tail[-15:-9].isdigit():
            end -= int(tail[-15:-9]) + 15
        elif tail.endswith(b"LYRICSEND"):
            span = min(end - start, 5100 + 9)
            f.seek(end - span)
            begin = f.read(span).rfind(b"LYRICSBEGIN")
            if begin < 0:
                break
            end -= span - begin
        elif tail[-10:-7] == b"3DI":
            end -= 20 + _syncsafe(tail[-4:])
        else:
            break
    if end <= start:
        raise MediaError(f"no audio between the tags of {f.name}")
    return end


def _flac_spans(f: BinaryIO, start: int, size: int) -> Iterator[Span]:
    offset = start + 4
    while True:
        f.seek(offset)
        header = f.read(4)
        if len(header) < 4:
            raise MediaError(f"truncated FLAC metadata in {f.name}")
        offset += 4 + int.from_bytes(header[1:4], "big")
        if header[0] & 0x80:
            break
    if offset >= size:
        raise MediaError(f"no FLAC frames in {f.name}")
    yield offset, size - offset


def _box_spans(f: BinaryIO, size: int) -> Iterator[Span]:
    """The bodies of the top-level ``mdat`` boxes of an MP4 file."""
    offset = 0
    while offset + 8 <= size:
        f.seek(offset)
        box_size, box_type = struct.unpack(">I4s", f.read(8))
        header = 8
        if box_size == 1:
            box_size = struct.unpack(">Q", f.read(8))[0]
            header = 16
        elif box_size == 0:
            box_size = size - offset
        if box_size < header or offset + box_size > size:
            raise MediaError(f"truncated or corrupt MP4 box {box_type!r} in {f.name}")
        if box_type == b"mdat":
            yield offset + header, box_size - header
        offset += box_size


def _chunk_spans(f: BinaryIO, offset: int, size: int, wanted: bytes, fmt: str) -> Iterator[Span]:
    """The body of the RIFF/IFF chunk ``wanted`` (WAV is little-endian, AIFF big-endian)."""
    while offset + 8 <= size:
        f.seek(offset)
        chunk_id = f.read(4)
        (length,) = struct.unpack(fmt, f.read(4))
        if chunk_id == wanted:
            yield offset + 8, min(length, size - offset - 8)
            return
        offset += 8 + length + (length & 1)
    raise MediaError(f"no {wanted.decode()} chunk in {f.name}")


def _header_packets(first_packet: bytes, name: str) -> int:
    """How many header packets open an Ogg stream whose first packet is ``first_packet``."""
    if first_packet.startswith(b"\x01vorbis"):
        return 3  # identification, comment, setup
    if first_packet.startswith(b"OpusHead"):
        return 2  # OpusHead, OpusTags
    if first_packet.startswith(b"\x7fFLAC") and len(first_packet) >= 9:
        return 1 + int.from_bytes(first_packet[7:9], "big")
    raise MediaError(f"unsupported Ogg codec in {name}")


def _ogg_spans(f: BinaryIO, start: int, size: int) -> Iterator[Span]:
    """Segment data of the audio packets of an Ogg file's logical stream(s), page by page.

    Header packets are counted from the lacing values (a value below 255 ends a packet), so a
    comment header spread over any number of pages is skipped. Chained streams follow one
    another; pages of streams multiplexed beside the first are ignored.
    """
    offset = start
    serial = None
    headers_left = 0
    ended = False
    while offset < size:
        f.seek(offset)
        header = f.read(27)
        if len(header) < 27 or not header.startswith(b"OggS"):
            raise MediaError(f"corrupt Ogg page at byte {offset} of {f.name}")
        flags = header[5]
        page_serial = struct.unpack("<I", header[14:18])[0]
        lacing = f.read(header[26])
        body = offset + 27 + len(lacing)
        body_len = sum(lacing)
        if len(lacing) < header[26] or body + body_len > size:
            raise MediaError(f"truncated Ogg page at byte {offset} of {f.name}")
        offset = body + body_len
        if flags & 0x02 and (serial is None or (headers_left == 0 and ended)):
            serial, headers_left, ended = page_serial, -1, False
        if page_serial != serial:
            continue
        ended = bool(flags & 0x04)
        if headers_left == -1:
            # The first packet is on the first page; a packet ends at a lacing value below 255.
            first_len = next((i for i, v in enumerate(lacing) if v < 255), len(lacing))
            first_packet = f.read(sum(lacing[: first_len + 1]))
            headers_left = _header_packets(first_packet, f.name)
        skip = 0
        for value in lacing:
            if headers_left == 0:
                break
            skip += value
            if value < 255:
                headers_left -= 1
        if skip < body_len and headers_left == 0:
            yield body + skip, body_len - skip
