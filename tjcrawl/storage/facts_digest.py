"""What an article's facts were computed from, as one digest per article
(`article_facts_digest`), so that `tjcrawl reextract` recomputes only the facts whose inputs or
finder changed.

The digest covers the finder itself (a fingerprint of every file of the
`tjcrawl.extract.facts` package, code and data: it imports nothing else of tjcrawl, which a
test keeps true), the article's title and body, and the text of its attachments by URL. It is
written with the facts (`tjcrawl.storage.facts.write_facts`, the one place every path goes
through) and deleted when the finder fails, so that a failed article is tried again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from functools import cache

import sqlite_utils

TABLE = "article_facts_digest"
#: Hex characters kept of the SHA-256: 128 bits tell two inputs apart as well as 256 do here
#: (no adversary), at half the bytes per article.
DIGEST_CHARS = 32
UPSERT_SQL = f"INSERT OR REPLACE INTO {TABLE} (article_id, digest) VALUES (?, ?)"
DELETE_SQL = f"DELETE FROM {TABLE} WHERE article_id = ?"


@cache
def _package_fingerprint() -> str:
    from importlib import resources
    from importlib.resources.abc import Traversable

    def walk(folder: Traversable, prefix: str) -> Iterable[tuple[str, Traversable]]:
        for entry in folder.iterdir():
            if entry.name == "__pycache__" or entry.name.endswith(".pyc"):
                continue
            if entry.is_dir():
                yield from walk(entry, f"{prefix}{entry.name}/")
            else:
                yield f"{prefix}{entry.name}", entry

    # Through importlib.resources, so that a zipped egg (Scrapyd) hashes the same files.
    digest = hashlib.sha256()
    for name, entry in sorted(walk(resources.files("tjcrawl.extract.facts"), "")):
        digest.update(name.encode())
        digest.update(entry.read_bytes())
    return digest.hexdigest()


def finder_fingerprint() -> str:
    """SHA-256 over the names and bytes of the finder's files (.py and .toml), computed once a
    process: facts computed by another finder are told apart without anyone having to
    remember to bump a number."""
    return _package_fingerprint()


def facts_digest(title: str, body: str, attachments: Mapping[str, str]) -> str:
    """The digest of what an article's facts are computed from: the finder, title, body and
    each attachment's URL and text (by URL). Each part is length-prefixed, so no two
    different inputs run together into the same bytes."""
    digest = hashlib.sha256(finder_fingerprint().encode())
    for part in (title, body, *(p for url in sorted(attachments) for p in (url, attachments[url]))):
        data = part.encode()
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data)
    return digest.hexdigest()[:DIGEST_CHARS]


def create_digest_table(db: sqlite_utils.Database) -> None:
    """The migration: `article_facts_digest`, empty, so that an archive's existing facts are
    recomputed once by its next `reextract` (re-runnable). A table of its own rather than a
    column of `articles`: rewriting a digest then never rewrites an article's row and body."""
    if TABLE in db.table_names():
        return
    db[TABLE].create(
        {"article_id": int, "digest": str},
        pk="article_id",
        not_null={"digest"},
        foreign_keys=[("article_id", "articles", "id")],
    )
