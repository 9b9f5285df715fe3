"""What runs started by Scrapy itself (`scrapy crawl`, `scrapy shell`, `scrapy check`, Scrapyd)
need to behave like `tjcrawl crawl`.

- FixtureSites, an add-on: a fixture source's site is not on the web; it is served on
  127.0.0.1 for the crawl that names it, as `tjcrawl crawl --serve-fixtures` does.
- AfterCrawl, an extension: the source's run is judged and the archive's post-crawl work done
  (tjcrawl.runner.after_crawl), and the verdict becomes the exit status that
  tjcrawl.commands.crawl returns: 3 when the source's extraction broke, 4 when another run
  held the archive for longer than TJCRAWL_LOCK_WAIT.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider, NotConfigured
from scrapy.settings import Settings

from tjcrawl.fixture_server import FIXTURES_DIR_ENV, FixtureServer, default_fixtures_dir, site_roots
from tjcrawl.profiles import Profile
from tjcrawl.storage.archive import ArchiveError
from tjcrawl.storage.lock import ArchiveLocked, LockUnavailable, RunLock

logger = logging.getLogger(__name__)

#: Stats keys: the run's id once the archive pipeline has recorded it, and the exit status.
RUN_ID_STAT = "tjcrawl/run_id"
EXIT_STATUS_STAT = "tjcrawl/exit_status"
#: Finish reasons of runs that could not start.
ARCHIVE_LOCKED = "archive_locked"
NO_FIXTURE_SITE = "no_fixture_site"
EXIT_ERROR = 1  # exit statuses as tjcrawl.cli.common's; not imported, to keep click out
EXIT_CRAWL_PROBLEM = 3
EXIT_LOCKED = 4


def crawler_profile(crawler: Crawler) -> Profile | None:
    """The source a crawler's spider was made from; None for Scrapy's DefaultSpider (`scrapy
    shell URL`) and any spider not generated from a profile."""
    profile = getattr(crawler.spidercls, "profile", None)
    return profile if isinstance(profile, Profile) else None


def checking_contracts() -> bool:
    """`scrapy check` runs: it sets this while its crawlers are made and run."""
    return os.environ.get("SCRAPY_CHECK") == "true"


class FixtureSites:
    """Serve the spider's fixture site on 127.0.0.1 when the crawl has no way to reach it.

    An add-on, not an extension, because the proxy map must be in the settings before they are
    frozen and the downloader middlewares read them. Under `scrapy check` every source's
    fixture site is served, since each profile's contract is checked against it.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.server: FixtureServer | None = None
        self.missing: str | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FixtureSites:
        return cls(crawler)

    def update_settings(self, settings: Settings) -> None:
        # Imported here: the archive pipeline imports this module, and these import it.
        from tjcrawl.fixtures import fixture_fetched_at
        from tjcrawl.pipelines.normalise import DATE_BASES_SETTING
        from tjcrawl.runner import LOOPBACK_FAST_SETTINGS

        profile = crawler_profile(self.crawler)
        if profile is None or not (profile.fixture or checking_contracts()):
            return
        mapped = settings.getdict("TJCRAWL_PROXY_MAP")
        if set(profile.hosts) <= set(mapped):
            return  # served by whoever started the crawl (`tjcrawl crawl`, a test, --proxy)
        fixtures = Path(settings.get("TJCRAWL_FIXTURES_DIR") or default_fixtures_dir())
        roots = site_roots([profile], fixtures)
        if not roots:
            self.missing = (
                f"{profile.slug} is a fixture source and its site is not in "
                f"{fixtures / profile.slug / 'site'}: run from the tjcrawl checkout, or set "
                f"{FIXTURES_DIR_ENV} (a setting or environment variable) to its fixtures folder"
            )
            if profile.fixture:
                self.crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
            else:  # `scrapy check` of a web source without a fixture: its contract says so
                logger.warning("%s", self.missing.replace(" is a fixture source and", ":"))
            return
        bases = settings.getdict(DATE_BASES_SETTING)
        if profile.slug not in bases and (fixtures / profile.slug / "fixture.toml").is_file():
            # The site is frozen at its capture: its 昨天 and 3天前 mean days before that, as
            # in `tjcrawl demo` and the goldens, not before today.
            try:
                captured = fixture_fetched_at(profile.slug, fixtures).isoformat()
            except (KeyError, ValueError, OSError) as exc:
                logger.error("%s: no usable fetched_at (%s)", profile.slug, exc)
            else:
                settings.set(DATE_BASES_SETTING, {**bases, profile.slug: captured}, "spider")
        server = self.server = FixtureServer(roots)
        threading.Thread(target=server.serve_forever, name="fixture-server", daemon=True).start()
        self.crawler.signals.connect(self.engine_stopped, signal=signals.engine_stopped)
        # At spider priority: above the project's polite defaults, below `-s` on the command
        # line. No delays: the site is ours, on loopback (tjcrawl.runner.LOOPBACK_FAST_SETTINGS).
        settings.set("TJCRAWL_PROXY_MAP", {**mapped, **server.proxy_map()}, priority="spider")
        settings.setdict(LOOPBACK_FAST_SETTINGS, priority="spider")
        logger.info("serving the fixture site of %s on %s", profile.slug, server.proxy_url)

    def spider_opened(self, spider: Spider) -> None:
        logger.error("%s", self.missing)
        raise CloseSpider(NO_FIXTURE_SITE)

    def engine_stopped(self) -> None:
        server, self.server = self.server, None
        if server is not None:
            # shutdown() waits up to the server's poll interval: not on the reactor's thread,
            # where `scrapy check` has a crawler, and so a server, per source.
            threading.Thread(target=_stop, args=(server,), daemon=True).start()


def _stop(server: FixtureServer) -> None:
    server.shutdown()
    server.server_close()


class AfterCrawl:
    """Judge a source's run and do the archive's post-crawl work, as `tjcrawl crawl` does.

    `tjcrawl crawl` does that itself, once for all the sources it runs together, and turns
    this off (TJCRAWL_AFTER_CRAWL = False). A run the archive pipeline never recorded (a
    `scrapy shell`, a `scrapy check`, a locked archive) is not judged against the archive.
    """

    def __init__(self, crawler: Crawler, profile: Profile) -> None:
        self.crawler = crawler
        self.profile = profile
        self.lock: RunLock | None = None
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> AfterCrawl:
        profile = crawler_profile(crawler)
        if profile is None or not crawler.settings.getbool("TJCRAWL_AFTER_CRAWL"):
            raise NotConfigured
        return cls(crawler, profile)

    def spider_opened(self, spider: Spider) -> None:
        if self.crawler.stats.get_value(RUN_ID_STAT):
            # The archive pipeline holds the run lock (this process's, so taking it again
            # cannot wait); held here too, it stays held through the post-crawl work after the
            # pipeline lets the archive go.
            try:
                self.lock = RunLock.acquire(self.crawler.settings["TJCRAWL_DB"])
            except (ArchiveLocked, LockUnavailable) as exc:  # only if the pipeline let go
                logger.error("%s", exc)
        # Connected now, after the archive pipeline's handler: signal handlers run in the
        # order they were connected, and the run must be finished before it is judged.
        self.crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        stats = self.crawler.stats
        try:
            status = self._judge(reason)
        except ArchiveError as exc:  # the archive went bad under the run: one line
            logger.error("%s", exc)
            status = EXIT_ERROR
        except Exception:
            logger.exception("judging the run failed: this is a bug in tjcrawl, please report it")
            status = EXIT_ERROR
        finally:
            if self.lock is not None:
                self.lock.release()
                self.lock = None
        stats.set_value(EXIT_STATUS_STAT, status)

    def _judge(self, reason: str) -> int:
        from tjcrawl.runner import SourceReport, after_crawl, judge

        if reason == ARCHIVE_LOCKED:
            return EXIT_LOCKED  # the pipeline said so, in one line
        settings, stats = self.crawler.settings, self.crawler.stats.get_stats()
        min_coverage = settings.getfloat("TJCRAWL_MIN_FIELD_COVERAGE", 0.9)
        run_id = stats.get(RUN_ID_STAT)
        if run_id and self.lock is not None:
            (report,) = after_crawl([(self.profile, stats)], settings, run_id)
        else:
            problems = judge(self.profile, stats, min_coverage)
            report = SourceReport(self.profile.slug, stats, problems)
        logger.info("%s", report.summary())
        for problem in report.problems:
            logger.error("error: %s", problem)
        return EXIT_CRAWL_PROBLEM if report.problems else 0


def exit_status(crawler: Crawler | None) -> int:
    """What AfterCrawl made of the crawler's run; 0 when it was not asked."""
    if crawler is None or crawler.stats is None:
        return 0
    value: Any = crawler.stats.get_value(EXIT_STATUS_STAT, 0)
    return int(value)
