"""The archive's migrations that build or rebuild its search indexes (tjcrawl.storage.search).

Kept apart from `tjcrawl.storage.migrations`, which lists every migration in order. Each
imports the search package when it runs: the search code is heavy and a migration of an
archive that is current never needs it.
"""

from __future__ import annotations

import sqlite_utils


def search_in_either_script(db: sqlite_utils.Database) -> None:
    """Search folded to simplified Chinese, fast at a million articles (tjcrawl.storage.search).

    Replaces articles_search (bigrams of the folded title END body END, one column) and adds
    articles_search_chars (each article's distinct characters), articles_search_fold (the
    traditional-to-simplified table the index was built with) and articles_search_counts
    (kept document counts of common tokens); re-indexes every article.
    """
    from tjcrawl.storage import search

    search.create_index(db.conn)


def kept_phrase_counts(db: sqlite_utils.Database) -> None:
    """articles_search_phrases: exact document counts of common phrases of 3 to 16
    characters, so that the total of 招商引资 at a million articles is a lookup. Empty until
    a large archive's next crawl (or ``refresh_phrases``) fills it."""
    from tjcrawl.storage import search

    search.create_phrase_table(db.conn)


def search_filter_index(db: sqlite_utils.Database) -> None:
    """A narrow covering index of each article's source and date by id, which search reads
    for every match of a query filtered by source or date (tjcrawl.storage.search)."""
    db["articles"].create_index(["id", "source", "published_at"])


def scannable_char_index(db: sqlite_utils.Database) -> None:
    """articles_search_chars keeps its row sizes, so that a full scan of it works (as
    `sqlite-utils tables --counts` does); re-indexes every article's characters."""
    from tjcrawl.storage import search

    search.make_char_index_scannable(db.conn)


def attachment_search_and_revisions(db: sqlite_utils.Database) -> None:
    """Attachment text in the exact search (tjcrawl.storage.search.attachments); a revision
    may record an attachment that changed under its article (`revisions.attachment_change`)."""
    from tjcrawl.storage.search import attachments as attachment_search

    if "attachment_change" not in db["revisions"].columns_dict:
        db["revisions"].add_column("attachment_change", str)
    if "articles_search_attachments" not in db.table_names():  # run again: harmless
        attachment_search.create_index(db.conn)


def attachment_search_across_line_breaks(db: sqlite_utils.Database) -> None:
    """The attachment search folds away a line break between two CJK characters (a PDF breaks
    lines inside words): the texts indexed before are indexed again the new way, since a
    contentless index forgets a text only given the tokens it was indexed with. Rebuilding is
    harmless when run again."""
    from tjcrawl.storage.search import attachments as attachment_search

    if "attachment_texts" in db.table_names():
        attachment_search.create_index(db.conn)


def lean_search_index(db: sqlite_utils.Database) -> None:
    """articles_search holds each article's distinct bigrams without positions (detail=none,
    40 % of the positional index): an archive indexed with positions is indexed again, and
    its common tokens and phrases counted again (a common phrase's total is otherwise a test
    of every candidate). Harmless when run again: an index without positions is kept."""
    from tjcrawl.storage import search

    row = db.conn.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (search.BIGRAMS,)
    ).fetchone()
    if row is None or "detail=none" not in row[0].replace(" ", ""):
        search.create_index(db.conn)
        search.refresh_phrases(db.conn)


def search_scopes(db: sqlite_utils.Database) -> None:
    """Each article's source and publish day indexed beside its text (scope tokens,
    tjcrawl.storage.search.scopes), so that a filtered search is one FTS5 intersection: an
    archive indexed without them is indexed again and its common phrases counted again; and
    articles_search_scope_counts, the counts of very common tokens and phrases by source,
    year and month (tjcrawl.storage.search.scope_counts), filled with the phrases. Harmless
    when run again: an index that holds them is kept."""
    from tjcrawl.storage import search
    from tjcrawl.storage.search.scope_counts import create_scope_count_table
    from tjcrawl.storage.search.scopes import scoped

    if not scoped(db.conn):
        search.create_index(db.conn)
        for name in (search.BIGRAMS, search.CHARS):  # a bulk load: one segment each
            db.conn.execute(f"INSERT INTO {name} ({name}) VALUES ('optimize')")
        search.refresh_phrases(db.conn)
    create_scope_count_table(db.conn)
