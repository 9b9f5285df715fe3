"""Attachment text in the exact search: the index finds exactly what a substring scan finds,
stays exact when texts are read again, and `tjcrawl search` shows a hit with its file's name
and article."""

import json
from pathlib import Path

from attachment_archive import add_article, add_attachment, text_only
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tjcrawl.cli import main
from tjcrawl.storage import migrations, search_migrations
from tjcrawl.storage.archive import Archive
from tjcrawl.storage.search import attachments as attachment_search
from tjcrawl.storage.search.attachments import (
    attachment_substring_scan,
    matching_urls,
    search_attachments,
)

ALPHABET = "天津招商引资資滨海新区區台臺aAbB1 ，。\n"


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    texts=st.lists(st.text(ALPHABET, max_size=30), min_size=1, max_size=8),
    rereads=st.lists(st.tuples(st.integers(0, 7), st.text(ALPHABET, max_size=30)), max_size=4),
    queries=st.lists(st.text(ALPHABET, min_size=1, max_size=6), min_size=1, max_size=5),
)
def test_attachment_search_equals_substring_scan(tmp_path_factory, texts, rereads, queries) -> None:
    archive = Archive(Path(tmp_path_factory.mktemp("att")) / "a.db")
    article = add_article(archive, 1, "标题", "正文")
    for n, text in enumerate(texts):
        add_attachment(archive, article, f"http://x.test/f{n}.pdf", b"%d" % n, got=text_only(text))
    archive.commit()
    # A file read again (reextract, a new file at the link): the index forgets the old text.
    for n, text in rereads:
        url = f"http://x.test/f{n % len(texts)}.pdf"
        add_attachment(archive, article, url, text.encode(), got=text_only(text))
    archive.commit()
    for query in queries:
        expected = attachment_substring_scan(archive.conn, query)
        assert set(matching_urls(archive.conn, query)) == expected, query
        assert search_attachments(archive.conn, query, limit=100).total == len(expected)
    archive.conn.close()


def test_migration_indexes_texts_stored_before_it(tmp_path: Path) -> None:
    archive = Archive(tmp_path / "a.db")
    article = add_article(archive, 1, "标题", "正文")
    add_attachment(archive, article, "http://x.test/a.pdf", b"1", got=text_only("签约项目华东重工"))
    archive.commit()
    archive.conn.execute("DROP TABLE articles_search_attachments")
    archive.conn.execute("DROP TABLE articles_search_attachment_ids")
    attachment_search.create_index(archive.conn)
    assert set(matching_urls(archive.conn, "华东重工")) == {"http://x.test/a.pdf"}
    assert len(migrations.MIGRATIONS) == migrations.SCHEMA_VERSION
    archive.conn.close()


def _archive_with_hits(tmp_path: Path) -> Path:
    path = tmp_path / "a.db"
    archive = Archive(path)
    a = add_article(
        archive, 1, "关于签约项目的通知", "详见附件", published_at="2025-03-01T00:00:00+08:00"
    )
    b = add_article(
        archive, 2, "华东重工落户滨海", "华东重工今日签约", published_at="2025-02-01T00:00:00+08:00"
    )
    add_attachment(
        archive,
        a,
        "http://x.test/202503/P020250301.pdf",
        b"x",
        link_text="附件1：签约项目清单",
        got=text_only("一、华东重工（天津）有限公司\n二、其他"),
    )
    add_attachment(archive, b, "http://x.test/202502/W0201.docx", b"y", got=text_only("无关"))
    archive.commit()
    archive.close()
    return path


def test_search_shows_an_attachment_hit_with_its_file_name_and_article(tmp_path: Path) -> None:
    path = _archive_with_hits(tmp_path)
    out = CliRunner().invoke(main, ["search", "华东重工", "--db", str(path)])
    assert out.exit_code == 0, out.output
    assert "1 articles contain '华东重工'" in out.output
    assert "1 attachments contain '华东重工'" in out.output
    assert "附件1：签约项目清单" in out.output
    assert "关于签约项目的通知" in out.output  # the article that links the file
    assert "[华东重工]" in out.output

    only = CliRunner().invoke(main, ["search", "华东重工", "--in", "attachments", "--json",
                                     "--db", str(path)])  # fmt: skip
    payload = json.loads(only.output)
    assert payload["total"] == 0 and payload["hits"] == []
    [hit] = payload["attachments"]["hits"]
    assert payload["attachments"]["total"] == 1
    assert hit["name"] == "附件1：签约项目清单"
    assert hit["articles"][0]["title"] == "关于签约项目的通知"

    articles = CliRunner().invoke(main, ["search", "华东重工", "--in", "articles", "--json",
                                         "--db", str(path)])  # fmt: skip
    payload = json.loads(articles.output)
    assert payload["total"] == 1 and "attachments" not in payload


def test_a_file_without_link_text_is_named_by_its_url(tmp_path: Path) -> None:
    assert attachment_search.attachment_name("http://x.test/a/P0%E9%99%84.pdf", "") == "P0附.pdf"
    assert attachment_search.attachment_name("http://x.test/a.pdf", " 附件 1 ") == "附件 1"


def test_the_sql_statement_finds_every_attachment_in_plain_sqlite3(tmp_path: Path) -> None:
    import sqlite3

    from tjcrawl.storage.search.attachments import attachment_search_sql

    path = _archive_with_hits(tmp_path)
    archive = Archive(path)
    sql = attachment_search_sql(archive.conn, "华东重工", source="s")
    expected = attachment_substring_scan(archive.conn, "华东重工")
    archive.close()
    plain = sqlite3.connect(path)  # no tjcrawl function registered
    assert (
        {row[0] for row in plain.execute(sql)}
        == expected
        == {"http://x.test/202503/P020250301.pdf"}
    )
    plain.close()


def test_filters_keep_attachments_linked_from_the_articles_they_keep(tmp_path: Path) -> None:
    archive = Archive(_archive_with_hits(tmp_path))
    conn = archive.conn
    assert search_attachments(conn, "华东重工", source="s").total == 1
    assert search_attachments(conn, "华东重工", source="other").total == 0
    assert search_attachments(conn, "华东重工", since="2025-03-01").total == 1
    assert search_attachments(conn, "华东重工", until="2025-03-01").total == 0
    [hit] = search_attachments(conn, "无关", order="newest").hits
    assert hit.name == "W0201.docx" and hit.articles[0].title == "华东重工落户滨海"
    archive.close()


FZGG_PDF = (
    Path(__file__).resolve().parent.parent
    / "fixtures/tj_fzgg/site/xxfb/tzggx/202508/W020250815396120457781.pdf"
)
COMPANY = "澜屿芯材科技（天津）有限公司"


def test_a_company_broken_across_lines_by_the_pdf_is_found(tmp_path: Path) -> None:
    """Chromium's PDF sets the table cell 澜屿芯材科技（天津）有限公司 on two lines, and the text
    read from it keeps the break inside the name: the search folds a break between two CJK
    characters away, in the index and in the scan it must equal."""
    from tjcrawl.attachments.reader import read

    url = "https://fzgg.tj.gov.cn/xxfb/tzggx/202508/W020250815396120457781.pdf"
    archive = Archive(tmp_path / "a.db")
    article = add_article(archive, 1, "推介活动", "详见附件")
    got = add_attachment(archive, article, url, FZGG_PDF.read_bytes(), link_text="附件1：清单.pdf")
    archive.commit()
    assert COMPANY not in got.text and "澜屿芯材科技（天津）有\n限公司" in got.text
    assert attachment_substring_scan(archive.conn, COMPANY) == {url}
    assert set(matching_urls(archive.conn, COMPANY)) == {url}
    [hit] = search_attachments(archive.conn, COMPANY).hits
    assert f"[{COMPANY}]" in hit.snippet
    # A break beside a digit or a Latin letter is not folded: 12.6 on its own line stays apart.
    assert matching_urls(archive.conn, "区12.6") == {}
    assert read(FZGG_PDF.read_bytes(), url).text == got.text
    archive.conn.close()


def test_the_migration_indexes_old_texts_across_line_breaks(tmp_path: Path) -> None:
    """An archive indexed before breaks were folded: migration 22 indexes it again, and a text
    read again afterwards leaves no stale tokens behind."""
    from tjcrawl.storage.search.attachments import IDS, INDEX
    from tjcrawl.storage.search.folding import fold_map
    from tjcrawl.storage.search.tokens import prepare_many

    url = "http://x.test/a.pdf"
    archive = Archive(tmp_path / "a.db")
    article = add_article(archive, 1, "标题", "正文")
    add_attachment(archive, article, url, b"1", got=text_only("签约企业：华东重\n工有限公司"))
    archive.commit()
    conn = archive.conn
    # as the index held it before: the break kept in the tokens
    conn.execute(f"DROP TABLE {INDEX}")
    conn.execute(f"CREATE VIRTUAL TABLE {INDEX} USING fts5(text, content='', tokenize='unicode61')")
    rowid = conn.execute(f"SELECT id FROM {IDS} WHERE url = ?", (url,)).fetchone()[0]
    [(_, bigrams, _)] = prepare_many(
        [(rowid, "", "签约企业：华东重\n工有限公司")], fold_map(conn), positions=True
    )
    conn.execute(f"INSERT INTO {INDEX} (rowid, text) VALUES (?, ?)", (rowid, bigrams))
    conn.commit()
    assert matching_urls(conn, "华东重工") == {}
    search_migrations.attachment_search_across_line_breaks(archive.db)
    assert set(matching_urls(conn, "华东重工")) == {url}
    add_attachment(archive, article, url, b"2", got=text_only("另一家企业"))
    archive.commit()
    assert matching_urls(conn, "华东重工") == {} == matching_urls(conn, "签约企业")
    conn.close()
