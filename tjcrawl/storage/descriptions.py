"""What every table, view and column of the archive means: one source for docs/schema.md,
Datasette's metadata and the README. A test fails when a column has no description."""

from __future__ import annotations

ARTICLE_COLUMNS = {
    "id": "Integer key; also the full-text index rowid.",
    "url": "Canonical URL: lower-case host, no default port, fragment or tracking parameters, "
    "sorted query. Entries without a page of their own: first listing URL#entry-<hash of "
    "title and date>.",
    "source": "Profile slug (see `sources`).",
    "title": "Title without the site-name suffix.",
    "published_at": "Publish date, ISO 8601 with +08:00 (midnight when only the day is known).",
    "date_source": "Where the date came from: detail, listing or url.",
    "date_precision": "day, minute or second.",
    "date_conflict": "1 when the detail page, the listing and the URL disagree on the day.",
    "origin": "来源 (the stated origin), label removed.",
    "author": "Author, label removed.",
    "body": "Article text, one paragraph per line, boilerplate removed.",
    "content_hash": "SHA-256 of title and body; changes when the article changes.",
    "duplicate_of": "URL of an earlier article with exactly the same content, if any.",
    "first_seen_at": "When a crawl first archived it.",
    "last_seen_at": "When a crawl last saw it (listing or page).",
    "last_changed_at": "When its title or body last changed (first_seen_at if never).",
    "withdrawn_at": "When its page was found gone (404/410) for the 2nd run in a row; never "
    "deleted. A withdrawn page is re-checked after 1, 2, 4 … days (up to 32), and cleared when "
    "it answers again.",
    "change_seq": "Grows with every new, changed or withdrawn article: "
    "export --changed-since-last-export hands over rows above the last export's number.",
    "incomplete": "1 when the page ended before its document did (cut by the connection or a "
    "short Content-Length; a fault `incomplete` says which): the text may lack its end, and "
    "the page is fetched again on the next run.",
}

DESCRIPTIONS: dict[str, tuple[str, dict[str, str]]] = {
    "articles": (
        "One row per canonical URL: the current version of every article ever archived.",
        {
            **ARTICLE_COLUMNS,
            "listing_date": "The listing's date text, as shown.",
            "listing_title": "The title as the listing showed it (a change triggers a re-fetch).",
            "body_html": "The body's HTML after boilerplate removal, sanitised with an "
            "allow-list: no scripts, event handlers or javascript: links. The raw page "
            "(pages.body) keeps the bytes as received.",
            "page_id": "The raw page it was extracted from (pages.id).",
            "run_id": "The last run that touched it.",
            "last_checked_at": "When its page was last fetched or confirmed unchanged (304).",
            "revisit_interval_days": "Days until the next re-check; doubles while unchanged.",
            "next_revisit_at": "When it is next due for a re-check (NULL: none; articles are "
            "revisited while published within the last 90 days; missing and withdrawn pages "
            "are re-checked whatever their age).",
            "missed_count": "Runs in a row whose fetch of its page answered 404/410 (0 once it "
            "answers); it is withdrawn at 2.",
            "field_sources": "JSON {field: source} for title, date, body, origin, author: "
            '"profile" (a selector of the profile), "generic" (the generic extractor: the '
            "profile leaves the field to it, or its selector matched nothing on the page), "
            '"listing" or "url" (a title or date the page did not give). NULL before schema 15.',
        },
    ),
    "revisions": (
        "Every earlier version of an article whose title, body or stated publish date changed "
        "(a date resolved from 3天前 or 昨天 is kept from the first fetch, never revised), or "
        "one of whose attachment files was replaced by a different file.",
        {
            "id": "Integer key.",
            "article_id": "The article (articles.id).",
            "url": "The article's URL.",
            "title": "Title of this earlier version.",
            "published_at": "Publish date of this earlier version.",
            "body": "Body of this earlier version.",
            "origin": "来源 of this earlier version.",
            "author": "Author of this earlier version.",
            "content_hash": "SHA-256 of this version's title and body.",
            "page_id": "The raw page this version came from.",
            "seen_from": "When this version was first seen.",
            "replaced_at": "When a newer version replaced it.",
            "attachment_change": 'JSON {"url", "old_sha256", "new_sha256"} when this version '
            'ended because an attachment file at that URL changed, or {"added": [urls]} '
            "when attachment links were added to it (title and body may be the same); NULL "
            "otherwise.",
        },
    ),
    "pages": (
        "Every listing and detail page fetched, raw; a page fetched again unchanged is one row.",
        {
            "id": "Integer key.",
            "url": "The URL fetched.",
            "source": "Profile slug.",
            "kind": "listing or detail.",
            "status": "HTTP status.",
            "headers": "Response headers, JSON {name: [values]}.",
            "body": "The raw response bytes, compressed as `compression` says.",
            "body_size": "Size of the raw bytes.",
            "body_sha256": "SHA-256 of the raw bytes.",
            "compression": "How `body` is compressed: zstd, zstd:dict:<compression_dicts.id>, "
            "or zlib (pages stored before zstd).",
            "declared_encoding": "The charset the page declared (header or meta).",
            "used_encoding": "The encoding its bytes were decoded with.",
            "encoding_how": "declared, detected, ascii, bom, forced, or utf-8 / gb18030 / big5 "
            "despite declaration; ', lossy' when a few undecodable bytes were replaced.",
            "fetched_at": "When these bytes were first fetched.",
            "last_fetched_at": "When these bytes were last fetched (or confirmed by a 304).",
            "fetch_count": "How many fetches returned these bytes.",
            "run_id": "The last run that fetched it.",
            "etag": "ETag, sent back in a conditional GET.",
            "last_modified": "Last-Modified, sent back in a conditional GET.",
        },
    ),
    "crawl_runs": (
        "One row per run and source: what it fetched, stored and met.",
        {
            "id": "Integer key and run sequence: runs are ordered by it, not by their clock.",
            "run_id": "The run (one per tjcrawl invocation).",
            "source": "Profile slug.",
            "profile_sha256": "The profile as used (source_profiles.sha256).",
            "started_at": "Start time.",
            "finished_at": "End time; NULL when the run did not finish.",
            "requests": "HTTP requests made (robots.txt included).",
            "responses": "HTTP responses received.",
            "bytes": "Response bytes received.",
            "pages_stored": "Pages written or touched in `pages`.",
            "items_scraped": "Items extracted.",
            "items_new": "New articles.",
            "items_changed": "Articles that changed (a revision was kept).",
            "items_unchanged": "Articles seen again unchanged.",
            "items_failed": "Articles that should have been archived and were not: pages lost to"
            " a fault (timeout, 5xx, truncated, too large, offsite redirect …), items refused"
            " (missing title or body, undecodable) or broken, writes that failed.",
            "items_duplicate": "Items dropped as a repeat within the run.",
            "field_failures": "JSON: missing fields, per-field coverage counts, and `generic`:"
            " {field: items} whose detail selector matched nothing and which the generic"
            " extractor filled (the selector is reported broken).",
            "finish_reason": "finished, interrupted, write_failed (archive writes failed: the"
            " next run resumes), or another Scrapy finish reason.",
            "mode": "incremental, sweep (every listing page by conditional GET, at least "
            "weekly), resume, full or reextract.",
            "faults": "JSON {kind: count} of the run's `faults` rows.",
            "duration_s": "Wall-clock seconds.",
            "retries": "Requests retried (5xx, timeouts) before success or giving up.",
            "listing_pages": "Listing pages parsed.",
            "listing_entries": "Listing entries found.",
            "losses": 'JSON {"article"|"listing"|"attachment": {kind: count}}: what the run'
            " lost, by fault kind; its articles add up to items_failed.",
            "clock_skew_s": "Seconds by which the run started before the source's previous run"
            " (the clock went back; fault clock_skew); NULL when it did not.",
        },
    ),
    "faults": (
        "One row per page that went wrong in a run.",
        {
            "id": "Integer key.",
            "run_id": "The run.",
            "source": "Profile slug.",
            "url": "The page.",
            "kind": "http_NNN, timeout, connection_lost, truncated, incomplete, too_large, "
            "redirect_loop, "
            "robots_disallowed, wrong_content_type, undecodable, lossy_decode, empty_body, "
            "pagination_cap, extraction_failed, bad_link (detail: the raw href), offsite, "
            "too_deep, write_failed (detail: the cause), stale_304, clock_skew (the run started"
            " before the previous one), selector_missed (a detail selector matched nothing; the"
            " generic extractor filled the field) …",
            "status": "HTTP status, when there was one.",
            "detail": "What happened, in words.",
            "at": "When.",
        },
    ),
    "sources": (
        "Every source crawled, with its profile as last used.",
        {
            "slug": "Profile slug.",
            "name": "Display name.",
            "base_url": "First start URL.",
            "allowed_domains": "JSON list of hosts the spider may fetch.",
            "profile_sha256": "The profile's hash (source_profiles.sha256).",
            "verified": "never, or the day of the last passing live check: `tjcrawl source "
            "check --live --db`, or a crawl that extracted well. Seeded once from a profile's "
            "deprecated `verified` key; nothing writes it into a profile any more.",
            "state": "Whether the profile works against the live site: unchecked (no live check "
            "or crawl yet), verified (the last check or crawl with items extracted well), "
            "failing (its extraction broke, or it lost most of its pages), blocked (the site "
            "answered with a block or challenge page: a WAF, a JavaScript cookie challenge, "
            "403/412/521). Set by every crawl and live check.",
            "state_reason": "Why, in one line (the first problem; for blocked, the advice).",
            "state_at": "When the state was last set.",
            "last_check_at": "When the source was last checked live: `source check --live "
            "--db`, or its first crawl, which is its live check.",
            "last_good_run_at": "When a crawl of it last finished with no problem.",
            "stale_304_at": "When an unconditional re-fetch showed that the source answers 304 "
            "for pages that changed (fault stale_304); from then on its pages are fetched "
            "without If-None-Match / If-Modified-Since. NULL: its 304s are believed.",
            "updated_at": "When this row was last written.",
        },
    ),
    "source_profiles": (
        "Every version of every profile that was used, as TOML.",
        {
            "sha256": "SHA-256 of the TOML text.",
            "slug": "Profile slug.",
            "toml": "The profile.",
            "first_used_at": "When a run first used this version.",
        },
    ),
    "exports": (
        "Every export, so that the next can hand over only what changed since.",
        {
            "id": "Integer key.",
            "format": "jsonl, csv or warc.",
            "target": "Where it was written (a path, or stdout).",
            "exported_at": "When.",
            "from_change_seq": "Rows above this change number were included.",
            "upto_change_seq": "The highest change number at export time.",
            "articles": "How many articles it held.",
        },
    ),
    "repost_members": (
        "Re-posts (转载): articles grouped as the same report republished.",
        {
            "article_id": "The article (articles.id).",
            "group_id": "The group: the id of its canonical member.",
            "is_canonical": "1 for the group's canonical member (the earliest).",
            "similarity": "Jaccard similarity of the member's text to the canonical member's "
            "(5-character shingles of title and body, punctuation and 来源 lines ignored).",
        },
    ),
    "repost_signatures": (
        "Re-posts: each article's MinHash signature, kept so that only new and changed "
        "articles are hashed again (a cache: safe to empty).",
        {
            "article_id": "The article (articles.id).",
            "content_hash": "The article's content_hash when the signature was computed.",
            "params": "Normaliser version, shingle length, permutations and seed used.",
            "minhash": "128 little-endian 32-bit hash values; NULL when the text is too short.",
        },
    ),
    "attachments": (
        "Attachment links (PDF, DOC/DOCX, XLS/XLSX, ZIP …) found on each article.",
        {
            "article_id": "The article (articles.id).",
            "url": "The attachment's URL (attachment_files.url when its bytes were kept).",
            "text": "The link text (附件1：…).",
            "first_seen_at": "When the link was first seen.",
        },
    ),
    "attachment_files": (
        "Attachment files fetched with their article (by default; crawl --no-attachments "
        "fetches none). A file over a cap (bytes, or files per article) has a row without body "
        "and its too_large state in attachment_texts.",
        {
            "url": "The attachment's URL.",
            "status": "HTTP status; null for a file not fetched (over the per-article count).",
            "content_type": "Content-Type as served.",
            "size": "Bytes (of the file as served, before compression); null when not kept.",
            "sha256": "SHA-256 of the bytes as served; null when not kept.",
            "body": "The file, compressed as `compression` says; null when not kept.",
            "fetched_at": "When.",
            "run_id": "The run that fetched it.",
            "compression": "How `body` is compressed: zstd, or none when zstd would not make it"
            " smaller; null for the bytes as served in rows stored before schema 19.",
        },
    ),
    "compression_dicts": (
        "zstd dictionaries trained on a source's own pages; a page compressed with one names it "
        "in pages.compression (zstd:dict:<id>). Never deleted while a page needs it.",
        {
            "id": "Integer key, in pages.compression as zstd:dict:<id>.",
            "source": "Profile slug whose pages trained it.",
            "created_at": "When it was trained.",
            "size": "Size of the dictionary in bytes.",
            "samples": "How many pages it was trained on.",
            "sample_bytes": "Raw bytes of those pages.",
            "sample_ratio": "Compressed over raw bytes of those pages with it (0.12 = 12 %).",
            "zstd_dict_id": "The id zstd writes in each frame compressed with it.",
            "dictionary": "The dictionary's bytes.",
        },
    ),
    "attachment_texts": (
        "The text read from each kept attachment file (tjcrawl.attachments), and its state.",
        {
            "url": "The attachment's URL (attachment_files.url).",
            "sha256": "SHA-256 of the bytes that were read.",
            "state": "ok, encrypted, damaged, needs_ocr, too_large, unsupported or not_a_file.",
            "pages": "PDF or OFD pages, or spreadsheet sheets; null where a format has none.",
            "method": "The reader that gave the text: pdfium, pdfminer, pdfium+pdfminer, docx, "
            "openpyxl, xlrd, antiword, catdoc, ofd, text (encoding), html, zip; none.",
            "detail": "One line saying why the state is not ok; empty when it is.",
            "text": "The text read; empty when none could be (never invented).",
            "extracted_at": "When it was read.",
        },
    ),
    "article_facts_digest": (
        "What each article's facts (article_facts) were computed from, as one digest, so "
        "that `tjcrawl reextract` recomputes only the facts whose inputs changed. Written "
        "with the facts; an article whose fact finder failed has none, and neither do "
        "articles whose facts an older tjcrawl wrote: both are recomputed by the next "
        "`tjcrawl reextract`.",
        {
            "article_id": "The article (articles.id).",
            "digest": "The first 32 hex characters of a SHA-256 over the fact finder's own "
            "files (tjcrawl.extract.facts), the title, the body and each attachment's URL "
            "and text.",
        },
    ),
    "article_facts": (
        "招商引资 facts read from each article's current version (tjcrawl.extract.facts, "
        "docs/facts.md): money, what the money is, places, industries, signed-project counts, "
        "parties and projects, each with the sentence it came from. Replaced whenever the "
        "article is stored new or changed or an attachment of it gets its text; recomputed "
        "by `tjcrawl reextract` where the finder or the text changed (article_facts_digest).",
        {
            "id": "Integer key, in reading order within an article (title, body, attachments).",
            "article_id": "The article (articles.id).",
            "url": "The article's URL (articles.url).",
            "kind": "money, place, industry, project_count, party or project.",
            "value": "money: the amount in its currency's base unit (yuan for CNY; no exchange "
            "rate applied); place: its code (6-digit administrative code; a functional zone: "
            "its district's code plus -NN); industry: its taxonomy key; project_count: the "
            "count; party, project: the name as stated.",
            "name": "The normalised name of a place or industry.",
            "role": "What the money or count is (总投资, 签约 …), or a party's role.",
            "unit": "The unit as stated (万元, 亿美元 …).",
            "currency": "ISO 4217 code of the stated currency (CNY, USD …).",
            "amount": "The number as stated, in unit and currency.",
            "qualifier": "约, 超, 逾, 近 … as stated.",
            "surface": "The words the fact was read from, as they stand.",
            "field": "Where: title, body or attachment:<url>.",
            "start": "Character offset of surface in field.",
            "end": "Character offset just past surface in field.",
            "sentence_start": "Character offset of the sentence in field.",
            "sentence_end": "Character offset just past the sentence in field.",
            "sentence": "The sentence itself, copied from field.",
            "district": "For a place inside a Tianjin district (a zone too): that district's "
            "code (滨海新区 120116 for 天津港保税区); NULL otherwise.",
            "method": "How it was found (rule:money …).",
            "confidence": "0 to 1.",
            "extractor": "facts-<hash of the finder's files> that computed it.",
        },
    ),
    "tjcrawl_meta": (
        "Key/value facts about the archive: schema_version, change_seq.",
        {"key": "Name.", "value": "Value."},
    ),
    "current_articles": (
        "VIEW for downstream tools: every article's current version, stable columns.",
        ARTICLE_COLUMNS,
    ),
    "article_revisions": (
        "VIEW: earlier versions with the article's URL and source.",
        {
            "id": "Revision key.",
            "article_id": "The article.",
            "url": "The article's URL.",
            "source": "Profile slug.",
            "title": "Earlier title.",
            "published_at": "Earlier publish date.",
            "body": "Earlier body.",
            "origin": "Earlier 来源.",
            "author": "Earlier author.",
            "content_hash": "Hash of the earlier version.",
            "seen_from": "When that version was first seen.",
            "replaced_at": "When it was replaced.",
        },
    ),
    "repost_groups": (
        "VIEW: re-post groups with each member's URL, source, title and stated origin.",
        {
            "group_id": "The group.",
            "article_id": "The member article.",
            "is_canonical": "1 for the canonical member.",
            "similarity": "Jaccard similarity to the canonical member (1.0 for itself).",
            "url": "Member URL.",
            "source": "Member source.",
            "title": "Member title.",
            "origin": "Member 来源.",
            "published_at": "Member publish date.",
        },
    ),
    "fact_projects": (
        "VIEW for archivists: every money, project-count, party and project fact with its "
        "article, the place (the Tianjin place named in its sentence, else the article's "
        "first) and its district, the industry (likewise), and the amount in yuan.",
        {
            "fact_id": "The fact (article_facts.id).",
            "article_id": "The article.",
            "title": "The article's title.",
            "url": "The article's URL.",
            "source": "Profile slug.",
            "published_at": "The article's publish date.",
            "year": "Its year (YYYY).",
            "kind": "money, project_count, party or project.",
            "role": "What the money or count is (总投资, 签约 …), or a party's role.",
            "value": "As in article_facts.",
            "amount_yuan": "money in yuan (CNY): the amount; NULL for another currency.",
            "amount_range": "money in yuan: <1000万, 1000万–1亿, 1亿–10亿, 10亿–100亿 or ≥100亿.",
            "amount": "The number as stated.",
            "unit": "The unit as stated.",
            "currency": "The stated currency.",
            "qualifier": "约, 超, 逾, 近 … as stated.",
            "place": "The place's name (a district or a functional zone).",
            "place_code": "Its code.",
            "district": "The district holding the place (滨海新区 for 天津港保税区).",
            "district_code": "That district's 6-digit code.",
            "industry": "The industry's name.",
            "industry_key": "Its taxonomy key.",
            "sentence": "The sentence the fact came from.",
            "field": "title, body or attachment:<url>.",
            "confidence": "0 to 1.",
        },
    ),
    "runs": (
        "VIEW: crawl runs with their main figures.",
        {
            "id": "Integer key.",
            "run_id": "The run.",
            "source": "Profile slug.",
            "mode": "incremental, sweep (every listing page by conditional GET, at least "
            "weekly), resume, full or reextract.",
            "started_at": "Start time.",
            "finished_at": "End time; NULL when it did not finish.",
            "finish_reason": "finished, interrupted, write_failed …",
            "duration_s": "Wall-clock seconds.",
            "requests": "HTTP requests made.",
            "bytes": "Response bytes received.",
            "items_scraped": "Items extracted.",
            "items_new": "New articles.",
            "items_changed": "Changed articles.",
            "items_unchanged": "Unchanged articles.",
            "items_failed": "Articles lost or refused (see crawl_runs.items_failed).",
            "faults": "JSON {kind: count}.",
        },
    ),
}
