"""Re-post texts: normalised, cut into shingles, summarised as MinHash signatures.

The steps 1 and 2 of tjcrawl/reposts.py (which says why the parameters are what they are).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

SHINGLE = 5
NUM_PERM = 128
SEED = 20250823
# Fewer letters and digits than this (title included) is too little text to tell a re-post from
# a template notice ("关于…的通知 / 详见附件"): such articles are never grouped.
MIN_CHARS = 40
NORMALISER_VERSION = 1
PARAMS = f"v{NORMALISER_VERSION}-k{SHINGLE}-p{NUM_PERM}-s{SEED}-affine32"

# A short line that only says where the text came from or who handled it.
_METADATA_LINE = re.compile(
    r"^[（(【\[]?\s*(?:来源|稿源|本文来源|文章来源|信息来源|转自|转载自|原标题|责任编辑|编辑|"
    r"作者|记者|通讯员|审核|审校|校对|供稿|摄影|图片来源)\s*[:：]"
)
_METADATA_MAX_LEN = 100
_NOT_LETTER_OR_DIGIT = re.compile(r"[\W_]+")


# -- text -----------------------------------------------------------------------------------------
def normalise(title: str, body: str) -> str:
    """Title and body as one run of lower-case letters and digits, metadata lines dropped."""
    lines = [
        line
        for line in f"{title}\n{body}".split("\n")
        if not (len(line) <= _METADATA_MAX_LEN and _METADATA_LINE.match(line.strip()))
    ]
    text = _NOT_LETTER_OR_DIGIT.sub("", "".join(lines))
    # NFKC after the punctuation is gone, where it is cheap: full-width digits and letters become
    # plain ones; what it turns into punctuation (㈠ -> (一)) is removed again.
    if not unicodedata.is_normalized("NFKC", text):
        text = _NOT_LETTER_OR_DIGIT.sub("", unicodedata.normalize("NFKC", text))
    return text.lower()


def shingles(text: str, k: int = SHINGLE) -> set[str]:
    """The set of overlapping k-character pieces of a normalised text (for reading, not speed)."""
    if len(text) <= k:
        return {text} if text else set()
    return {text[i : i + k] for i in range(len(text) - k + 1)}


def shingle_hashes(text: str, k: int = SHINGLE) -> Any:
    """The shingles of a normalised text as a sorted array of distinct 64-bit hashes.

    A polynomial hash of each window of k code points (mod 2**64, computed for all windows at
    once) followed by a 64-bit finaliser: stable across processes and machines, and without a
    collision in practice, so that set operations on it are the exact Jaccard of the shingles.
    """
    import numpy as np

    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    width = min(k, len(codes))
    count = len(codes) - width + 1
    if width == 0:
        return np.empty(0, dtype=np.uint64)
    with np.errstate(over="ignore"):
        value = np.zeros(count, dtype=np.uint64)
        for j in range(width):
            value = value * _POLY + codes[j : j + count]
        value ^= value >> np.uint64(33)  # the finaliser of MurmurHash3 (fmix64)
        value *= np.uint64(0xFF51AFD7ED558CCD)
        value ^= value >> np.uint64(33)
        value *= np.uint64(0xC4CEB9FE1A85EC53)
        value ^= value >> np.uint64(33)
    value.sort()
    distinct = np.empty(len(value), dtype=bool)
    distinct[0] = True
    np.not_equal(value[1:], value[:-1], out=distinct[1:])
    return value[distinct]


_POLY = 0x100000001B3  # odd: the 64-bit FNV prime


def article_shingles(title: str, body: str) -> Any:
    """An article's shingle hashes; empty when it is too short to be compared."""
    import numpy as np

    text = normalise(title or "", body or "")
    if len(text) < MIN_CHARS:
        return np.empty(0, dtype=np.uint64)
    return shingle_hashes(text)


def jaccard(a: Any, b: Any) -> float:
    """Exact Jaccard similarity of two sorted arrays of distinct shingle hashes."""
    import numpy as np

    if len(a) == 0 or len(b) == 0:
        return 0.0
    if len(a) > len(b):
        a, b = b, a
    found = np.searchsorted(b, a)
    found[found == len(b)] = 0
    inter = int(np.count_nonzero(b[found] == a))
    return inter / (len(a) + len(b) - inter)


def affine32_permutations(num_perm: int, seed: int) -> tuple[Any, Any]:
    """datasketch's affine32 permutations (``MinHash(num_perm, seed, scheme="affine32")
    .permutations``; a test holds them equal), drawn here: importing datasketch imports scipy,
    60 MB of a crawl's memory for two arrays of 128 numbers."""
    import numpy as np

    gen = np.random.RandomState(seed)
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return a, b


class Signer:
    """MinHash signatures with fixed permutations: the same text always gives the same bytes.

    The values are those of datasketch's ``MinHash(num_perm=NUM_PERM, seed=SEED,
    scheme="affine32")`` fed the shingles' 64-bit hashes folded to 32 bits (its permutations
    are taken from it), so signatures stored by earlier versions stay valid; but computed here
    in numpy, a block of shingles at a time: datasketch's ``update_batch`` passes every value
    through a Python list and took 3.3 ms for a 4,800-character article against 0.5 ms here.
    """

    # MurmurHash3's 32-bit finaliser (fmix32), which affine32 applies to each input first.
    _FMIX = (16, 0x85EBCA6B, 13, 0xC2B2AE35, 16)
    _BLOCK = 2048  # shingles per step: a block's products take 2048 x NUM_PERM x 4 bytes (1 MB)

    def __init__(self) -> None:
        self._a, self._b = affine32_permutations(NUM_PERM, SEED)

    def values(self, hashes: Any) -> Any:
        """The signature of an array of shingle hashes, as NUM_PERM uint32 values."""
        import numpy as np

        s1, m1, s2, m2, s3 = (np.uint32(v) for v in self._FMIX)
        folded = (((hashes >> np.uint64(32)) ^ hashes) & np.uint64(0xFFFFFFFF)).astype(np.uint32)
        with np.errstate(over="ignore"):
            mixed = folded ^ (folded >> s1)
            mixed *= m1
            mixed ^= mixed >> s2
            mixed *= m2
            mixed ^= mixed >> s3
            found = np.full(NUM_PERM, 0xFFFFFFFF, dtype=np.uint32)
            for start in range(0, len(mixed), self._BLOCK):
                block = mixed[start : start + self._BLOCK, None] * self._a + self._b
                np.minimum(found, block.min(axis=0), out=found)
        return found

    def signature(self, hashes: Any) -> Any:
        from datasketch import LeanMinHash

        return LeanMinHash(seed=SEED, hashvalues=self.values(hashes), scheme="affine32")

    @staticmethod
    def from_bytes(data: bytes) -> Any:
        import numpy as np
        from datasketch import LeanMinHash

        values = np.frombuffer(data, dtype="<u4")
        return LeanMinHash(seed=SEED, hashvalues=values, scheme="affine32")

    @staticmethod
    def to_bytes(minhash: Any) -> bytes:
        import numpy as np

        return np.asarray(minhash.hashvalues, dtype="<u4").tobytes()
