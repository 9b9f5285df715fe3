"""Turn pages a run failed to extract into a fixture site, so the fix comes with a test."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from tjcrawl.fixture_paths import UnsavableURL, staged_site
from tjcrawl.storage.compression import page_body


@dataclass(frozen=True)
class FailedPage:
    run_id: str
    source: str
    url: str
    detail: str


def failed_pages(
    conn: sqlite3.Connection, source: str | None = None, run_id: str | None = None
) -> list[FailedPage]:
    """Pages whose extraction failed or on which a detail selector matched nothing, in each
    source's latest run (or the run named)."""
    # selector_missed: the generic extractor kept the article, but the profile needs fixing.
    where, params = ["f.kind IN ('extraction_failed', 'selector_missed')"], []
    if source:
        where.append("f.source = ?")
        params.append(source)
    if run_id:
        where.append("f.run_id = ?")
        params.append(run_id)
    else:
        where.append(
            "f.run_id = (SELECT run_id FROM crawl_runs c WHERE c.source = f.source"
            " ORDER BY id DESC LIMIT 1)"
        )
    rows = conn.execute(
        f"SELECT f.run_id, f.source, f.url, f.detail FROM faults f WHERE {' AND '.join(where)}"
        " ORDER BY f.source, f.url",
        params,
    )
    return [FailedPage(*row) for row in rows]


def _newest_body(conn: sqlite3.Connection, url: str) -> bytes | None:
    row = conn.execute(
        "SELECT body, compression FROM pages WHERE url = ? AND status = 200"
        " ORDER BY last_fetched_at DESC LIMIT 1",
        (url,),
    ).fetchone()
    if row is None:
        return None
    return page_body(row[0], row[1], conn)


@dataclass
class SavedSite:
    """One source's saved fixture site: the files written and the URLs skipped (and why)."""

    site: Path
    files: list[Path] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def summary(self, source: str) -> str:
        lines = [f"{source}: {len(self.files)} pages -> {self.site}"]
        lines += [f"  skipped {line}" for line in self.skipped]
        return "\n".join(lines)


def save_fixtures(
    conn: sqlite3.Connection, pages: list[FailedPage], out_dir: Path
) -> dict[str, SavedSite]:
    """Write each source's failed pages, and the listing pages of that run, as a fixture site.

    Pages are added to the site already there (same URL, new bytes). A URL that cannot be a
    fixture file (see tjcrawl.fixture_paths) is skipped and named in the result; the site is
    built beside the old one and replaces it whole.
    """
    saved: dict[str, SavedSite] = {}
    for source in sorted({p.source for p in pages}):
        mine = [p for p in pages if p.source == source]
        run_id = mine[0].run_id
        result = SavedSite(out_dir / source / "site")
        listings = [
            r[0]
            for r in conn.execute(
                "SELECT DISTINCT url FROM pages WHERE source = ? AND kind = 'listing'"
                " AND run_id = ? AND status = 200",
                (source, run_id),
            )
        ]
        written: list[str] = []
        with staged_site(result.site, keep=True) as writer:
            for url in dict.fromkeys([*listings, *(p.url for p in mine)]):
                body = _newest_body(conn, url)
                if body is None:
                    continue
                try:
                    writer.add(url, body)
                except UnsavableURL as exc:
                    result.skipped.append(str(exc))
                    continue
                written.append(url)
            (writer.root / "robots.txt").write_text("User-agent: *\nAllow: /\n", encoding="utf-8")
            # Paths inside the staging folder, as they will be in the site (a page may have
            # moved into a folder of its name since it was added).
            relative = [p.relative_to(writer.root) for u in written if (p := writer.path_of(u))]
        result.files = [result.site / r for r in relative]
        started = conn.execute(
            "SELECT started_at FROM crawl_runs WHERE run_id = ? AND source = ?", (run_id, source)
        ).fetchone()
        (out_dir / source / "fixture.toml").write_text(
            f'fetched_at = "{started[0] if started else ""}"\n'
            f"articles = {len(mine)}\n"
            f'description = "Pages that run {run_id} failed to extract"\n',
            encoding="utf-8",
        )
        (out_dir / source / "README.md").write_text(
            f"# {source}: pages that failed extraction in run {run_id}\n\n"
            "Saved by `tjcrawl failures --save-fixtures`. Fix the profile, then regenerate\n"
            "the goldens (`tjcrawl goldens`) and review them.\n",
            encoding="utf-8",
        )
        saved[source] = result
    return saved
