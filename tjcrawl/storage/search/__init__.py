"""Chinese full-text search with exactly the recall of a substring scan, in either script.

**Folding.** Title, body and query are folded character by character before anything else:
ASCII letters to lower case (as SQLite's LIKE does) and every traditional character to its
simplified form, by OpenCC's character table (TSCharacters plus its CJK compatibility
normalisation: 臺→台, 灣→湾, 資→资, 發→发, 於→于). The fold is per character and keeps the
length, so a substring of a text folds to a substring of the folded text: search never finds
less than LIKE does, the folded query is found at the same offset as in the original text,
and a simplified query over simplified text finds exactly what LIKE finds. "Substring scan"
means LIKE over the folded texts (`substring_scan_ids`). OpenCC's phrase tables are not
used: they depend on context, and a substring would then not fold as it does in its text.
An archive keeps the fold table it was indexed with (``articles_search_fold``), so a newer
OpenCC can never make the index and its deletions disagree.

**Index.** Every character is spelled as four base-36 digits of its code point, so that FTS5
sees one opaque ASCII token per position, whatever the character:

* ``articles_search`` (rowid = ``articles.id``): the distinct bigrams of
  ``title + END + body + END`` (each bigram that starts a position), without positions
  (detail=none, 40 % of a positional index). A 2-character query is one token, exact; a
  query of n >= 3 characters is the AND of its bigrams, which gives every article holding
  it and some that hold its bigrams apart: each candidate's text is tested (~5 µs, reading
  it). A one-character query is a prefix query there (what SQL and Datasette use, with
  ``tj_holds`` testing the candidates of longer queries);
* ``articles_search_chars``: the distinct characters of each article, no positions
  (detail=none): a one-character query is one token, which a prefix query on the bigram
  index is not without a prefix index (which would double that index);
* ``articles_search_counts``: the exact number of articles holding each token that is in at
  least ``HEAD_MIN_DOCS`` of them, made by `refresh_counts` and moved by every index and
  unindex, so that the total of 天津 or 的 is a lookup instead of a walk over 900,000 rows;
* ``articles_search_phrases``: the same for every phrase of 3 to 16 characters in at least
  ``HEAD_MIN_DOCS`` articles (招商引资, 推动经济社会高质), found by `refresh_phrases` and
  moved by every index and unindex from the texts (`tjcrawl.storage.phrase_counts`): an
  exact phrase count otherwise tests every article holding all of its bigrams.
* scope tokens: each article's source and publish year, month and day, indexed beside its
  text in both indexes (`scopes`), and ``articles_search_scope_counts``, the counts of every
  token and phrase in at least 100,000 articles by source, year, month and source-and-year
  (`scope_counts`).

**Worst case.** A phrase that is not kept (in fewer than ``HEAD_MIN_DOCS`` articles) but
whose bigrams are each common reads every article holding all of them: at most the whole
archive once, in id order, about what a LIKE scan of title and body costs (2–3 s at a
million). A kept phrase's total is a lookup and its first pages read about as many
candidates as they show; within a source or date filter only the candidates inside it are
read.

**Queries.** The total is a kept count, else the index's own exact count (1 or 2 characters)
or the number of candidates whose text holds the query. A source or date filter is the
index's scope tokens: the filter's whole years and months are kept counts for a very common
word or phrase, the rest an FTS5 intersection with the scope tokens, and the days a bound
cuts (and dates that are no calendar day) are joined and tested by the SQL filter, so a
filtered total stays exact. An archive whose index holds no scope tokens yet (read before
migration 25) joins each match to the covering index (id, source, published_at), or reads
the filtered articles when they are fewer than a 20th of a common word's matches
(`SCAN_COST_RATIO`). Newest first walks ``articles`` by ``published_at`` and tests each
article's text for the common words and phrases (a filtered query tries a short walk first),
and sorts the matches by date for the rare ones. Best first is FTS5's bm25 as a positional
index of the phrase would give it (one phrase, so its constant IDF drops out), computed from
the texts, the average length kept in ``tjcrawl_meta`` (``LENGTH_KEY``): over every match
when there are at most ``RANK_WINDOW``, else over the ``RANK_WINDOW`` most recently archived
ones.
Measurements: docs/benchmarks.md, "search".

The package is split by what it does:

- `common`: table names, meta keys and index sizes
- `folding`: the per-character fold to lower-case simplified
- `tokens`: base-36 character tokens, bigram streams, MATCH expressions
- `indexing`: creating the index, indexing and unindexing articles
- `counts`: kept counts of common tokens and phrases
- `scopes`: source and date scope tokens; a filter as scope tokens
- `scope_counts`: kept counts by scope of very common tokens and phrases
- `query`: one query's total, filters, walk and scoring
- `searching`: `search`, `search_sql`, snippets and the substring scan

The names are re-exported here so `from tjcrawl.storage.search import ...` keeps working.
"""

from tjcrawl.storage.search.common import (
    BIGRAMS,
    CHARS,
    COUNTS,
    COUNTS_KEY,
    END,
    FILTER_INDEX,
    FOLD_TABLE,
    HEAD_MIN_DOCS,
    META_KEY,
    PHRASE_CHUNK,
    PHRASE_LONGEST,
    PHRASE_SAMPLE,
    PHRASES,
    PHRASES_AT_KEY,
    PHRASES_KEY,
    PHRASES_REFRESH_GROWTH,
)
from tjcrawl.storage.search.counts import (
    LARGE_ARCHIVE,
    create_phrase_table,
    keep_counts_fresh,
    refresh_counts,
    refresh_phrases,
)
from tjcrawl.storage.search.folding import fold, fold_map, opencc_fold_map
from tjcrawl.storage.search.indexing import (
    create_char_index,
    create_index,
    index_article,
    index_articles,
    insert_prepared,
    make_char_index_scannable,
    optimize_index,
    unindex_article,
)
from tjcrawl.storage.search.query import JOIN_SORT_MAX, PROBE_BATCH, SCAN_COST_RATIO, _Query
from tjcrawl.storage.search.searching import (
    RANK_WINDOW,
    SearchHit,
    SearchResult,
    search,
    search_sql,
    snippet,
    substring_scan_ids,
)
from tjcrawl.storage.search.tokens import _folded_pairs, match_expression, prepare, prepare_many

__all__ = [
    "BIGRAMS",
    "CHARS",
    "COUNTS",
    "COUNTS_KEY",
    "END",
    "FILTER_INDEX",
    "FOLD_TABLE",
    "HEAD_MIN_DOCS",
    "JOIN_SORT_MAX",
    "LARGE_ARCHIVE",
    "META_KEY",
    "PHRASES",
    "PHRASES_AT_KEY",
    "PHRASES_KEY",
    "PHRASES_REFRESH_GROWTH",
    "PHRASE_CHUNK",
    "PHRASE_LONGEST",
    "PHRASE_SAMPLE",
    "PROBE_BATCH",
    "RANK_WINDOW",
    "SCAN_COST_RATIO",
    "SearchHit",
    "SearchResult",
    "_Query",
    "_folded_pairs",
    "create_char_index",
    "create_index",
    "create_phrase_table",
    "fold",
    "fold_map",
    "index_article",
    "index_articles",
    "insert_prepared",
    "keep_counts_fresh",
    "make_char_index_scannable",
    "match_expression",
    "opencc_fold_map",
    "optimize_index",
    "prepare",
    "prepare_many",
    "refresh_counts",
    "refresh_phrases",
    "search",
    "search_sql",
    "snippet",
    "substring_scan_ids",
    "unindex_article",
]
