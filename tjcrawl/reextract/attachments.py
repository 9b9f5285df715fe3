"""Re-reading the stored attachment files with the current readers (tjcrawl.attachments), as
`tjcrawl reextract` re-reads pages: each kept file's bytes (as received, through
`tjcrawl.storage.attachments.attachment_bytes`) read again in the worker process, and its
``attachment_texts`` row (and the search index with it) replaced where the state, text,
pages, method or detail came out different. A file whose reading is unchanged is not
touched. Nothing is fetched.
"""

from __future__ import annotations

import hashlib
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tjcrawl.attachments.states import Extracted
from tjcrawl.storage.attachments import attachment_bytes, store_attachment_text
from tjcrawl.storage.compression import PageUnreadable

if TYPE_CHECKING:
    from tjcrawl.attachments.worker import Worker
    from tjcrawl.storage.archive import Archive


@dataclass
class AttachmentReport:
    files: int = 0  # kept files read again
    changed: int = 0  # whose reading (state, text, pages, method, detail) came out different
    state_changed: int = 0  # of those, whose state changed (ok -> needs_ocr, damaged -> ok …)
    new: int = 0  # kept files that had no reading at all
    unreadable: int = 0  # stored bytes that do not decompress: left as they were
    # articles of sources not re-extracted in the run, linking a file whose reading changed,
    # whose facts then failed (a facts_failed fault row each)
    facts_failed: int = 0
    # the files re-read (skipped when a run reaches them again) and those whose row was written
    read: set[str] = field(default_factory=set, repr=False)
    stored: list[str] = field(default_factory=list, repr=False)

    def line(self) -> str:
        extras = [
            f"{n} {label}"
            for n, label in (
                (self.state_changed, "changed state"),
                (self.new, "read for the first time"),
                (self.unreadable, "stored bytes unreadable"),
                (self.facts_failed, "articles of other sources whose facts failed"),
            )
            if n
        ]
        return f"attachments: {self.files} files re-read, {self.changed} changed" + (
            f" ({', '.join(extras)})" if extras else ""
        )


def _urls(archive: Archive, sources: Sequence[str] | None) -> list[str]:
    if not sources:
        rows = archive.conn.execute("SELECT url FROM attachment_files ORDER BY url")
    else:
        marks = ",".join("?" * len(sources))
        rows = archive.conn.execute(
            "SELECT DISTINCT l.url FROM attachments l JOIN articles a ON a.id = l.article_id"
            f" JOIN attachment_files f ON f.url = l.url WHERE a.source IN ({marks})"
            " ORDER BY l.url",
            list(sources),
        )
    return [row[0] for row in rows]


def reread_attachments(
    archive: Archive,
    sources: Sequence[str] | None = None,
    worker: Worker | None = None,
    report: AttachmentReport | None = None,
) -> AttachmentReport:
    """Read every kept attachment file again (those linked from the named sources' articles,
    else all) and store what changed; counted in `report` when given (a run re-reading
    source by source), whose files already read are not read again."""
    from tjcrawl.attachments.worker import Worker

    report = report or AttachmentReport()
    urls = [url for url in _urls(archive, sources) if url not in report.read]
    report.read.update(urls)
    if not urls:
        return report
    conn = archive.conn
    # read_many answers in the order the files are handed over: (url, sha256) of each file
    # handed and not yet answered.
    handed: deque[tuple[str, str]] = deque()

    def files() -> Iterator[tuple[bytes, str]]:
        for url in urls:
            try:
                data = attachment_bytes(conn, url)
            except PageUnreadable:
                report.unreadable += 1
                continue
            if data is None:
                continue
            handed.append((url, hashlib.sha256(data).hexdigest()))
            yield data, url

    own = worker is None
    reader = worker or Worker()
    try:
        for got in reader.read_many(files()):
            url, sha256 = handed.popleft()
            report.files += 1
            _store_if_changed(archive, url, sha256, got, report)
    finally:
        if own:
            reader.close()
    return report


def _store_if_changed(
    archive: Archive, url: str, sha256: str, got: Extracted, report: AttachmentReport
) -> None:
    old = archive.conn.execute(
        "SELECT state, text, pages, method, detail, sha256 FROM attachment_texts WHERE url = ?",
        (url,),
    ).fetchone()
    if old is None:
        report.new += 1
    elif (old[0], old[1] or "", old[2], old[3], old[4] or "", old[5]) == (
        got.state,
        got.text,
        got.pages,
        got.method,
        got.detail,
        sha256,
    ):
        return
    else:
        report.changed += 1
        report.state_changed += old[0] != got.state
    store_attachment_text(archive, url=url, sha256=sha256, got=got)
    report.stored.append(url)
