"""Re-extraction: rebuild articles from the stored pages with the current profiles, offline.

`tjcrawl reextract [SOURCE]...` takes each source's newest stored 200 copy of every page
(listing pages always, detail pages for ``mode = "links"`` profiles), rebuilds the response a
crawl would have handed the spider (stored URL, headers and bytes, decoded by the same encoding
decision as the EncodingMiddleware, the page's stored fetch time in ``meta["fetched_at"]`` so
that relative dates resolve as they did), runs the profile's spider callbacks and the
validate → normalise → deduplicate pipelines, and stores each item through
`Archive.store_article`: an article whose content hash changed gets a revision (and its
search-index entry replaced), a page that extracts for the first time becomes an article, and
an item that no longer extracts is counted (and recorded as an ``extraction_failed`` fault),
never stored and never deleted. Requests the callbacks yield are dropped: no network, ever.

On purpose, it differs from a crawl in what it claims to have *seen*:

* an unchanged article is not touched (a crawl would move ``last_seen_at``, double the revisit
  interval and clear ``withdrawn_at``): re-reading stored bytes saw nothing on the site;
* a changed article gets its revision, new text, ``last_changed_at`` and ``change_seq`` from
  `store_article`, but keeps its ``last_seen_at``, ``last_checked_at``, revisit schedule and
  ``withdrawn_at``;
* an article extracted for the first time is dated first and last seen when its page was
  first and last fetched.

Detail pages get their listing data (``listing_title``, ``listing_date``) from the stored
article, else from the source's stored listing pages as the current profile reads them.

The archive's run lock is held throughout (a crawl started meanwhile exits 4), and each source
gets a ``crawl_runs`` row with ``mode = 'reextract'`` (no requests, no bytes), so `tjcrawl runs`
and `tjcrawl health` show the re-extraction and its coverage.

The stored attachment files (those the named sources' articles link, else all) are read
again with the current readers (`attachments`); a reading that comes out different replaces
the stored one and the search index follows.

Extraction can run in forked worker processes (``workers``); results are still stored by this
process alone, in page order, so what is stored does not depend on the number of workers.

The package is split by what it does:

- `reports`: `SourceReport`, `Report`, `ReextractError`
- `stored`: stored pages and their responses
- `extractor`: the offline `Extractor` and its worker processes
- `runs`: a source's run and `reextract`
- `attachments`: the stored attachment files read again with the current readers

The names are re-exported here so `from tjcrawl.reextract import ...` keeps working.
"""

from tjcrawl.reextract.extractor import IGNORED_FAULTS, Extractor, Fault, PageResult, Task
from tjcrawl.reextract.reports import ReextractError, Report, SourceReport
from tjcrawl.reextract.runs import BATCH, MODE, TASK_PAGES, generic_profile, reextract
from tjcrawl.reextract.stored import StoredPage, load_pages, newest_pages, page_response

__all__ = [
    "BATCH",
    "IGNORED_FAULTS",
    "MODE",
    "TASK_PAGES",
    "Extractor",
    "Fault",
    "PageResult",
    "ReextractError",
    "Report",
    "SourceReport",
    "StoredPage",
    "Task",
    "generic_profile",
    "load_pages",
    "newest_pages",
    "page_response",
    "reextract",
]
