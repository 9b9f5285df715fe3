"""Nightly runs: fetch only what is new, changed or due; keep versions; never delete."""

import shutil
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from conftest import FIXTURES, count, run_cli

from tjcrawl.clock import SHANGHAI

TRS = "demo_trs"
LISTING = Path("site/sy/tjxw/index.html")
ARTICLE = Path("site/sy/tjxw/202411/t20241114_6012345.html")
ARTICLE_URL = "http://gov.tjcrawl.test/sy/tjxw/202411/t20241114_6012345.html"
NEWEST = datetime(2024, 11, 15, 9, 0, tzinfo=SHANGHAI)


class Site:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.db = root / "archive.db"
        self.env = {"TJCRAWL_FIXTURES_DIR": str(root / "fixtures")}

    def path(self, relative: Path) -> Path:
        return self.root / "fixtures" / TRS / relative

    def crawl(self, *extra: str, days_later: int = 0) -> sqlite3.Row:
        # The clock is frozen just after the fixture's newest article, so its articles are
        # young enough to be revisited; days_later moves it on.
        env = {**self.env, "TJCRAWL_NOW": (NEWEST + timedelta(days=days_later)).isoformat()}
        result = run_cli("crawl", TRS, "--serve-fixtures", "--db", str(self.db), *extra, env=env)
        assert result.returncode == 0, result.stderr[-2000:]
        with sqlite3.connect(self.db) as conn:
            conn.row_factory = sqlite3.Row
            return conn.execute("SELECT * FROM crawl_runs ORDER BY id DESC LIMIT 1").fetchone()

    def detail_pages_fetched(self, run: sqlite3.Row) -> int:
        return count(
            self.db,
            f"SELECT count(*) FROM pages WHERE kind = 'detail' AND run_id = '{run['run_id']}'",
        )

    def edit(self, relative: Path, old: str, new: str) -> None:
        path = self.path(relative)
        text = path.read_bytes().decode("gb18030")
        assert old in text
        path.write_bytes(text.replace(old, new, 1).encode("gb18030"))


@pytest.fixture(scope="module")
def first_crawl(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture site and its archive after a first crawl, made once for the module."""
    root = tmp_path_factory.mktemp("first-crawl")
    shutil.copytree(FIXTURES / TRS, root / "fixtures" / TRS)
    first = Site(root).crawl()
    assert first["items_new"] == 14 and first["mode"] in ("incremental", "resume")
    return root


@pytest.fixture
def site(first_crawl: Path, tmp_path: Path) -> Site:
    """A test's own copy of the site and archive after the first crawl: each test edits them."""
    shutil.copytree(first_crawl, tmp_path, dirs_exist_ok=True)
    return Site(tmp_path)


def snapshot(db: Path) -> tuple[int, int, int]:
    return (
        count(db, "SELECT count(*) FROM articles"),
        count(db, "SELECT count(*) FROM pages"),
        count(db, "SELECT count(*) FROM revisions"),
    )


def test_an_unchanged_site_costs_robots_and_two_listing_pages(site: Site) -> None:
    before = snapshot(site.db)
    run = site.crawl()
    assert run["mode"] == "incremental"
    # robots.txt, the first listing page (a 304, read from its stored copy) and the overlap
    # page after it (a 304 too): the walk stops after two pages with nothing new.
    assert run["requests"] == 3
    assert run["listing_pages"] == 2
    assert site.detail_pages_fetched(run) == 0
    assert (run["items_new"], run["items_changed"]) == (0, 0)
    assert snapshot(site.db) == before


def test_a_changed_article_gets_a_revision_and_a_readable_diff(site: Site) -> None:
    body = site.path(ARTICLE).read_bytes().decode("gb18030")
    paragraph = body.split("<p>")[1].split("</p>")[0]
    changed = paragraph[:10] + "（更正）" + paragraph[10:]
    site.edit(ARTICLE, paragraph, changed)
    run = site.crawl(days_later=2)  # every article is due for its first revisit
    assert (run["items_new"], run["items_changed"]) == (0, 1)
    assert count(site.db, "SELECT count(*) FROM revisions") == 1
    shown = run_cli("history", ARTICLE_URL, "--db", str(site.db))
    assert shown.returncode == 0, shown.stderr
    assert "2 versions" in shown.stdout
    assert "{+（更正）+}" in shown.stdout
    again = site.crawl(days_later=2)
    assert again["items_changed"] == 0 and count(site.db, "SELECT count(*) FROM revisions") == 1


def test_a_new_article_on_the_first_listing_page_is_the_only_detail_fetched(site: Site) -> None:
    new_page = site.path(Path("site/sy/tjxw/202411/t20241120_6019999.html"))
    old_page = site.path(ARTICLE).read_bytes().decode("gb18030")
    new_page.write_bytes(
        old_page.replace("市政府召开常务会议", "全新的招商引资签约活动在津举行").encode("gb18030")
    )
    listing = site.path(LISTING).read_bytes().decode("gb18030")
    first_row = listing.index('<div class="list-item">')
    row = (
        '<div class="list-item"><a href="./202411/t20241120_6019999.html">'
        "全新的招商引资签约活动在津举行</a>"
        '<span class="list-item-date">2024-11-20</span></div>\n'
    )
    site.path(LISTING).write_bytes(
        (listing[:first_row] + row + listing[first_row:]).encode("gb18030")
    )
    run = site.crawl()
    assert run["items_new"] == 1
    assert site.detail_pages_fetched(run) == 1
    assert count(site.db, "SELECT count(*) FROM articles WHERE url LIKE '%t20241120_6019999%'") == 1


def withdrawal(db: Path) -> tuple[str | None, int, str]:
    with sqlite3.connect(db) as conn:
        return conn.execute(
            "SELECT withdrawn_at, missed_count, body FROM articles WHERE url = ?", (ARTICLE_URL,)
        ).fetchone()


def test_a_removed_article_is_marked_withdrawn_not_deleted(site: Site) -> None:
    site.path(ARTICLE).unlink()
    site.crawl(days_later=2)
    withdrawn, missed, body = withdrawal(site.db)
    assert (withdrawn, missed) == (None, 1)  # one miss is not a withdrawal yet
    site.crawl(days_later=3)  # the miss made it due the next day
    withdrawn, missed, body = withdrawal(site.db)
    assert withdrawn and missed == 2 and body
    assert count(site.db, "SELECT count(*) FROM articles") == 14
    shown = run_cli("history", ARTICLE_URL, "--db", str(site.db))
    assert "withdrawn" in shown.stdout


def test_full_pages_through_everything(site: Site) -> None:
    run = site.crawl("--full")
    assert run["mode"] == "full"
    assert run["listing_pages"] == 3
    assert site.detail_pages_fetched(run) + run["items_unchanged"] >= 14
