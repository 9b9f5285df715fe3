"""The names of the search tables and meta keys, and the sizes the index is built with."""

from __future__ import annotations

END = "zzzz"  # beyond the last code point (0x10FFFF is "ny2n"), so it never collides
BIGRAMS = "articles_search"
CHARS = "articles_search_chars"
FOLD_TABLE = "articles_search_fold"
COUNTS = "articles_search_counts"
PHRASES = "articles_search_phrases"
FILTER_INDEX = "idx_articles_id_source_published_at"
META_KEY = "search_fold_sha256"
COUNTS_KEY = "search_counts_generation"
PHRASES_KEY = "search_phrases_generation"
PHRASES_AT_KEY = "search_phrases_found_at_articles"
LENGTH_KEY = "search_text_length"  # bigrams in every article's title END body END (bm25)
HEAD_MIN_DOCS = 20_000  # a token in at least this many articles gets a kept, exact count
PHRASE_LONGEST = 16  # kept phrase counts are for 3 to this many characters
PHRASE_SAMPLE = 20_000  # articles read to find candidate phrases (then counted in all)
# ... and at most this many characters of them: finding candidates takes ~57 bytes a sampled
# character (20,000 bench articles peaked at 1.3 GB after a crawl; 3 M characters ~170 MB,
# refresh_phrases 250 MB in all at 50,000 articles; 2 M keeps it under 300 MB at a million).
PHRASE_SAMPLE_CHARS = 2_000_000
PHRASE_CHUNK = 1_000  # articles counted at a time (~55 bytes a character: 5,000 took 290 MB)
PHRASES_REFRESH_GROWTH = 1.1  # ... and finds the common phrases anew once grown by this

_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"
_CJK_RANGES = ((0x2E80, 0xA000), (0xF900, 0xFB00), (0x20000, 0x31350))
_ASCII_UPPER = {c: c + 32 for c in range(ord("A"), ord("Z") + 1)}
