"""The archive's schema as an ordered list of migrations.

`PRAGMA user_version` holds the number of migrations applied, and `tjcrawl_meta` repeats it as
`schema_version` so that any SQL client can read it. A migration only ever adds; downstream
tools can rely on a column once it has shipped.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlite_utils

from tjcrawl.storage import search_migrations
from tjcrawl.storage.facts import create_fact_tables
from tjcrawl.storage.facts_digest import create_digest_table


def _initial(db: sqlite_utils.Database) -> None:
    db["tjcrawl_meta"].create({"key": str, "value": str}, pk="key")
    db["sources"].create(
        {
            "slug": str,
            "name": str,
            "base_url": str,
            "allowed_domains": str,
            "profile_sha256": str,
            "verified": str,
            "updated_at": str,
        },
        pk="slug",
    )
    db["source_profiles"].create(
        {"sha256": str, "slug": str, "toml": str, "first_used_at": str}, pk="sha256"
    )
    db["crawl_runs"].create(
        {
            "id": int,
            "run_id": str,
            "source": str,
            "profile_sha256": str,
            "started_at": str,
            "finished_at": str,
            "requests": int,
            "responses": int,
            "bytes": int,
            "pages_stored": int,
            "items_scraped": int,
            "items_new": int,
            "items_changed": int,
            "items_unchanged": int,
            "items_failed": int,
            "items_duplicate": int,
            "field_failures": str,
            "finish_reason": str,
        },
        pk="id",
        not_null={"run_id", "source", "started_at"},
    )
    db["crawl_runs"].create_index(["run_id", "source"], unique=True)
    db["crawl_runs"].create_index(["source", "started_at"])
    db["pages"].create(
        {
            "id": int,
            "url": str,
            "source": str,
            "kind": str,
            "status": int,
            "headers": str,
            "body": bytes,
            "body_size": int,
            "body_sha256": str,
            "compression": str,
            "declared_encoding": str,
            "used_encoding": str,
            "encoding_how": str,
            "fetched_at": str,
            "last_fetched_at": str,
            "fetch_count": int,
            "run_id": str,
        },
        pk="id",
        not_null={"url", "fetched_at"},
    )
    db["pages"].create_index(["url", "body_sha256"], unique=True)
    db["articles"].create(
        {
            "id": int,
            "url": str,
            "source": str,
            "title": str,
            "published_at": str,
            "date_source": str,
            "date_precision": str,
            "date_conflict": int,
            "listing_date": str,
            "body": str,
            "body_html": str,
            "origin": str,
            "author": str,
            "content_hash": str,
            "duplicate_of": str,
            "page_id": int,
            "first_seen_at": str,
            "last_seen_at": str,
            "last_changed_at": str,
            "run_id": str,
        },
        pk="id",
        not_null={"url", "source", "title", "body", "content_hash", "first_seen_at"},
        foreign_keys=[("page_id", "pages", "id")],
    )
    db["articles"].create_index(["url"], unique=True)
    db["articles"].create_index(["source", "published_at"])
    db["articles"].create_index(["published_at"])
    db["articles"].create_index(["content_hash"])
    db["revisions"].create(
        {
            "id": int,
            "article_id": int,
            "url": str,
            "title": str,
            "published_at": str,
            "body": str,
            "origin": str,
            "author": str,
            "content_hash": str,
            "page_id": int,
            "seen_from": str,
            "replaced_at": str,
        },
        pk="id",
        foreign_keys=[("article_id", "articles", "id"), ("page_id", "pages", "id")],
    )
    db["revisions"].create_index(["article_id"])
    # Each character is indexed as the bigram it starts (see tjcrawl.storage.search): a phrase
    # of bigrams is an exact substring match, a bigram prefix an exact one-character match.
    db.execute(
        "CREATE VIRTUAL TABLE articles_search USING fts5("
        "title, body, content='', prefix='4', tokenize='unicode61')"
    )


def _nightly(db: sqlite_utils.Database) -> None:
    """Incremental crawls, revisit schedules, withdrawals, conditional requests and faults."""
    articles = db["articles"]
    articles.add_column("listing_title", str)
    articles.add_column("withdrawn_at", str)
    articles.add_column("last_checked_at", str)
    articles.add_column("revisit_interval_days", int)
    articles.add_column("next_revisit_at", str)
    articles.create_index(["source", "next_revisit_at"])
    db["pages"].add_column("etag", str)
    db["pages"].add_column("last_modified", str)
    db["pages"].create_index(["url", "last_fetched_at"])
    runs = db["crawl_runs"]
    runs.add_column("mode", str)
    runs.add_column("faults", str)
    runs.add_column("duration_s", float)
    runs.add_column("retries", int)
    runs.add_column("listing_pages", int)
    runs.add_column("listing_entries", int)
    db["faults"].create(
        {
            "id": int,
            "run_id": str,
            "source": str,
            "url": str,
            "kind": str,
            "status": int,
            "detail": str,
            "at": str,
        },
        pk="id",
        not_null={"run_id", "source", "url", "kind", "at"},
    )
    db["faults"].create_index(["run_id", "source"])
    db["faults"].create_index(["url"])


def _interface(db: sqlite_utils.Database) -> None:
    """The stable interface for downstream tools: views, change numbers, exports, re-posts."""
    db["articles"].add_column("change_seq", int)
    db["articles"].create_index(["change_seq"])
    db.execute("UPDATE articles SET change_seq = id")
    db["tjcrawl_meta"].upsert(
        {
            "key": "change_seq",
            "value": str(db.execute("SELECT coalesce(max(id), 0) FROM articles").fetchone()[0]),
        },
        pk="key",
    )
    db["exports"].create(
        {
            "id": int,
            "format": str,
            "target": str,
            "exported_at": str,
            "from_change_seq": int,
            "upto_change_seq": int,
            "articles": int,
        },
        pk="id",
    )
    db["repost_members"].create(
        {
            "article_id": int,
            "group_id": int,
            "is_canonical": int,
            "similarity": float,
        },
        pk="article_id",
        foreign_keys=[("article_id", "articles", "id")],
    )
    db["repost_members"].create_index(["group_id"])
    for sql in VIEWS_V3:
        db.execute(sql)


VIEWS_V3 = (
    """CREATE VIEW current_articles AS
    SELECT id, url, source, title, published_at, date_source, date_precision, date_conflict,
           origin, author, body, content_hash, duplicate_of, first_seen_at, last_seen_at,
           last_changed_at, withdrawn_at, change_seq
    FROM articles""",
    """CREATE VIEW article_revisions AS
    SELECT r.id, r.article_id, a.url, a.source, r.title, r.published_at, r.body, r.origin,
           r.author, r.content_hash, r.seen_from, r.replaced_at
    FROM revisions r JOIN articles a ON a.id = r.article_id""",
    """CREATE VIEW repost_groups AS
    SELECT m.group_id, m.article_id, m.is_canonical, m.similarity, a.url, a.source, a.title,
           a.origin, a.published_at
    FROM repost_members m JOIN articles a ON a.id = m.article_id""",
    """CREATE VIEW runs AS
    SELECT id, run_id, source, mode, started_at, finished_at, finish_reason, duration_s,
           requests, bytes, items_scraped, items_new, items_changed, items_unchanged,
           items_failed, faults
    FROM crawl_runs""",
)


def _attachments(db: sqlite_utils.Database) -> None:
    """Attachment links per article, and (with crawl --attachments) the files themselves."""
    db["attachments"].create(
        {"article_id": int, "url": str, "text": str, "first_seen_at": str},
        pk=("article_id", "url"),
        foreign_keys=[("article_id", "articles", "id")],
    )
    db["attachments"].create_index(["url"])
    db["attachment_files"].create(
        {
            "url": str,
            "status": int,
            "content_type": str,
            "size": int,
            "sha256": str,
            "body": bytes,
            "fetched_at": str,
            "run_id": str,
        },
        pk="url",
    )


def _repost_signatures(db: sqlite_utils.Database) -> None:
    """Re-posts: each article's MinHash, so that grouping after a crawl hashes only what changed."""
    db["repost_signatures"].create(
        {"article_id": int, "content_hash": str, "params": str, "minhash": bytes},
        pk="article_id",
        foreign_keys=[("article_id", "articles", "id")],
    )


def _sanitise_stored_body_html(db: sqlite_utils.Database) -> None:
    """body_html stored before it was sanitised, made safe like a new article's (allow-list:
    no scripts, handlers or javascript: links). The text, hash and change_seq stay: the
    article has not changed, and the raw page still holds what the site sent."""
    from tjcrawl.html_safety import sanitise_body_html

    last_id = 0
    while True:  # by pages of ids: a large archive's bodies never sit in memory at once
        rows = db.execute(
            "SELECT id, body_html FROM articles WHERE id > ? AND body_html IS NOT NULL"
            " ORDER BY id LIMIT 2000",
            (last_id,),
        ).fetchall()
        if not rows:
            return
        last_id = rows[-1][0]
        updates = [(clean, i) for i, html in rows if (clean := sanitise_body_html(html)) != html]
        db.conn.executemany("UPDATE articles SET body_html = ? WHERE id = ?", updates)


def _incomplete_articles(db: sqlite_utils.Database) -> None:
    """articles.incomplete: 1 for an article kept from a page that ended before its document
    did (tjcrawl.completeness); such an article is due again at once. current_articles shows it,
    so that no downstream tool takes a cut article for a whole one."""
    db["articles"].add_column("incomplete", int, not_null_default=0)
    db.execute("DROP VIEW current_articles")
    db.execute(CURRENT_ARTICLES_WITH_INCOMPLETE)


CURRENT_ARTICLES_WITH_INCOMPLETE = """CREATE VIEW current_articles AS
    SELECT id, url, source, title, published_at, date_source, date_precision, date_conflict,
           origin, author, body, content_hash, duplicate_of, first_seen_at, last_seen_at,
           last_changed_at, withdrawn_at, change_seq, incomplete
    FROM articles"""


def _entry_keys_by_title_and_date(db: sqlite_utils.Database) -> None:
    """Articles-mode entries (URL `…#entry-<hash>`) were keyed by their title alone, so a
    title repeated weekly kept one article; they are keyed by title and date now
    (tjcrawl.entry_keys). Each stored entry whose key is its title's gets the key of its listing
    title and date, so that the next crawl finds it under the key it computes."""
    from tjcrawl.entry_keys import PREFIX, entry_key, title_only_key

    rows = db.execute(
        "SELECT id, url, listing_title, listing_date FROM articles WHERE url LIKE ?",
        (f"%#{PREFIX}%",),
    ).fetchall()
    for article_id, url, listing_title, listing_date in rows:
        page, _, key = url.rpartition("#")
        if key != title_only_key(listing_title):
            continue  # not a key this rule made: left as it is
        new_url = f"{page}#{entry_key(listing_title, listing_date)}"
        db.execute("UPDATE articles SET url = ? WHERE id = ?", (new_url, article_id))
        db.execute("UPDATE revisions SET url = ? WHERE article_id = ?", (new_url, article_id))
        db.execute("UPDATE articles SET duplicate_of = ? WHERE duplicate_of = ?", (new_url, url))


def _incremental_completeness(db: sqlite_utils.Database) -> None:
    """Withdrawals confirmed by repeated misses, and sources whose 304s are not believed."""
    db["articles"].add_column("missed_count", int, not_null_default=0)
    db["sources"].add_column("stale_304_at", str)


def _run_losses_and_clock(db: sqlite_utils.Database) -> None:
    """What each run lost, by page kind and fault kind, and whether its clock went back.

    Runs are ordered by `crawl_runs.id` (the run sequence), not by start time; the index keeps
    "a source's latest run" a lookup."""
    runs = db["crawl_runs"]
    runs.add_column("losses", str)
    runs.add_column("clock_skew_s", float)
    runs.create_index(["source", "id"])


def _field_sources(db: sqlite_utils.Database) -> None:
    """articles.field_sources: JSON {field: where it came from}, "profile" for a selector of
    the profile, "generic" for the generic extractor (a field the profile leaves to it, or one
    whose selector matched nothing on the page). NULL for articles archived before."""
    if "field_sources" not in db["articles"].columns_dict:  # run again: harmless
        db["articles"].add_column("field_sources", str)


def _source_verification(db: sqlite_utils.Database) -> None:
    """Whether each source's profile works against its live site lives in the archive (it used
    to be a `verified` line that a live check wrote into the git-tracked profile): its state,
    why, its last live check and its last good run. `verified` keeps its meaning, the date of
    the last passing check; a source verified before keeps that as its state."""
    sources = db["sources"]
    for column in ("state", "state_reason", "state_at", "last_check_at", "last_good_run_at"):
        if column not in sources.columns_dict:  # run again (a user_version set back): harmless
            sources.add_column(column, str)
    db.execute(
        "UPDATE sources SET state = CASE WHEN coalesce(verified, 'never') = 'never'"
        " THEN 'unchecked' ELSE 'verified' END"
    )


def _attachment_texts(db: sqlite_utils.Database) -> None:
    """Attachment text (tjcrawl.attachments): per stored file its state, pages, method, the one
    line saying why a state is not ok, and the text read (for the bytes of `sha256`)."""
    if "attachment_texts" in db.table_names():  # run again (a user_version set back): harmless
        return
    db["attachment_texts"].create(
        {
            "url": str,
            "sha256": str,
            "state": str,
            "pages": int,
            "method": str,
            "detail": str,
            "text": str,
            "extracted_at": str,
        },
        pk="url",
        foreign_keys=[("url", "attachment_files", "url")],
    )
    db["attachment_texts"].create_index(["state"])


def _compression_dicts(db: sqlite_utils.Database) -> None:
    """zstd dictionaries trained per source on its own pages (tjcrawl.storage.compression); a
    page compressed with one says `zstd:dict:<id>` in `pages.compression`. Older pages keep
    `zlib` and stay readable."""
    if "compression_dicts" in db.table_names():  # run again (a user_version set back): harmless
        return
    db["compression_dicts"].create(
        {
            "id": int,
            "source": str,
            "created_at": str,
            "size": int,
            "samples": int,
            "sample_bytes": int,
            "sample_ratio": float,
            "zstd_dict_id": int,
            "dictionary": bytes,
        },
        pk="id",
        not_null={"source", "created_at", "dictionary"},
    )
    db["compression_dicts"].create_index(["source", "id"])


def _compressed_attachment_files(db: sqlite_utils.Database) -> None:
    """Attachment files are fetched by default now: their bytes are compressed like pages
    (`compression`: zstd; NULL for the files stored raw before, which stay readable). A file
    not kept (over a cap) has a row without body, so its state is kept beside it."""
    files = db["attachment_files"]
    if "compression" not in files.columns_dict:  # run again (a user_version set back): harmless
        files.add_column("compression", str)


MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [
    _initial,
    _nightly,
    _interface,
    _attachments,
    _repost_signatures,
    search_migrations.search_in_either_script,
    search_migrations.kept_phrase_counts,
    search_migrations.search_filter_index,
    _sanitise_stored_body_html,
    _incomplete_articles,
    _entry_keys_by_title_and_date,
    _incremental_completeness,
    _run_losses_and_clock,
    search_migrations.scannable_char_index,
    _field_sources,
    _source_verification,
    _attachment_texts,
    _compression_dicts,
    search_migrations.attachment_search_and_revisions,
    create_fact_tables,  # 招商引资 facts: article_facts and fact_projects (tjcrawl.storage.facts)
    _compressed_attachment_files,
    search_migrations.attachment_search_across_line_breaks,
    search_migrations.lean_search_index,
    create_digest_table,  # what each article's facts were computed from (storage.facts_digest)
    search_migrations.search_scopes,
]
SCHEMA_VERSION = len(MIGRATIONS)


class SchemaTooNew(RuntimeError):
    """The archive was written by a newer tjcrawl; this one must not touch it."""

    def __init__(self, version: int) -> None:
        super().__init__(newer_schema_message("the archive", version))
        self.version = version


def newer_schema_message(path: object, version: int) -> str:
    return f"{path}: written by a newer tjcrawl, schema {version}; upgrade tjcrawl"


def migrate(db: sqlite_utils.Database) -> int:
    """Bring the database up to SCHEMA_VERSION; returns how many migrations ran."""
    current = db.execute("PRAGMA user_version").fetchone()[0]
    if current > SCHEMA_VERSION:
        raise SchemaTooNew(current)
    for number in range(current, SCHEMA_VERSION):
        with db.atomic():
            MIGRATIONS[number](db)
            db["tjcrawl_meta"].upsert({"key": "schema_version", "value": str(number + 1)}, pk="key")
            db.execute(f"PRAGMA user_version = {number + 1}")
    return SCHEMA_VERSION - current
