"""A real OGG/Opus voice note (one second of silence) that a browser can decode and play.

The deployment's `voice_note()` only has the headers the bot checks; a test that a voice note
plays in the console needs a stream Chromium accepts, so this one is written page by page per
RFC 3533 (OGG) and RFC 7845 (Opus in OGG), with 20 ms CELT silence frames.
"""

from __future__ import annotations

import struct

SAMPLE_RATE = 48_000
PRE_SKIP = 312
FRAMES = 50  # 50 x 20 ms = 1 s: one page a second
SILENCE_FRAME = b"\xf8\xff\xfe"  # TOC: CELT full band 20 ms, mono, one frame; then silence
SERIAL = 0x5E1E_C7ED


def _crc_table() -> list[int]:
    table = []
    for index in range(256):
        crc = index << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7) if crc & 0x80000000 else crc << 1
        table.append(crc & 0xFFFFFFFF)
    return table


_TABLE = _crc_table()


def _crc(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc = ((crc << 8) & 0xFFFFFFFF) ^ _TABLE[((crc >> 24) & 0xFF) ^ byte]
    return crc


def _page(packets: list[bytes], sequence: int, granule: int, flags: int) -> bytes:
    lacing = bytearray()
    for packet in packets:
        lacing += b"\xff" * (len(packet) // 255) + bytes([len(packet) % 255])
    header = struct.pack("<4sBBqIIIB", b"OggS", 0, flags, granule, SERIAL, sequence, 0, len(lacing))
    page = bytearray(header + bytes(lacing) + b"".join(packets))
    struct.pack_into("<I", page, 22, _crc(bytes(page)))
    return bytes(page)


def opus_voice_note(seconds: int = 1) -> bytes:
    """`seconds` of Opus silence in an OGG stream: OpusHead, OpusTags, then the audio."""
    head = b"OpusHead" + struct.pack("<BBHIhB", 1, 1, PRE_SKIP, SAMPLE_RATE, 0, 0)
    vendor = b"grievance-tests"
    tags = b"OpusTags" + struct.pack("<I", len(vendor)) + vendor + struct.pack("<I", 0)
    frames = FRAMES * seconds
    pages = [_page([head], 0, 0, 0x02), _page([tags], 1, 0, 0x00)]
    for index, start in enumerate(range(0, frames, FRAMES)):
        count = min(FRAMES, frames - start)
        last = start + count == frames
        granule = (start + count) * 960
        pages.append(_page([SILENCE_FRAME] * count, 2 + index, granule, 0x04 if last else 0))
    return b"".join(pages)
