"""Re-posts (转载): the same report on several sites is one group; different reports never are.

Data: tests/reposts/reposts.toml (true re-posts with different boilerplate and small edits, and
different reports on the same topic), tests/reposts/seed.txt (the seed portal's ten articles,
all about Tianjin investment promotion: ten different reports) and the demo fixture sites' golden
items (three re-posts between the sites).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import random
import re
import sqlite3
import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from tjcrawl import reposts
from tjcrawl.fixtures import read_goldens
from tjcrawl.repost_linking import ARTICLE_BUDGET
from tjcrawl.storage.archive import Archive, open_database

DATA = Path(__file__).parent / "reposts"
SETS = tomllib.loads((DATA / "reposts.toml").read_text("utf-8"))
SEED_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# The same DDL as migration 5 (repost_signatures); created here when the archive lacks it.
SIGNATURES_DDL = (
    "CREATE TABLE IF NOT EXISTS repost_signatures (article_id INTEGER PRIMARY KEY"
    " REFERENCES articles(id), content_hash TEXT, params TEXT, minhash BLOB)"
)


def parse_seed(path: Path) -> list[tuple[str, str, str]]:
    """The seed file: records of four lines ("-", title, body, date), then a footer."""
    lines = path.read_text("utf-8").split("\n")
    records, i = [], 0
    while i + 3 < len(lines):
        if lines[i] == "-" and SEED_DAY.match(lines[i + 3]):
            records.append((lines[i + 1], lines[i + 2], lines[i + 3]))
            i += 4
        else:
            i += 1
    return records


SEED = parse_seed(DATA / "seed.txt")


def seed_article(number: int) -> dict[str, Any]:
    """The seed's article `number` (1-based) as the seed portal's archive would hold it."""
    title, body, day = SEED[number - 1]
    return {
        "source": "seed_portal",
        "url": f"http://portal.tjcrawl.test/zsyz/index.html#entry-seed{number:02d}",
        "title": title,
        "body": body,
        "published_at": f"{day}T00:00:00+08:00",
        "origin": None,
    }


def fixture_article(member: dict[str, Any]) -> dict[str, Any]:
    if "seed" in member:
        return seed_article(member["seed"])
    return {k: member[k] for k in ("source", "url", "title", "published_at", "origin")} | {
        "body": member["body"].strip()
    }


GROUPS = [[fixture_article(m) for m in g["member"]] for g in SETS["group"]]
DIFFERENT = [[fixture_article(m) for m in g["member"]] for g in SETS["different"]]
SEED_ARTICLES = [seed_article(n) for n in range(1, len(SEED) + 1)]


def all_fixture_articles() -> list[dict[str, Any]]:
    """The seed's articles, then every [[group]] and [[different]] member, each URL once."""
    found: dict[str, dict[str, Any]] = {a["url"]: a for a in SEED_ARTICLES}
    for article in itertools.chain(*GROUPS, *DIFFERENT):
        found.setdefault(article["url"], article)
    return list(found.values())


def store(archive: Archive, articles: Iterable[dict[str, Any]]) -> dict[str, int]:
    for article in articles:
        row = dict(article)
        row["content_hash"] = hashlib.sha256(
            (row["title"] + "\n" + row["body"]).encode("utf-8")
        ).hexdigest()
        archive.store_article(row, None, "test-run")
    archive.commit()
    return {url: id_ for id_, url in archive.conn.execute("SELECT id, url FROM articles")}


def members(conn: sqlite3.Connection) -> dict[str, tuple[str, int, float]]:
    """url -> (URL of the group's canonical member, is_canonical, similarity)."""
    rows = conn.execute(
        "SELECT g.url, c.url, g.is_canonical, g.similarity FROM repost_groups g"
        " JOIN articles c ON c.id = g.group_id"
    )
    return {url: (canonical, flag, similarity) for url, canonical, flag, similarity in rows}


def earliest(group: list[dict[str, Any]]) -> str:
    return min(group, key=lambda a: a["published_at"])["url"]


@pytest.fixture
def archive(tmp_path: Path) -> Iterable[Archive]:
    opened = Archive(tmp_path / "archive.db")
    yield opened
    opened.conn.close()
    opened.run_lock.release()


# -- the acceptance criteria ----------------------------------------------------------------------
@pytest.mark.parametrize("order", ["as written", "reversed"])
def test_every_true_repost_is_grouped_whichever_is_stored_first(
    archive: Archive, order: str
) -> None:
    articles = all_fixture_articles()
    if order == "reversed":
        articles.reverse()
    store(archive, articles)
    report = reposts.update_groups(archive.conn)
    found = members(archive.conn)
    for group in GROUPS:
        canonical = earliest(group)
        for article in group:
            assert article["url"] in found, f"not grouped: {article['title']}"
            assert found[article["url"]][0] == canonical, article["title"]
            assert found[article["url"]][1] == (article["url"] == canonical)
    assert report.groups == len(GROUPS)
    assert len(found) == sum(len(g) for g in GROUPS), "an article outside the re-posts is grouped"


def test_no_two_seed_articles_are_grouped(archive: Archive) -> None:
    assert len(SEED) == 10
    store(archive, all_fixture_articles())
    reposts.update_groups(archive.conn)
    found = members(archive.conn)
    seed_urls = {a["url"] for a in SEED_ARTICLES}
    canonicals = [found[url][0] for url in seed_urls if url in found]
    assert len(canonicals) == len(set(canonicals)), "two seed articles share a group"
    # Only the eighth is grouped at all, with its re-post on the 保税区 site.
    assert [url for url in sorted(seed_urls) if url in found] == [seed_article(8)["url"]]


def test_different_reports_on_one_topic_are_never_grouped(archive: Archive) -> None:
    store(archive, all_fixture_articles())
    reposts.update_groups(archive.conn)
    found = members(archive.conn)
    for article in itertools.chain(*DIFFERENT):
        assert article["url"] not in found, article["title"]


def test_the_canonical_is_the_earliest_and_each_stated_origin_is_kept(archive: Archive) -> None:
    store(archive, reversed(all_fixture_articles()))
    reposts.update_groups(archive.conn)
    rows = {
        r[0]: r[1:]
        for r in archive.conn.execute(
            "SELECT url, origin, is_canonical, similarity, source FROM repost_groups"
        )
    }
    for group in GROUPS:
        for article in group:
            origin, is_canonical, similarity, source = rows[article["url"]]
            assert origin == article["origin"] and source == article["source"]
            assert is_canonical == (article["url"] == earliest(group))
            assert (similarity == 1.0) if is_canonical else (0 < similarity < 1)
    listed = reposts.list_groups(archive.conn)
    assert len(listed) == len(GROUPS)
    first = next(g for g in listed if g.canonical.url == GROUPS[0][0]["url"])
    assert [m.origin for m in first.members] == ["天津日报", "天津日报", "北方网"]
    assert first.group_id == first.canonical.article_id and first.canonical.is_canonical


def test_on_equal_dates_the_first_seen_is_canonical(
    archive: Archive, monkeypatch: pytest.MonkeyPatch
) -> None:
    original, repost = (dict(a, published_at=None) for a in GROUPS[1])
    monkeypatch.setenv("TJCRAWL_NOW", "2025-08-01T08:00:00+08:00")
    store(archive, [repost])
    monkeypatch.setenv("TJCRAWL_NOW", "2025-08-01T09:00:00+08:00")
    store(archive, [original])
    reposts.update_groups(archive.conn)
    assert members(archive.conn)[original["url"]][0] == repost["url"]


def test_groups_are_stable_when_computed_again(archive: Archive) -> None:
    store(archive, all_fixture_articles())
    first = reposts.update_groups(archive.conn)
    rows = archive.conn.execute("SELECT * FROM repost_members ORDER BY article_id").fetchall()
    second = reposts.update_groups(archive.conn)
    assert first.written and not second.written
    assert archive.conn.execute("SELECT * FROM repost_members ORDER BY article_id").fetchall() == (
        rows
    )
    assert reposts.compute_groups(archive.conn)[0] == [tuple(r) for r in rows]


@pytest.mark.parametrize("cached", [False, True], ids=["no signature table", "signature table"])
def test_a_changed_article_leaves_its_group(archive: Archive, cached: bool) -> None:
    # Migration 5 creates the table; an archive without it must work all the same.
    archive.conn.execute(SIGNATURES_DDL if cached else "DROP TABLE IF EXISTS repost_signatures")
    store(archive, all_fixture_articles())
    first = reposts.update_groups(archive.conn)
    assert first.signed == first.articles
    repost = GROUPS[4][1]  # the short one, 西青区 -> 北方网
    assert repost["url"] in members(archive.conn)
    other_report = (
        "8月6日，西青区召开安全生产工作会议，部署汛期和高温天气安全防范工作，要求各街镇和重点企业"
        "落实值班值守制度，加强隐患排查。"
    )
    store(archive, [dict(repost, body=other_report)])
    again = reposts.update_groups(archive.conn)
    assert again.signed == (1 if cached else again.articles)
    assert again.written and again.groups == len(GROUPS) - 1
    assert repost["url"] not in members(archive.conn)
    assert GROUPS[4][0]["url"] not in members(archive.conn), "no group of one"


def test_the_demo_sites_hold_three_reposts_and_nothing_else(archive: Archive) -> None:
    expected = [
        {  # demo_trs -> demo_enorth, 2024-11-13
            "2024天津投资贸易合作洽谈会开幕 现场签约项目总投资超千亿元",
            "2024天津投资贸易合作洽谈会开幕 68个项目集中签约",
        },
        {  # demo_portal -> demo_enorth, 2025-08-21
            "天津经开区发布新能源汽车产业链招商引资十条措施",
            "天津经开区出台十条措施 支持新能源汽车产业链发展",
        },
        {  # demo_enorth -> demo_portal, 2025-08-20 -> 21
            "津南区集中签约12个项目 聚焦新能源和新材料",
            "津南区12个重点项目集中签约 总投资约75亿元",
        },
    ]
    canonicals = {
        "2024天津投资贸易合作洽谈会开幕 现场签约项目总投资超千亿元",
        "天津经开区发布新能源汽车产业链招商引资十条措施",
        "津南区集中签约12个项目 聚焦新能源和新材料",
    }
    demo = [
        {**item, "source": slug}
        for slug in ("demo_portal", "demo_trs", "demo_enorth")
        for item in read_goldens(slug)
    ]
    store(archive, demo)
    reposts.update_groups(archive.conn)
    groups = reposts.list_groups(archive.conn)
    assert sorted(sorted(m.title for m in g.members) for g in groups) == sorted(
        sorted(titles) for titles in expected
    )
    assert {g.canonical.title for g in groups} == canonicals
    assert [g.group_id for g in reposts.list_groups(archive.conn, source="demo_trs")] == [
        next(g.group_id for g in groups if g.canonical.source == "demo_trs")
    ]


# -- the threshold's margins, measured ------------------------------------------------------------
def similarity_gap() -> tuple[float, float, float]:
    """(lowest true re-post pair, highest other pair, highest pair of seed articles)."""
    demo = {
        slug: {g["title"]: g for g in read_goldens(slug)}
        for slug in ("demo_portal", "demo_trs", "demo_enorth")
    }
    seed_titles = {title for title, _, _ in SEED}
    texts: dict[str, tuple[str, str]] = {}
    label: dict[str, str] = {}
    for article in all_fixture_articles():
        texts[article["url"]] = (article["title"], article["body"])
    for n, group in enumerate(GROUPS):
        for article in group:
            label[article["url"]] = f"group{n}"
    demo_pairs = [
        ("demo_trs", "2024天津投资贸易合作洽谈会开幕 现场签约项目总投资超千亿元"),
        ("demo_enorth", "2024天津投资贸易合作洽谈会开幕 68个项目集中签约"),
        ("demo_portal", "天津经开区发布新能源汽车产业链招商引资十条措施"),
        ("demo_enorth", "天津经开区出台十条措施 支持新能源汽车产业链发展"),
        ("demo_enorth", "津南区集中签约12个项目 聚焦新能源和新材料"),
        ("demo_portal", "津南区12个重点项目集中签约 总投资约75亿元"),
    ]
    for items in demo.values():
        for title, item in items.items():
            if title not in seed_titles:  # demo_portal carries the seed verbatim
                texts[item["url"]] = (title, item["body"])
    for n, (slug, title) in enumerate(demo_pairs):
        label[demo[slug][title]["url"]] = f"demo{n // 2}"
    pieces = {url: reposts.article_shingles(*text) for url, text in texts.items()}
    true, other, seed = [], [], []
    seed_urls = {a["url"] for a in SEED_ARTICLES}
    for a, b in itertools.combinations(sorted(pieces), 2):
        value = reposts.jaccard(pieces[a], pieces[b])
        if a in label and label.get(a) == label.get(b):
            true.append(value)
        else:
            other.append(value)
            if a in seed_urls and b in seed_urls:
                seed.append(value)
    return min(true), max(other), max(seed)


def test_the_threshold_sits_well_inside_the_measured_gap() -> None:
    lowest_true, highest_other, highest_seed = similarity_gap()
    assert lowest_true >= reposts.THRESHOLD + 0.1, lowest_true
    assert highest_other <= reposts.THRESHOLD - 0.1, highest_other
    assert highest_seed < 0.05, highest_seed


# -- the parts ------------------------------------------------------------------------------------
def test_normalise_ignores_punctuation_width_spacing_and_metadata_lines() -> None:
    a = reposts.normalise(
        "标题", "6月11日，天津（北京）推介会举行。\n来源：天津日报\n责任编辑：王倩"
    )
    b = reposts.normalise("标题", "６月１１日, 天津(北京)推介会 举行.\n（来源：北方网）")
    assert a == b == "标题6月11日天津北京推介会举行"
    # A paragraph that only starts like one (记者从…获悉) is text, not metadata.
    assert "记者从市商务局获悉" in reposts.normalise("", "记者从市商务局获悉，一季度…")


def test_shingle_hashes_match_the_shingles() -> None:
    for text in ("", "天津", "天津港保税区", "天津港保税区跨境电商平台上线天津港保税区"):
        assert len(reposts.shingle_hashes(text)) == len(reposts.shingles(text))
    one, two = "天津港保税区跨境电商平台正式上线", "天津港保税区跨境电商综合服务平台上线"
    exact = len(reposts.shingles(one) & reposts.shingles(two)) / len(
        reposts.shingles(one) | reposts.shingles(two)
    )
    assert reposts.jaccard(reposts.shingle_hashes(one), reposts.shingle_hashes(two)) == exact


def test_signatures_are_deterministic_and_round_trip() -> None:
    pieces = reposts.article_shingles(GROUPS[0][0]["title"], GROUPS[0][0]["body"])
    first, second = reposts.Signer(), reposts.Signer()
    data = first.to_bytes(first.signature(pieces))
    assert data == second.to_bytes(second.signature(pieces))
    assert len(data) == 4 * reposts.NUM_PERM
    assert first.to_bytes(first.from_bytes(data)) == data


def test_signatures_are_datasketchs_affine32_minhash() -> None:
    # Computed in numpy, but byte for byte what datasketch gives, so that signatures stored in
    # repost_signatures by earlier versions (same PARAMS) stay valid.
    import numpy as np
    from datasketch import MinHash

    signer = reposts.Signer()
    everything = "".join(body for _, body, _ in SEED)  # ~11,000 shingles: several blocks
    for title, body, _ in [*SEED[:3], ("全文", everything, ""), ("通知", "详见附件。", "")]:
        pieces = reposts.article_shingles(title, body) if len(body) > 10 else np.arange(3)
        pieces = pieces.astype(np.uint64)
        reference = MinHash(
            num_perm=reposts.NUM_PERM, seed=reposts.SEED, hashfunc=int, scheme="affine32"
        )
        folded = ((pieces >> np.uint64(32)) ^ pieces) & np.uint64(0xFFFFFFFF)
        reference.update_batch(folded.tolist())
        assert np.array_equal(signer.values(pieces), reference.hashvalues)


def test_short_template_notices_are_not_grouped(archive: Archive) -> None:
    notice = {"source": "s", "title": "通知", "body": "详见附件。", "origin": None}
    store(archive, [notice | {"url": "http://a.test/1"}, notice | {"url": "http://b.test/2"}])
    report = reposts.update_groups(archive.conn)
    assert (report.comparable, report.groups) == (0, 0)


def test_update_groups_takes_a_database_from_open_database(tmp_path: Path) -> None:
    opened = Archive(tmp_path / "a.db")
    store(opened, GROUPS[1])
    opened.close()
    db = open_database(tmp_path / "a.db")
    try:
        assert reposts.update_groups(db).groups == 1
        assert [len(g.members) for g in reposts.list_groups(db)] == [2]
    finally:
        db.close()


# -- the command ----------------------------------------------------------------------------------
def test_dups_lists_the_demo_archives_groups(demo_archive) -> None:
    from conftest import run_cli

    shown = run_cli("dups", "--db", str(demo_archive.path))
    assert shown.returncode == 0, shown.stderr
    assert "3 re-post groups, 6 articles" in shown.stdout
    assert "来源：津云" in shown.stdout and "canonical        demo_trs" in shown.stdout
    as_json = run_cli("dups", "--json", "--source", "demo_trs", "--db", str(demo_archive.path))
    (group,) = json.loads(as_json.stdout)
    assert group["canonical"]["source"] == "demo_trs"
    assert [(m["source"], m["origin"]) for m in group["members"]] == [
        ("demo_trs", "津云"),
        ("demo_enorth", "津云"),
    ]
    helped = run_cli("dups", "--help")
    assert "Example" in helped.stdout and "--source" in helped.stdout


# -- the work grows with the archive, not with the square of a group ------------------------------
def edited_copies(count: int, edits: int, seed: int) -> list[dict[str, Any]]:
    """`count` copies of the seed's first article, each with `edits` characters replaced."""
    rng = random.Random(seed)
    title, body, day = SEED[0]
    copies = []
    for n in range(count):
        chars = list(body)
        for _ in range(edits):
            chars[rng.randrange(len(chars))] = rng.choice(body)
        copies.append(
            {
                "source": f"site{n % 7}",
                "url": f"http://site{n % 7}.test/copy/{n}.html",
                "title": title,
                "body": "".join(chars),
                "published_at": f"{day}T{n // 60 % 24:02d}:{n % 60:02d}:00+08:00",
                "origin": None,
            }
        )
    return copies


@pytest.mark.parametrize("edits", [0, 3], ids=["identical", "edited"])
def test_copies_of_one_report_verify_about_one_pair_each(archive: Archive, edits: int) -> None:
    # Every copy shares (nearly) every LSH bucket with every other: verifying each pair of a
    # bucket made count * (count - 1) / 2 = 19,900 exact checks here, 50 million at 10,000.
    count = 200
    store(archive, edited_copies(count, edits, seed=edits))
    report = reposts.update_groups(archive.conn)
    assert (report.groups, report.grouped) == (1, count)
    assert report.checked <= 2 * count, report
    # A second run with nothing new takes the stored group as it is.
    again = reposts.update_groups(archive.conn)
    assert (again.checked, again.groups, again.written) == (0, 1, False)


def test_many_reports_from_one_template_verify_a_bounded_number_of_pairs(
    archive: Archive,
) -> None:
    # Reports sharing a long template and differing in as much text again: about a third of
    # their shingles in common, so the bands propose nearly every pair and the MinHash estimate
    # passes PREFILTER, but the exact Jaccard (~0.33) is below THRESHOLD: no pair is a re-post.
    rng = random.Random(7)
    template = reposts.normalise(*SEED[0][:2])[:700]
    letters = sorted(set("".join(body for _, body, _ in SEED)) - set("，。、：；（）“”"))
    count = 200
    articles = [
        {
            "source": "s",
            "url": f"http://s.test/notice/{n}.html",
            "title": "通知",
            "body": template + "".join(rng.choices(letters, k=700)),
            "published_at": "2025-08-01T08:00:00+08:00",
            "origin": None,
        }
        for n in range(count)
    ]
    pieces = [reposts.article_shingles(a["title"], a["body"]) for a in articles[:2]]
    assert 0.25 < reposts.jaccard(*pieces) < reposts.THRESHOLD - 0.05
    store(archive, articles)
    report = reposts.update_groups(archive.conn)
    assert report.groups == 0
    assert report.candidates > count * (count - 1) // 2  # every pair shares some bucket
    # Every pair would be 19,900 checks; each article may fail ARTICLE_BUDGET of them.
    assert report.checked <= ARTICLE_BUDGET * count // 2 + count, report
