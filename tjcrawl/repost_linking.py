"""Re-posts: which signatures to verify, with work and memory linear in the archive.

Step 3 of tjcrawl/reposts.py. The LSH bands put articles whose signatures agree on a band's
``ROWS`` values in one bucket. Verifying every pair of a bucket, as a MinHashLSH query does, is
quadratic: 10,000 copies of one report share every bucket, 50 million pairs, 14 minutes and
6 GB. But groups are connected components, and a pair inside one component already changes
nothing, so a bucket only has to join its *components*:

- the articles of a bucket already in one component (union-find over the whole run) are skipped;
  after the first band or two, the copies of one report all are, and a band costs a sort;
- each other component of the bucket is compared with the clusters formed before it in that
  bucket (at most ``MAX_CLUSTERS``, the latest), through a few members of each (``PROBES``):
  MinHash estimates first, in one numpy step; then the exact Jaccard of the best-estimated pairs
  at ``PREFILTER`` or above, until one holds (at most ``VERIFY_PER_COMPONENT`` per bucket);
- an article takes part in at most ``ARTICLE_BUDGET`` exact verifications that fail, in the
  whole run; one that holds joins two components, which happens fewer times than there are
  articles. So the pairs verified are at most (1 + ARTICLE_BUDGET / 2) per article, whatever
  the buckets hold; a pair is verified once (``verified`` remembers the answer).

In a bucket of a few articles this verifies what all pairs would (until one link holds), so
the groups are those of every-pair verification; in a bucket of thousands it verifies about one
pair per component. The price is recall in a contrived case (a component whose only link into
a big bucket is to a member that is not a probe): another band usually finds that pair.

Shingles (the exact Jaccard's input) are read and cut when a verification needs them and kept
in a cache of bounded size (``ShingleCache``), not all at once.
"""

from __future__ import annotations

import sqlite3
from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from tjcrawl.repost_text import article_shingles

if TYPE_CHECKING:
    from tjcrawl.progress import Progress

# Stored groups whose members did not change are taken as verified (reposts.compute_groups): a
# change of THRESHOLD must also bump NORMALISER_VERSION, so that every article is signed again.
THRESHOLD = 0.40
# 42 bands of 3 rows, what MinHashLSH(threshold=0.25, num_perm=128) chooses (a threshold well
# below THRESHOLD, for recall): a pair at Jaccard 0.40 shares a bucket with probability 0.94, at
# 0.50 with 0.996, at 0.05 with 0.005.
BANDS, ROWS = 42, 3
# Candidates whose MinHash estimate is below this are not checked exactly: at a true Jaccard of
# THRESHOLD the estimate (128 permutations, standard deviation 0.043) falls this low about once
# in 4,000 pairs; for true re-posts (0.5 and above) practically never.
PREFILTER = 0.25
PROBES = 4  # members of a component or cluster whose signatures are compared
MAX_CLUSTERS = 32  # clusters of a bucket a component is compared with
VERIFY_PER_COMPONENT = 8  # exact verifications for one component in one bucket
ARTICLE_BUDGET = 32  # failed exact verifications an article may take part in, in one run
SHINGLE_CACHE_BYTES = 64 << 20


class ShingleCache:
    """Articles' shingle hashes by row index, read from the archive when first needed; the
    least recently used are dropped past ``limit`` bytes."""

    def __init__(self, conn: sqlite3.Connection, ids: list[int], limit: int = SHINGLE_CACHE_BYTES):
        self.conn = conn
        self.ids = ids
        self.limit = limit
        self.size = 0
        self.loaded = 0
        self._kept: OrderedDict[int, Any] = OrderedDict()

    def get(self, index: int) -> Any:
        found = self._kept.get(index)
        if found is not None:
            self._kept.move_to_end(index)
            return found
        row = self.conn.execute(
            "SELECT title, body FROM articles WHERE id = ?", (self.ids[index],)
        ).fetchone()
        found = article_shingles(row[0] or "", row[1] or "")
        self.loaded += 1
        self._kept[index] = found
        self.size += found.nbytes
        while self.size > self.limit and len(self._kept) > 1:
            _, dropped = self._kept.popitem(last=False)
            self.size -= dropped.nbytes
        return found


def band_buckets(matrix: Any, band: int) -> Iterator[list[int]]:
    """The buckets of two or more rows of one band: rows whose band values are equal, each
    bucket in row order."""
    import numpy as np

    if len(matrix) < 2:
        return
    keys = matrix[:, band * ROWS : (band + 1) * ROWS]
    order = np.lexsort(keys.T[::-1])  # stable: a bucket's rows stay in row order
    ordered = keys[order]
    starts = np.flatnonzero(np.any(ordered[1:] != ordered[:-1], axis=1)) + 1
    bounds = np.concatenate(([0], starts, [len(order)]))
    for lo, hi in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
        if hi - lo > 1:
            yield order[lo:hi].tolist()


class Linker:
    """Union-find over the signature matrix's rows, joined by verified pairs, bucket by bucket."""

    def __init__(self, matrix: Any, similar: Callable[[int, int], float]) -> None:
        self.matrix = matrix
        self.similar = similar  # exact Jaccard of two rows' articles
        self.parent = list(range(len(matrix)))
        self.spent = [0] * len(matrix)
        self.verified: dict[tuple[int, int], bool] = {}
        self.proposed = 0  # pairs sharing a bucket, once per band
        self.estimated = 0  # pairs whose MinHash estimate was computed
        self.confirmed = 0  # verified pairs at THRESHOLD or above

    def find(self, x: int) -> int:
        parent = self.parent
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:  # path compression
            parent[x], x = root, parent[x]
        return root

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)

    def link_all(self, progress: Progress | None = None) -> None:
        for band in range(BANDS):
            if progress is not None:
                progress("re-posts: comparing articles (LSH bands)", band, BANDS)
            for bucket in band_buckets(self.matrix, band):
                self.proposed += len(bucket) * (len(bucket) - 1) // 2
                self.link_bucket(bucket)
        if progress is not None:
            progress("re-posts: comparing articles (LSH bands)", BANDS, BANDS)

    def link_bucket(self, bucket: list[int]) -> None:
        components: dict[int, list[int]] = {}
        for row in bucket:
            components.setdefault(self.find(row), []).append(row)
        if len(components) < 2:
            return
        clusters: list[list[int]] = []  # this bucket's rows by component, as joined so far
        for rows in components.values():
            joined = sorted(self._join(rows, clusters), reverse=True)
            if not joined:
                clusters.append(rows)
                continue
            parts = [clusters.pop(n) for n in joined]
            # The largest grows in place (a bucket of thousands is one growing cluster, not
            # copied for each member); the newest rows go last, where the probes are taken.
            largest = max(parts, key=len)
            for part in parts:
                if part is not largest:
                    largest.extend(part)
            largest.extend(rows)
            clusters.append(largest)

    def _join(self, rows: list[int], clusters: list[list[int]]) -> set[int]:
        """Which of `clusters` the component `rows` is joined with, verifying pairs."""
        first = max(0, len(clusters) - MAX_CLUSTERS)
        if first == len(clusters):
            return set()
        mine = rows[:PROBES]
        theirs = [clusters[n][-PROBES:] for n in range(first, len(clusters))]
        flat = [row for probes in theirs for row in probes]
        agree = (self.matrix[mine][:, None, :] == self.matrix[flat][None, :, :]).sum(axis=2)
        self.estimated += agree.size
        least = PREFILTER * self.matrix.shape[1]
        pairs: list[tuple[int, int, int, int]] = []  # (-agreement, cluster, mine, theirs)
        column = 0
        for n, probes in enumerate(theirs, start=first):
            for m, row in enumerate(mine):
                for k, other in enumerate(probes):
                    value = int(agree[m, column + k])
                    if value >= least:
                        pairs.append((-value, n, row, other))
            column += len(probes)
        pairs.sort()
        joined: set[int] = set()
        budget = VERIFY_PER_COMPONENT
        for _, n, row, other in pairs:
            if n in joined:
                continue
            if self.find(row) == self.find(other):  # joined through another cluster just now
                joined.add(n)
                continue
            if budget == 0:
                break
            known = self.verified.get((min(row, other), max(row, other)))
            if known is None:
                if self.spent[row] >= ARTICLE_BUDGET or self.spent[other] >= ARTICLE_BUDGET:
                    continue
                budget -= 1
                known = self._verify(row, other)
            if known:
                self.union(row, other)
                joined.add(n)
        return joined

    def _verify(self, a: int, b: int) -> bool:
        found = self.similar(a, b) >= THRESHOLD
        if not found:
            self.spent[a] += 1
            self.spent[b] += 1
        self.verified[(min(a, b), max(a, b))] = found
        self.confirmed += found
        return found

    def components(self) -> list[list[int]]:
        found: dict[int, list[int]] = {}
        for row in range(len(self.parent)):
            found.setdefault(self.find(row), []).append(row)
        return [rows for rows in found.values() if len(rows) > 1]
