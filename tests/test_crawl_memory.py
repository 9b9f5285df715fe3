"""What a crawl keeps per page is bounded (bench/crawl_memory.py measures the whole crawl; these
show each fix at small scale)."""

from __future__ import annotations

import subprocess
import sys

from lxml import html

from tjcrawl.extract.fields import XPATH_RENEW_EVERY, compiled_xpath

PAGE = html.fromstring("<html><body><div class='a'>x</div><div>y</div></body></html>")


def test_a_field_xpath_keeps_no_log_of_its_evaluations() -> None:
    xpath = compiled_xpath("//div[@class='a']")
    for _ in range(50):
        assert [e.text for e in xpath(PAGE)] == ["x"]
    assert len(xpath.error_log) == 0


def test_an_xpath_with_set_bound_keeps_a_bounded_log_and_still_answers() -> None:
    xpath = compiled_xpath("set:distinct(//div/text())")
    for _ in range(XPATH_RENEW_EVERY * 2 + 10):
        assert xpath(PAGE) == ["x", "y"]
    assert len(xpath.error_log) < XPATH_RENEW_EVERY


def test_signer_draws_datasketchs_permutations_without_importing_it() -> None:
    import numpy as np
    from datasketch import MinHash

    from tjcrawl.repost_text import NUM_PERM, SEED, affine32_permutations

    a, b = MinHash(num_perm=NUM_PERM, seed=SEED, scheme="affine32").permutations
    mine_a, mine_b = affine32_permutations(NUM_PERM, SEED)
    assert np.array_equal(np.asarray(a, dtype=np.uint32), mine_a)
    assert np.array_equal(np.asarray(b, dtype=np.uint32), mine_b)
    # After a crawl the re-post grouping signs every new article: without datasketch (and the
    # scipy it imports, ~60 MB resident) in the crawl's process.
    code = (
        "import sys\n"
        "from tjcrawl.repost_text import Signer, article_shingles\n"
        "Signer().values(article_shingles('标题', '正文的一些文字，足够长的一段正文。'))\n"
        "print(sorted(m for m in ('datasketch', 'scipy') if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "[]"


def test_the_dedup_pipeline_keeps_16_bytes_per_url_and_text() -> None:
    from tjcrawl.pipelines import DeduplicatePipeline

    dedup = DeduplicatePipeline()
    long_url = "http://gov.test/sy/" + "a" * 200 + ".html"
    dedup.process_item({"source": "s", "url": long_url, "content_hash": "f" * 64})
    dedup.process_item({"source": "s", "url": long_url + "?2", "content_hash": "e" * 64})
    assert {len(key) for key in dedup.seen_urls} == {16}
    assert {len(key) for key in dedup.url_by_hash} == {16}


def test_recent_map_keeps_the_last_entries_set_or_read() -> None:
    from tjcrawl.pipelines.recent import RecentMap

    ids: RecentMap[str, int] = RecentMap(100)
    ids["listing"] = 0
    for n in range(1, 1000):
        ids[f"page-{n}"] = n
        assert ids.get("listing") == 0  # a listing's carried articles keep reading its id
        assert ids.get(f"page-{n}") == n
    assert len(ids) == 100
    assert ids.get("page-1") is None and "page-1" not in ids
    assert ids.pop("page-999") == 999 and ids.pop("page-999") is None


def test_a_crawls_writer_session_keeps_a_bounded_number_of_page_ids() -> None:
    from tjcrawl.pipelines.archive_session import PAGE_IDS_KEPT, ArchiveSession

    session = ArchiveSession(
        None,  # type: ignore[arg-type]
        run_id="r",
        source="s",
        facts=False,
        stats=None,
        on_settle=lambda *_: None,
    )
    for n in range(PAGE_IDS_KEPT + 500):
        session.page_ids[f"http://gov.test/{n}.html"] = n
    assert len(session.page_ids) == PAGE_IDS_KEPT
    assert session.page_ids.get(f"http://gov.test/{PAGE_IDS_KEPT + 499}.html") == (
        PAGE_IDS_KEPT + 499
    )


def test_known_entries_are_slotted_and_share_their_dates() -> None:
    import sqlite3

    from tjcrawl.storage.articles import ArticleStore

    conn = sqlite3.connect(":memory:")
    conn.execute(
        "CREATE TABLE articles (url TEXT, listing_title TEXT, listing_date TEXT,"
        " withdrawn_at TEXT, incomplete INTEGER, source TEXT)"
    )
    conn.executemany(
        "INSERT INTO articles VALUES (?, ?, ?, ?, 0, 's')",
        [(f"http://gov.test/{n}.html", f"标题{n}", "2024-11-14", None) for n in range(50)]
        + [("http://gov.test/x.html", None, None, "2024-11-15")],
    )

    class Store(ArticleStore):
        def __init__(self) -> None:
            self.conn = conn

    known = Store().known_entries("s")
    assert len(known) == 51
    first, second = known["http://gov.test/0.html"], known["http://gov.test/1.html"]
    assert (first.listing_title, first.listing_date, first.withdrawn) == (
        "标题0",
        "2024-11-14",
        False,
    )
    assert first.listing_date is second.listing_date  # one string for the day, not one each
    assert not hasattr(first, "__dict__")  # about 100 bytes less per archived article
    assert (
        known["http://gov.test/x.html"].withdrawn
        and known["http://gov.test/x.html"].listing_date is None
    )


def test_signing_the_archive_for_reposts_holds_about_one_signature_an_article(tmp_path) -> None:
    import hashlib
    import random
    import tracemalloc

    from tjcrawl import reposts
    from tjcrawl.repost_text import Signer
    from tjcrawl.storage.archive import Archive

    archive = Archive(tmp_path / "archive.db")
    rng = random.Random(7)
    words = ["发展", "建设", "推进", "项目", "企业", "园区", "服务", "改革", "开放", "合作"]
    count = 3000
    for n in range(count):
        body = "，".join("".join(rng.choices(words, k=6)) for _ in range(4))
        title = f"标题{n}"
        digest = hashlib.sha256(f"{title}\n{body}".encode()).hexdigest()
        row = {"source": "s", "url": f"http://gov.test/{n}.html", "title": title, "body": body}
        archive.store_article({**row, "content_hash": digest}, None, "run")
    archive.commit()
    signer = Signer()
    tracemalloc.start()
    try:
        ids, matrix, articles, fresh = reposts._signatures(archive.conn, signer)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert articles == len(ids) == len(fresh) == count
    assert list(ids) == sorted(ids) and matrix.shape == (count, 128)
    # The signatures are 512 bytes an article; they were held three times, with a tuple each.
    assert peak < count * 1000


def test_the_phrase_sample_is_bounded_in_characters(tmp_path, monkeypatch) -> None:
    import sqlite3

    from tjcrawl.storage.search import counts

    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE articles (id INTEGER PRIMARY KEY, title TEXT, body TEXT)")
    conn.executemany(
        "INSERT INTO articles VALUES (?, ?, ?)",
        [(n, f"标题{n}", "正文" * 500) for n in range(1, 401)],
    )
    monkeypatch.setattr(counts, "PHRASE_SAMPLE_CHARS", 20_000)
    rows = counts._sample(conn, 400, 200)  # every 2nd article: 200 of ~1,005 characters
    assert 0 < sum(len(title) + len(body) for _, title, body in rows) <= 20_000 + 1_005
    assert [row[0] for row in rows] == sorted(row[0] for row in rows)
    monkeypatch.setattr(counts, "PHRASE_SAMPLE_CHARS", 10**9)
    assert len(counts._sample(conn, 400, 200)) == 200
