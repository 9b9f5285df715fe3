"""Every version of an article, oldest first, and readable differences between them."""

from __future__ import annotations

import difflib
import json
import sqlite3
from dataclasses import dataclass

from tjcrawl.frontier import article_url


@dataclass(frozen=True)
class Version:
    title: str
    body: str
    content_hash: str
    seen_from: str | None
    seen_until: str | None  # None: the current version
    # JSON {"url", "old_sha256", "new_sha256"}: this version ended when that attachment changed
    attachment_change: str | None = None


@dataclass(frozen=True)
class History:
    url: str
    source: str
    withdrawn_at: str | None
    versions: list[Version]


def article_history(conn: sqlite3.Connection, url: str) -> History | None:
    row = conn.execute(
        "SELECT id, url, source, title, body, content_hash, last_changed_at, first_seen_at,"
        " withdrawn_at FROM articles WHERE url = ? OR url = ?",
        (url, article_url(url)),
    ).fetchone()
    if row is None:
        return None
    article_id, canonical, source, title, body, digest, changed, first_seen, withdrawn = row
    versions = [
        Version(r[0], r[1], r[2], r[3], r[4], r[5])
        for r in conn.execute(
            "SELECT title, body, content_hash, seen_from, replaced_at, attachment_change"
            " FROM revisions"
            " WHERE article_id = ? ORDER BY id",
            (article_id,),
        )
    ]
    versions.append(Version(title, body, digest, changed or first_seen, None))
    return History(canonical, source, withdrawn, versions)


def _inline(old: str, new: str) -> str:
    """One paragraph's change in place: [-removed-]{+added+}."""
    out = []
    for op, a1, a2, b1, b2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(old[a1:a2])
            continue
        if a2 > a1:
            out.append(f"[-{old[a1:a2]}-]")
        if b2 > b1:
            out.append(f"{{+{new[b1:b2]}+}}")
    return "".join(out)


def render_diff(old: Version, new: Version) -> str:
    """Paragraphs removed (-), added (+) and changed (~, with the change marked in place), and
    the attachment file that changed between them."""
    lines = []
    if old.attachment_change:
        change = json.loads(old.attachment_change)
        if "added" in change:
            lines.extend(f"+ attachment link {url}" for url in change["added"])
        else:
            lines.append(
                f"~ attachment {change['url']}: sha256 {change['old_sha256'][:12]}…"
                f" -> {change['new_sha256'][:12]}…"
            )
    if old.title != new.title:
        lines.append(f"~ title: {_inline(old.title, new.title)}")
    a, b = old.body.split("\n"), new.body.split("\n")
    for op, a1, a2, b1, b2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            continue
        if op == "replace" and a2 - a1 == b2 - b1:
            lines.extend(f"~ {_inline(x, y)}" for x, y in zip(a[a1:a2], b[b1:b2], strict=True))
            continue
        lines.extend(f"- {x}" for x in a[a1:a2])
        lines.extend(f"+ {y}" for y in b[b1:b2])
    return "\n".join(lines) or "(no difference in title or body)"
