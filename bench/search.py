"""Search at scale: tjcrawl's index against a LIKE scan on a synthetic Chinese archive.

    .venv/bin/python bench/search.py                  # 1,000,000 articles (~14 min on 2 cores)
    .venv/bin/python bench/search.py --quick          # 50,000 articles (~2 min)
    .venv/bin/python bench/search.py --articles 200000 --keep --db /tmp/s.db

A benchmark, not a test; it exits non-zero only when search and the substring scan disagree.

1. Builds a deterministic archive of ``--articles`` Chinese articles (~1.5 KB of body each:
   a Zipf vocabulary of real news words, so that 天津, 发展, 项目 and 招商 are in most
   articles, made-up words for the long tail, stock phrases in 40 %; dates over 2015-2025;
   six sources, one a traditional-script mirror) under /tmp, through the archive's schema
   (``open_database``) and the index's own code (``search.prepare`` and
   ``search.insert_prepared``, which ``index_article`` is made of). One worker process
   generates and tokenises while the main one writes SQLite; the index is merged with
   ``optimize_index`` at the end (FTS5 automerge is off during the load and on again after),
   then the kept counts of common tokens and phrases are made (``refresh_counts``,
   ``refresh_phrases``), as a crawl into a large archive makes them.
2. Times ``search.search()`` (total count + first page of 20 + snippets), best first and
   newest first, for 1-, 2-, 4- and 8-character queries, common and rare: p50 and p95 over
   ``--repeat`` runs of each query, plus the count alone; then a LIKE scan (count + newest
   page) for one query per class, within ``--like-budget`` seconds.
3. Checks recall: on a 20,000-article archive built the same way, search() must return
   exactly ``substring_scan_ids`` (LIKE over the folded text) for every query and contain
   what a raw LIKE finds; on the big archive, totals must equal a folded scan (one pass of
   Python over every article, ``--no-full-recall`` to skip) and contain the LIKE counts.
"""

from __future__ import annotations

import argparse
import bisect
import itertools
import json
import multiprocessing
import os
import platform
import random
import sqlite3
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tjcrawl.storage import search  # noqa: E402
from tjcrawl.storage.archive import open_database  # noqa: E402
from tjcrawl.storage.search.scope_counts import SCOPE_COUNTS  # noqa: E402

# --------------------------------------------------------------------------------------
# The synthetic corpus
# --------------------------------------------------------------------------------------

# Real words of Tianjin government and investment news, roughly most frequent first. They
# take the top ranks of a Zipf distribution, so that 天津, 发展, 项目 and 招商 occur in most
# articles, 滨海新区 in many, a district's name in some; made-up words of common characters
# fill the long tail, and rare characters (GB2312 level 2) make rare words.
WORDS = """
的 和 在 是 天津 发展 了 项目 等 对 招商 为 将 企业 与 建设 工作 推进 中 年 我市 加快 经济
服务 全市 重点 推动 合作 产业 投资 新 进一步 会议 创新 相关 部门 提升 引资 招商引资 滨海新区
高质量 营商环境 京津冀 协同 签约 政策 改革 开放 科技 园区 制造业 数字经济 港口 物流 金融 人才
就业 民生 生态 环境 保护 城市 乡村 振兴 文化 旅游 教育 医疗 卫生 交通 基础设施 市场 主体
民营 外资 实施 方案 措施 支持 落实 部署 召开 举行 强调 指出 要求 坚持 加强 完善 优化 提高 深化
扩大 促进 保障 确保 稳定 增长 同比 亿元 万元 累计 完成 目标 任务 领导 同志 书记 市长 副市长
主任 局长 代表 委员会 人民政府 办公厅 发改委 商务局 工信局 科技局 和平区 河西区 南开区 河东区
河北区 红桥区 东丽区 西青区 津南区 北辰区 武清区 宝坻区 静海区 宁河区 蓟州区 天津港 保税区
自贸区 开发区 高新区 生态城 东疆 于家堡 响螺湾 海河 智能 制造 新能源 汽车 生物医药 新材料
航空航天 信息技术 集成电路 人工智能 大数据 云计算 区块链 平台 中心 基地 载体 体系 机制 能力
水平 质量 效率 效益 规模 总额 总投资 协议 合同 签署 揭牌 开工 竣工 投产 达产 运营 落地 引进
培育 壮大 集聚 集群 链条 龙头 骨干 中小企业 专精特新 独角兽 瞪羚 孵化器 众创空间 研发 成果
转化 专利 标准 品牌 出口 进口 外贸 跨境电商 消费 市场主体 营业收入 税收 财政 预算 资金 贷款
融资 上市 债券 基金 银行 保险 证券 社会 群众 居民 社区 街道 乡镇 农业 农村 农民 粮食 耕地
水利 防汛 安全 生产 应急 消防 防控 健康 养老 托育 住房 保障房 棚户区 改造 老旧小区 垃圾分类
污染 防治 大气 水环境 碳达峰 碳中和 绿色 低碳 节能 减排 新时代 思想 党中央 国务院 市委 市政府
党建 党员 干部 作风 纪律 监督 巡视 整改 宣传 学习 贯彻 精神 讲话 重要 指示 批示 人大 政协
提案 建议 意见 通知 公告 公示 办法 规定 条例 细则 若干 行动 计划 三年 五年 规划 年度 季度
上半年 下半年 一季度 今年 去年 近日 日前 记者 获悉 据悉 介绍 表示 认为 透露 了解到 采访 报道
现场 活动 论坛 峰会 博览会 展会 洽谈会 推介会 座谈会 调研 考察 视察 检查 督导 走访 慰问 接待
会见 会谈 交流 互访 友好 国际 全球 世界 国家 全国 北京 河北 雄安新区 长三角 粤港澳大湾区
一带一路 自由贸易试验区 综合保税区 海关 口岸 通关 便利化 审批 一网通办 政务服务 放管服
承诺制 帮办 代办 企业家 投资者 客商 外商 港澳台 台湾 香港 澳门 日本 韩国 德国 新加坡 美国
欧洲 东盟 央企 国企 混改 民营企业 个体工商户 小微企业 纾困 减税降费 稳岗 就业岗位
高校毕业生 职业技能 培训 学校 学生 教师 医院 医生 患者 医保 社保 公积金 地铁 公交 高铁 机场
航线 集装箱 吞吐量 万标准箱 货物 运输 仓储 冷链 供应链 产业链 创新链 人才链 资金链 双循环
新格局 新动能 新业态 新模式 新经济 数字化 网络化 智能化 转型 升级 赋能 场景 应用 示范 试点
先行 样板 标杆 品质 特色 亮点 成效 经验 做法 问题 短板 弱项 困难 挑战 机遇 优势 潜力 空间
前景 信心 决心 力度 速度 温度 深度 广度 高度
""".split()

# Stock phrases of official prose: they make long queries that are common.
PHRASES = (
    "坚持以习近平新时代中国特色社会主义思想为指导",
    "完整准确全面贯彻新发展理念",
    "推动经济社会高质量发展",
    "深入推进京津冀协同发展",
    "持续优化营商环境",
    "全力以赴抓好招商引资和项目建设",
    "为全面建设社会主义现代化大都市贡献力量",
    "着力构建现代化产业体系",
)

SOURCES = (  # slug, share of the archive, script
    ("tj_gov", 40, "s"),
    ("tj_invest", 25, "s"),
    ("binhai_news", 15, "s"),
    ("tj_daily", 10, "s"),
    ("district_news", 7, "s"),
    ("big5_mirror", 3, "t"),  # a traditional-script mirror, as a Big5 site would be
)

FIRST_DAY = datetime(2015, 1, 1)
SPAN_SECONDS = 11 * 365 * 86400  # 2015 to the end of 2025
VOCABULARY = 60_000
TABLE_SIZE = 1 << 22


def _gb2312(first: int, last: int) -> list[str]:
    pairs = (bytes([hi, lo]) for hi in range(first, last + 1) for lo in range(0xA1, 0xFF))
    chars = (p.decode("gb2312", "replace") for p in pairs)
    return [c for c in chars if len(c) == 1 and c != "\ufffd"]


class Corpus:
    """Deterministic articles: ``article(n)`` depends on n and the seed only."""

    def __init__(self, seed: int = 20250822) -> None:
        self.seed = seed
        rng = random.Random(seed)
        common, rare = _gb2312(0xB0, 0xD7), _gb2312(0xD8, 0xF7)
        words, seen = list(WORDS), set(WORDS)
        while len(words) < VOCABULARY:
            length = rng.choice((2, 2, 2, 2, 3, 3, 4))
            pool = rare if rng.random() < 0.08 else common
            word = "".join(rng.choice(pool) for _ in range(length))
            if word not in seen:
                seen.add(word)
                words.append(word)
        self.words = words
        # Zipf-Mandelbrot weights (the ranks are those of the list), drawn from a table in
        # which each word appears in proportion to its weight: one random() per word.
        weights = [1.0 / (r + 2.7) for r in range(len(words))]
        scale = TABLE_SIZE / sum(weights)
        self.table = [
            w for w, x in zip(words, weights, strict=True) for _ in range(max(1, round(x * scale)))
        ]
        self.title_words = WORDS[4:400]
        shares = [s for _, s, _ in SOURCES]
        self.source_cum = list(itertools.accumulate(shares))
        self._s2t = None

    def _traditional(self, text: str) -> str:
        if self._s2t is None:
            import opencc

            self._s2t = opencc.OpenCC("s2t")
        return self._s2t.convert(text)

    def article(self, n: int) -> dict:
        rng = random.Random(self.seed * 1_000_003 + n)
        draw = rng.random
        pick = draw() * self.source_cum[-1]
        slug, _, script = SOURCES[bisect.bisect(self.source_cum, pick)]
        title = "".join(rng.choices(self.title_words, k=rng.randint(4, 9)))
        target = int(rng.lognormvariate(5.98, 0.3))  # characters; ~500 on average
        words = rng.choices(self.table, k=max(40, target // 2))
        parts: list[str] = []
        position, sentence = 0, 0
        while position < len(words):
            size = 3 + int(draw() * 7)
            parts.append("".join(words[position : position + size]))
            position += size
            if draw() < 0.35:
                sentence += 1
                parts.append("。\n" if sentence % 4 == 0 else "。")
            else:
                parts.append("，")
        if rng.random() < 0.4:
            parts.insert(rng.randrange(len(parts)), "，" + rng.choice(PHRASES) + "，")
        if rng.random() < 0.1:
            parts.insert(rng.randrange(len(parts)), f"，{rng.randint(2, 999)}家GDP企业，")
        body = "".join(parts).rstrip("，") + "。"
        seconds = rng.randrange(SPAN_SECONDS)
        if rng.random() < 0.2:
            seconds -= seconds % 86400  # only the day is known
        published = FIRST_DAY + timedelta(seconds=seconds)
        if script == "t":
            title, body = self._traditional(title), self._traditional(body)
        return {
            "url": f"http://{slug}.bench.test/{n}.html",
            "source": slug,
            "title": title,
            "published_at": published.isoformat() + "+08:00",
            "body": body,
            "content_hash": f"{n:016x}",
        }

    def articles(self, count: int, start: int = 0) -> Iterator[dict]:
        for n in range(start, start + count):
            yield self.article(n)


# --------------------------------------------------------------------------------------
# Building an archive
# --------------------------------------------------------------------------------------

BATCH = 2000
_worker_corpus: Corpus | None = None
_worker_table: dict[int, str] | None = None


def _worker_init(seed: int, table: dict[int, str]) -> None:
    global _worker_corpus, _worker_table
    _worker_corpus, _worker_table = Corpus(seed), table


def _worker_batch(start_count: tuple[int, int]) -> tuple[list[tuple], list[tuple], float]:
    """Generate articles start..start+count and their index tokens (in the worker)."""
    start, count = start_count
    began = time.process_time()
    assert _worker_corpus is not None and _worker_table is not None
    rows, prepared = [], []
    for n, a in enumerate(_worker_corpus.articles(count, start), start + 1):
        rows.append(
            (n, a["url"], a["source"], a["title"], a["published_at"], a["body"],
             a["content_hash"], a["published_at"], "bench")
        )  # fmt: skip
        prepared.append((n, *search.prepare(a["title"], a["body"], _worker_table)))
    return rows, prepared, time.process_time() - began


def build(path: Path, articles: int, seed: int, log=print) -> dict:
    """A fresh archive of ``articles`` synthetic articles at ``path``; returns timings."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    db = open_database(path)
    conn = db.conn
    # A bulk load: no WAL (each page would be written twice) and a large page cache; the
    # archive goes back to WAL when done.
    conn.execute("PRAGMA journal_mode=OFF")
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA cache_size=-1000000")
    table = search.fold_map(conn)
    for name in (search.BIGRAMS, search.CHARS):  # merge once at the end instead
        conn.execute(f"INSERT INTO {name} ({name}, rank) VALUES ('automerge', 0)")
        conn.execute(f"INSERT INTO {name} ({name}, rank) VALUES ('crisismerge', 64)")
    timings = {"generate_and_tokenise_cpu_s": 0.0, "articles_s": 0.0, "index_s": 0.0}
    began = time.perf_counter()
    batches = [(s, min(BATCH, articles - s)) for s in range(0, articles, BATCH)]
    context = multiprocessing.get_context("fork")
    with context.Pool(1, initializer=_worker_init, initargs=(seed, table)) as pool:
        for done, (rows, prepared, cpu) in enumerate(pool.imap(_worker_batch, batches), 1):
            timings["generate_and_tokenise_cpu_s"] += cpu
            t0 = time.perf_counter()
            conn.execute("BEGIN")
            conn.executemany(
                "INSERT INTO articles (id, url, source, title, published_at, body, content_hash,"
                " first_seen_at, run_id) VALUES (?,?,?,?,?,?,?,?,?)",
                rows,
            )
            t1 = time.perf_counter()
            search.insert_prepared(conn, prepared, [(r[0], r[3], r[5]) for r in rows])
            conn.execute("COMMIT")
            t2 = time.perf_counter()
            timings["articles_s"] += t1 - t0
            timings["index_s"] += t2 - t1
            if done % 50 == 0 or done == len(batches):
                log(f"  {done * BATCH:>9,} articles  {time.perf_counter() - began:7.0f} s")
    timings["load_wall_s"] = time.perf_counter() - began
    t0 = time.perf_counter()
    conn.execute("BEGIN")
    search.optimize_index(conn, counts=False)
    for name in (search.BIGRAMS, search.CHARS):
        conn.execute(f"INSERT INTO {name} ({name}, rank) VALUES ('automerge', 4)")
        conn.execute(f"INSERT INTO {name} ({name}, rank) VALUES ('crisismerge', 16)")
    conn.execute("COMMIT")
    timings["optimize_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    conn.execute("BEGIN")
    timings["kept_counts"] = search.refresh_counts(conn)
    conn.execute("COMMIT")
    timings["refresh_counts_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    conn.execute("BEGIN")
    timings["kept_phrases"] = search.refresh_phrases(conn)
    conn.execute("COMMIT")
    timings["refresh_phrases_s"] = time.perf_counter() - t0
    conn.execute("ANALYZE")
    conn.execute("PRAGMA journal_mode=WAL")
    timings["build_wall_s"] = time.perf_counter() - began
    conn.close()
    return timings


def sizes(path: Path) -> dict:
    conn = sqlite3.connect(path)
    by_name = dict(conn.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name"))
    conn.close()
    index = sum(v for k, v in by_name.items() if k.startswith("articles_search"))
    # The FTS5 tables' shadow tables are named "<table>_data", "_idx", "_docsize", "_config".
    shadows = ("_data", "_idx", "_docsize", "_config", "_content")
    bigrams = sum(by_name.get(search.BIGRAMS + s, 0) for s in shadows)
    chars = sum(by_name.get(search.CHARS + s, 0) for s in shadows)
    kept = sum(by_name.get(t, 0) for t in (search.COUNTS, search.PHRASES, SCOPE_COUNTS))
    articles = by_name.get("articles", 0)
    conn = sqlite3.connect(path)
    (text,) = conn.execute(
        "SELECT sum(length(CAST(coalesce(title, '') AS BLOB))"
        " + length(CAST(coalesce(body, '') AS BLOB))) FROM articles"
    ).fetchone()
    conn.close()
    indexes = sum(v for k, v in by_name.items() if k.startswith("idx_articles") or
                  k.startswith("sqlite_autoindex_articles"))  # fmt: skip
    return {
        "file_mb": path.stat().st_size / 1e6,
        "articles_table_mb": articles / 1e6,
        "articles_btree_indexes_mb": indexes / 1e6,
        "search_index_mb": index / 1e6,
        "bigram_index_mb": bigrams / 1e6,
        "char_index_mb": chars / 1e6,
        "kept_counts_mb": kept / 1e6,
        "text_mb": (text or 0) / 1e6,  # UTF-8 bytes of every article's title + body
    }


_PHRASES_PROBE = """
import json, sqlite3, sys, time
sys.path.insert(0, sys.argv[2])
from tjcrawl.storage import search

def hwm():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024

conn = sqlite3.connect(sys.argv[1], isolation_level=None)
search.fold_map(conn)
before = hwm()
conn.execute("BEGIN")
t0 = time.perf_counter()
kept = search.refresh_phrases(conn)
seconds = time.perf_counter() - t0
conn.execute("ROLLBACK")
print(json.dumps({"phrases": kept, "s": seconds, "peak_mb": hwm(), "before_mb": before}))
"""


def phrases_memory(path: Path) -> dict:
    """`refresh_phrases` on the archive in a fresh process (rolled back): its peak RSS
    (VmHWM, which exec does not inherit as ru_maxrss can), after-import RSS and time."""
    import subprocess

    out = subprocess.run(
        [sys.executable, "-c", _PHRASES_PROBE, str(path), str(REPO)],
        capture_output=True, text=True, check=True, timeout=1800,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------------------
# Queries
# --------------------------------------------------------------------------------------

COMMON = {
    1: ["的", "发", "津"],
    2: ["天津", "发展", "项目"],
    4: ["招商引资", "滨海新区", "高质量发"],
    8: ["推动经济社会高质", "持续优化营商环境", "深入推进京津冀协"],
}


def rare_queries(corpus: Corpus, sample: int, rng: random.Random) -> dict[int, list[str]]:
    """Rare words of the vocabulary's tail, and pieces of single articles."""
    tail = corpus.words[-5000:]
    twos = [w for w in tail if len(w) == 2]
    rare_chars = set(itertools.chain.from_iterable(_gb2312(0xD8, 0xF7)))
    ones = sorted({c for w in tail for c in w if c in rare_chars})
    queries = {1: rng.sample(ones, 3), 2: rng.sample(twos, 3)}
    for length in (4, 8):
        picked = []
        while len(picked) < 3:
            body = corpus.article(rng.randrange(sample))["body"]
            start = rng.randrange(len(body) - length)
            piece = body[start : start + length]
            if not any(c in piece for c in "，。\n"):
                picked.append(piece)
        queries[length] = picked
    return queries


def like_pattern(query: str) -> str:
    return "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


LIKE_WHERE = "(title LIKE ? ESCAPE '\\' OR body LIKE ? ESCAPE '\\')"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


# Filtered by source or date: a broad filter (a tenth of the archive) and a narrow one
# (a month or two, or a source's last year).
FILTERED = {
    "common, filtered (broad)": (
        ("天津", {"source": "tj_daily"}),
        ("发展", {"since": "2024-01-01", "until": "2025-01-01"}),
    ),
    "common, filtered (narrow)": (
        ("天津", {"since": "2025-12-01"}),
        ("招商引资", {"since": "2025-11-01"}),
        ("发展", {"source": "tj_daily", "since": "2025-01-01"}),
    ),
}


def time_queries(path: Path, queries: dict, repeat: int, like_budget: float, log=print) -> dict:
    conn = sqlite3.connect(path)
    results: dict = {}
    for kind, by_length in queries.items():
        for length, words in by_length.items():
            cls = f"{length}-char {kind}"
            entry = results[cls] = {"queries": {}, "rank_ms": [], "newest_ms": [], "count_ms": []}
            for word in words:
                search.search(conn, word)  # warm the pages this query reads
                q = search._Query(conn, word, None, None, None)
                for _ in range(repeat):
                    for order in ("rank", "newest"):
                        t0 = time.perf_counter()
                        result = search.search(conn, word, order=order)
                        entry[f"{order}_ms"].append((time.perf_counter() - t0) * 1000)
                    t0 = time.perf_counter()
                    q.count()
                    entry["count_ms"].append((time.perf_counter() - t0) * 1000)
                entry["queries"][word] = result.total
            log(f"  {cls:15} totals {entry['queries']}")
    for cls, cases in FILTERED.items():
        filtered = results[cls] = {"queries": {}, "rank_ms": [], "newest_ms": [], "count_ms": []}
        for word, filters in cases:
            scopes = {"source": None, "since": None, "until": None} | filters
            search.search(conn, word, **filters)  # warm the pages this query reads
            for _ in range(max(1, repeat // 2)):
                for order in ("rank", "newest"):
                    t0 = time.perf_counter()
                    result = search.search(conn, word, order=order, **filters)
                    filtered[f"{order}_ms"].append((time.perf_counter() - t0) * 1000)
                t0 = time.perf_counter()
                search._Query(conn, word, **scopes).count()
                filtered["count_ms"].append((time.perf_counter() - t0) * 1000)
            filtered["queries"][filtered_label(word, filters)] = result.total
        log(f"  {cls} totals {filtered['queries']}")
    like_spent = 0.0
    for cls, entry in results.items():
        word = next(iter(entry["queries"]))
        if like_spent > like_budget or "filtered" in cls:
            entry["like"] = None
            continue
        pattern = like_pattern(word)
        t0 = time.perf_counter()
        total = conn.execute(
            f"SELECT count(*) FROM articles WHERE {LIKE_WHERE}", (pattern, pattern)
        ).fetchone()[0]
        t1 = time.perf_counter()
        conn.execute(
            f"SELECT id FROM articles WHERE {LIKE_WHERE} ORDER BY published_at DESC LIMIT 20",
            (pattern, pattern),
        ).fetchall()
        t2 = time.perf_counter()
        like_spent += t2 - t0
        entry["like"] = {"query": word, "total": total, "count_ms": (t1 - t0) * 1000,
                         "newest_page_ms": (t2 - t1) * 1000}  # fmt: skip
        log(f"  LIKE {word}: {total} in {(t1 - t0):.1f} s + page {(t2 - t1):.1f} s")
    conn.close()
    return results


def filtered_label(word: str, filters: dict) -> str:
    return word + " " + " ".join(f"--{k} {v}" for k, v in filters.items())


def recall_cases(words: list[str]) -> list[tuple[str, str, dict]]:
    """(label, query, filters) of every query the bench times, filtered ones included."""
    cases = [(word, word, {}) for word in words]
    for filtered in FILTERED.values():
        cases += [(filtered_label(word, filters), word, filters) for word, filters in filtered]
    return cases


def passes(filters: dict, source: str, published_at: str | None) -> bool:
    """The SQL filter of `search` (string order on published_at, NULL never passes)."""
    if "source" in filters and source != filters["source"]:
        return False
    if "since" in filters and (published_at is None or published_at < filters["since"]):
        return False
    return not ("until" in filters and (published_at is None or published_at >= filters["until"]))


def check_recall(path: Path, cases: list[tuple[str, str, dict]]) -> list[str]:
    """search() against the folded substring scan (exact) and a raw LIKE (contained), with
    the search's source and date filters applied to both."""
    conn = sqlite3.connect(path)
    problems = []
    scopes = {i: (source, date) for i, source, date in conn.execute(
        "SELECT id, source, published_at FROM articles")}  # fmt: skip
    for label, word, filters in cases:
        result = search.search(conn, word, limit=10**6, **filters)
        found = {h.id for h in result.hits}
        expected = {i for i in search.substring_scan_ids(conn, word) if passes(filters, *scopes[i])}
        pattern = like_pattern(word)
        rows = conn.execute(f"SELECT id FROM articles WHERE {LIKE_WHERE}", (pattern, pattern))
        like = {r[0] for r in rows if passes(filters, *scopes[r[0]])}
        if found != expected or result.total != len(expected):
            problems.append(f"{label}: search {result.total}/{len(found)}, scan {len(expected)}")
        if not like <= found:
            problems.append(f"{label}: LIKE finds {len(like - found)} that search does not")
        newest = search.search(conn, word, order="newest", limit=20, **filters).hits
        dates = conn.execute(
            f"SELECT id FROM articles WHERE id IN ({','.join(map(str, expected)) or 0})"
            " ORDER BY published_at DESC, id DESC LIMIT 20"
        ).fetchall()
        if [h.id for h in newest] != [r[0] for r in dates]:
            problems.append(f"{label}: newest page differs from the scan sorted by date")
    conn.close()
    return problems


def full_scan_totals(path: Path, cases: list[tuple[str, str, dict]]) -> dict[str, int]:
    """Folded substring scan of every article for all queries at once (one pass), each
    query's source and date filter applied as SQL would."""
    conn = sqlite3.connect(path)
    table = search.fold_map(conn)
    needles = [(label, search.fold(word, table), filters) for label, word, filters in cases]
    totals = dict.fromkeys((label for label, _, _ in cases), 0)
    rows = conn.execute("SELECT title, body, source, published_at FROM articles")
    for title, body, source, published_at in rows:
        text = search.fold(title, table) + "\0" + search.fold(body, table)
        for label, needle, filters in needles:
            if needle in text and (not filters or passes(filters, source, published_at)):
                totals[label] += 1
    conn.close()
    return totals


# --------------------------------------------------------------------------------------


def machine() -> dict:
    model = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    import opencc

    return {
        "nproc": os.cpu_count(),
        "cpu": model,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "opencc": opencc.__version__,
        "loadavg_at_start": os.getloadavg(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="50,000 articles")
    parser.add_argument("--db", type=Path, help="archive path (default: under /tmp)")
    parser.add_argument("--keep", action="store_true", help="keep the archives afterwards")
    parser.add_argument("--reuse", action="store_true", help="use an existing --db as it is")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--like-budget", type=float, default=300.0, help="seconds of LIKE")
    parser.add_argument("--recall-articles", type=int, default=20_000)
    parser.add_argument("--no-full-recall", action="store_true")
    parser.add_argument("--seed", type=int, default=20250822)
    parser.add_argument("--json", type=Path, help="write the results here too")
    args = parser.parse_args()
    articles = 50_000 if args.quick else args.articles
    workdir = Path(os.environ.get("TMPDIR", "/tmp")) / "tjcrawl-bench-search"
    workdir.mkdir(parents=True, exist_ok=True)
    path = args.db or workdir / f"archive-{articles}.db"
    report: dict = {"articles": articles, "machine": machine(), "command": " ".join(sys.argv)}
    print(f"machine: {report['machine']}")

    corpus = Corpus(args.seed)
    rng = random.Random(args.seed)
    queries = {"common": COMMON, "rare": rare_queries(corpus, min(articles, 20_000), rng)}
    every = recall_cases([w for kind in queries.values() for words in kind.values() for w in words])

    recall_path = workdir / f"recall-{args.recall_articles}.db"
    print(f"recall archive: {args.recall_articles:,} articles at {recall_path}")
    build(recall_path, min(args.recall_articles, articles), args.seed, log=lambda *_: None)
    problems = check_recall(recall_path, every)
    report["recall_subset"] = {"articles": args.recall_articles, "queries": len(every),
                               "problems": problems}  # fmt: skip
    print(f"  {len(every)} queries, {len(problems)} problems {problems[:5]}")

    if not (args.reuse and path.exists()):
        print(f"building {articles:,} articles at {path}")
        report["build"] = build(path, articles, args.seed)
        print(f"  {json.dumps({k: round(v, 1) for k, v in report['build'].items()})}")
    report["sizes"] = sizes(path)
    print(f"  sizes: {json.dumps({k: round(v) for k, v in report['sizes'].items()})}")
    size = report["sizes"]
    print(
        f"  search index {size['search_index_mb']:,.0f} MB for {size['text_mb']:,.0f} MB of text"
        f" (UTF-8 bytes of title + body): {size['search_index_mb'] / size['text_mb']:.2f} of it"
    )
    if "build" in report:
        b = report["build"]
        index_s = b["index_s"] + b["optimize_s"] + b["refresh_counts_s"] + b["refresh_phrases_s"]
        report["index_build_s"] = index_s
        print(
            f"  index build {index_s:,.0f} s: FTS5 inserts and kept counts {b['index_s']:,.0f}"
            f" + optimize {b['optimize_s']:,.0f} + token counts {b['refresh_counts_s']:,.0f}"
            f" + phrase counts {b['refresh_phrases_s']:,.0f} (tokenising: in the worker's"
            f" {b['generate_and_tokenise_cpu_s']:,.0f} CPU s with generating)"
        )
    report["refresh_phrases"] = phrases_memory(path)
    print(f"  refresh_phrases apart: {json.dumps(report['refresh_phrases'])}")

    print("timing queries")
    report["queries"] = time_queries(path, queries, args.repeat, args.like_budget)
    if not args.no_full_recall:
        t0 = time.perf_counter()
        totals = full_scan_totals(path, every)
        report["full_scan_s"] = time.perf_counter() - t0
        mismatched = {}
        for entry in report["queries"].values():
            for word, total in entry["queries"].items():
                if totals[word] != total:
                    mismatched[word] = (total, totals[word])
            like = entry.get("like")
            if like and like["total"] > entry["queries"][like["query"]]:
                mismatched[like["query"]] = ("LIKE finds more", like["total"])
        report["full_recall_mismatches"] = mismatched
        print(f"  folded scan of every article: {report['full_scan_s']:.0f} s, "
              f"mismatches {mismatched}")  # fmt: skip
        problems += [f"{w}: {v}" for w, v in mismatched.items()]
    report["loadavg_at_end"] = os.getloadavg()
    print_table(report)
    if args.json:
        args.json.write_text(json.dumps(report, ensure_ascii=False, indent=1))
    if not args.keep:
        for p in (path, recall_path):
            for suffix in ("", "-wal", "-shm"):
                Path(f"{p}{suffix}").unlink(missing_ok=True)
    return 1 if problems else 0


def print_table(report: dict) -> None:
    print("\n| query | total(s) | best first p50 / p95 ms | newest first p50 / p95 ms |"
          " count alone p50 / p95 ms | LIKE count + newest page |")  # fmt: skip
    print("| --- | --- | --- | --- | --- | --- |")
    for cls, e in report["queries"].items():
        totals = ", ".join(f"{w} {t:,}" for w, t in e["queries"].items())
        cells = [
            f"{percentile(e[k], 50):.1f} / {percentile(e[k], 95):.1f}"
            for k in ("rank_ms", "newest_ms", "count_ms")
        ]
        like = e.get("like")
        like_cell = (
            f"{like['query']} {like['total']:,}: {like['count_ms'] / 1000:.1f} s + "
            f"{like['newest_page_ms'] / 1000:.2f} s"
            if like
            else "skipped (time budget)"
        )
        print(f"| {cls} | {totals} | {' | '.join(cells)} | {like_cell} |")
    everything = {k: [x for c, e in report["queries"].items() if "filtered" not in c
                      for x in e[k]] for k in ("rank_ms", "newest_ms")}  # fmt: skip
    for k, v in everything.items():
        print(f"all queries, {k}: p50 {percentile(v, 50):.1f} ms, p95 {percentile(v, 95):.1f} ms")


if __name__ == "__main__":
    sys.exit(main())
