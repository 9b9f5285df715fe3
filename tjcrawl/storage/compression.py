"""How raw pages are compressed: zstd, with a dictionary trained per source on its own pages.

`pages.compression` says what a page's `body` needs:

- ``zlib``: zlib (what tjcrawl wrote before zstd; still read, never written);
- ``zstd``: zstd without a dictionary (a source's first pages, before it has one);
- ``zstd:dict:<id>``: zstd with the dictionary `compression_dicts.id = <id>`;
- ``none`` (or null): the bytes as they are.

Every reader of raw pages goes through `page_body`; a page whose dictionary the archive does
not hold is a `MissingDictionary` error naming it, never garbage (zstd checks the dictionary's
id in the frame, and a frame's checksum).
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
import zlib
from dataclasses import dataclass

import zstandard

ZLIB = "zlib"
ZSTD = "zstd"
DICT_PREFIX = "zstd:dict:"
LEVEL = 3  # zstd's default: with a dictionary, ~5x zlib-6's speed and a third of its size
DICT_SIZE = 100 * 1024
TRAIN_AFTER = 200  # pages of a source before its first dictionary
SAMPLE_CAP = 128 * 1024  # bytes of one page a training sample keeps


class PageUnreadable(ValueError):
    """A stored page's bytes do not decompress."""


class MissingDictionary(PageUnreadable):
    """A page needs a compression dictionary the archive does not hold."""


@dataclass(frozen=True)
class Dictionary:
    id: int
    data: bytes
    ratio: float = 0.0  # compressed over raw bytes of the pages it was trained on


class Packer:
    """Compresses page bodies for one source: with its current dictionary, or none.

    zstd's compressor objects are not thread-safe: each thread gets its own.
    """

    def __init__(self, dictionary: Dictionary | None = None, level: int = LEVEL) -> None:
        self.dictionary = dictionary
        self.level = level
        self.compression = f"{DICT_PREFIX}{dictionary.id}" if dictionary else ZSTD
        self._zdict = zstandard.ZstdCompressionDict(dictionary.data) if dictionary else None
        self._local = threading.local()

    def compress(self, body: bytes) -> bytes:
        compressor = getattr(self._local, "compressor", None)
        if compressor is None:
            compressor = self._local.compressor = zstandard.ZstdCompressor(
                level=self.level, dict_data=self._zdict, write_checksum=True
            )
        return compressor.compress(body)


PLAIN = Packer()


@dataclass(frozen=True)
class PackedBody:
    """A page body as the archive keeps it: its SHA-256, compressed bytes and how."""

    sha256: str
    compressed: bytes
    compression: str = ZSTD

    @classmethod
    def of(cls, body: bytes, packer: Packer | None = None) -> PackedBody:
        packer = packer or PLAIN
        return cls(hashlib.sha256(body).hexdigest(), packer.compress(body), packer.compression)


# Decompressors by (connection, dictionary id): a dictionary is read once. Each entry holds
# its connection, so that the connection's id is not reused by another archive's while the
# entry lives (which served a page with a dictionary the archive no longer held). A decompressor
# that fails is still reloaded once (zstd checks the dictionary's own id in each frame, and
# the frame's checksum).
_decoders: dict[tuple[int, int], tuple[sqlite3.Connection, zstandard.ZstdDecompressor]] = {}
_decoders_lock = threading.Lock()
_PLAIN_DECOMPRESSOR = threading.local()


def _plain_decompressor() -> zstandard.ZstdDecompressor:
    found = getattr(_PLAIN_DECOMPRESSOR, "d", None)
    if found is None:
        found = _PLAIN_DECOMPRESSOR.d = zstandard.ZstdDecompressor()
    return found


def load_dictionary(conn: sqlite3.Connection, dict_id: int) -> bytes:
    try:
        row = conn.execute(
            "SELECT dictionary FROM compression_dicts WHERE id = ?", (dict_id,)
        ).fetchone()
    except sqlite3.OperationalError:  # an archive from before dictionaries
        row = None
    if row is None or not row[0]:
        raise MissingDictionary(
            f"a page needs compression dictionary {dict_id}, which this archive does not hold"
            " (compression_dicts); its bytes cannot be read"
        )
    return bytes(row[0])


def _dict_decompressor(
    conn: sqlite3.Connection, dict_id: int, fresh: bool = False
) -> zstandard.ZstdDecompressor:
    key = (id(conn), dict_id)
    with _decoders_lock:
        entry = None if fresh else _decoders.get(key)
    if entry is not None and entry[0] is conn:
        return entry[1]
    data = load_dictionary(conn, dict_id)
    found = zstandard.ZstdDecompressor(dict_data=zstandard.ZstdCompressionDict(data))
    with _decoders_lock:
        if len(_decoders) >= 64:
            _decoders.clear()
        _decoders[key] = (conn, found)
    return found


def page_body(
    stored: bytes | None, compression: str | None, conn: sqlite3.Connection | None = None
) -> bytes:
    """A page's bytes as they were received. `conn` (the archive) is needed for a page
    compressed with a dictionary."""
    if stored is None:
        return b""
    if compression == ZLIB:
        return zlib.decompress(stored)
    if compression in (None, "", "none"):
        return bytes(stored)
    if compression == ZSTD:
        try:
            return _plain_decompressor().decompress(stored)
        except zstandard.ZstdError as exc:
            raise PageUnreadable(f"a zstd page does not decompress ({exc})") from None
    if compression.startswith(DICT_PREFIX):
        try:
            dict_id = int(compression[len(DICT_PREFIX) :])
        except ValueError:
            dict_id = None
        if dict_id is not None:
            if conn is None:
                raise MissingDictionary(f"a page needs compression dictionary {dict_id}")
            try:
                return _dict_decompressor(conn, dict_id).decompress(stored)
            except zstandard.ZstdError:
                pass
            try:
                return _dict_decompressor(conn, dict_id, fresh=True).decompress(stored)
            except zstandard.ZstdError as exc:
                raise MissingDictionary(
                    f"a page compressed with dictionary {dict_id} does not decompress with the"
                    f" archive's dictionary {dict_id} ({exc})"
                ) from None
    raise ValueError(f"pages.compression {compression!r} is not one tjcrawl knows")


def train(samples: list[bytes], size: int = DICT_SIZE) -> bytes:
    """A zstd dictionary trained on these pages (each cut to SAMPLE_CAP bytes)."""
    cut = [sample[:SAMPLE_CAP] for sample in samples if sample]
    total = sum(len(sample) for sample in cut)
    # zstd wants far more sample bytes than dictionary bytes; a small site gets a small one.
    size = max(min(size, total // 10), 1024)
    trained = zstandard.train_dictionary(size, cut, level=LEVEL)
    return trained.as_bytes()


def ratio(packer: Packer, samples: list[bytes]) -> float:
    """Compressed bytes over raw bytes of these pages with this packer."""
    raw = sum(len(sample) for sample in samples)
    return sum(len(packer.compress(sample)) for sample in samples) / raw if raw else 1.0
