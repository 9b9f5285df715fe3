"""Scrapy settings: polite by default. Only sites tjcrawl serves itself (`tjcrawl demo`,
`crawl --serve-fixtures`) are crawled without delays."""

from tjcrawl import __version__
from tjcrawl.items import EXPORT_FIELDS

BOT_NAME = "tjcrawl"
SPIDER_MODULES = ["tjcrawl.spiders"]
NEWSPIDER_MODULE = "tjcrawl.spiders"

# Identify ourselves and behave: robots.txt, a small per-site concurrency, AutoThrottle.
USER_AGENT = f"tjcrawl/{__version__} (news archive crawler; respects robots.txt)"
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
REDIRECT_MAX_TIMES = 5
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False

RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
RETRY_BACKOFF_BASE = 2.0
RETRY_BACKOFF_MAX = 120.0
# A page whose connection closes before its Content-Length is retried like any cut transfer,
# and then kept as it came, flagged incomplete, rather than thrown away (tjcrawl.completeness).
DOWNLOAD_FAIL_ON_DATALOSS = False

# Scrapy's default of 100 items in flight per response costs more than it gains on 2 cores.
CONCURRENT_ITEMS = 10
# Scrapy re-reads and re-parses a callback's source (inspect + ast) for every response to warn
# about `return value` in generators; ours are tested, and that check was 1 % of a crawl.
WARN_ON_GENERATOR_RETURN_VALUE = False

# Scrapy's per-site limits are per crawler, and a run has a crawler per source: these handlers
# hold every source of the run to one per-host budget (see tjcrawl/politeness.py).
DOWNLOAD_HANDLERS = {
    "http": "tjcrawl.politeness.PoliteHTTPHandler",
    "https": "tjcrawl.politeness.PoliteHTTPSHandler",
}
DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
    "tjcrawl.recorders.RecordedOffsiteMiddleware": 50,
    "tjcrawl.middlewares.LoopbackProxyMiddleware": 700,
    "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": None,
    "tjcrawl.middlewares.LoopAwareRedirectMiddleware": 600,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "tjcrawl.middlewares.BackoffRetryMiddleware": 550,
    "tjcrawl.middlewares.EncodingMiddleware": 580,
    "tjcrawl.middlewares.IncompletePageMiddleware": 585,
    # Responses pass middlewares from high to low: a block page is caught before the others
    # look at it as a page (and before retries: a challenge answered again is still one).
    "tjcrawl.blocking.BlockedPageMiddleware": 590,
}
SPIDER_MIDDLEWARES = {"tjcrawl.recorders.ExtractionErrorMiddleware": 950}
EXTENSIONS = {
    "tjcrawl.progress.ProgressLine": 500,
    "tjcrawl.extensions.AfterCrawl": 600,
    "tjcrawl.gc_tuning.CollectorThreshold": 700,
    "tjcrawl.gc_tuning.CrawlLifetimeFreeze": 710,
}
# `scrapy crawl`, `scrapy shell` and Scrapyd run tjcrawl's sources as `tjcrawl crawl` does:
# fixture sites served (tjcrawl/extensions.py), each run judged, its verdict the exit status
# (tjcrawl/commands/), and a shell session never recorded as a run.
ADDONS = {"tjcrawl.extensions.FixtureSites": 0}
COMMANDS_MODULE = "tjcrawl.commands"
SPIDER_CONTRACTS = {"tjcrawl.contracts.FixtureGoldensContract": 10}
ITEM_PIPELINES = {
    "tjcrawl.pipelines.ValidatePipeline": 100,
    "tjcrawl.pipelines.NormalisePipeline": 200,
    "tjcrawl.pipelines.DeduplicatePipeline": 300,
    "tjcrawl.pipelines.ArchivePipeline": 400,
}

TJCRAWL_DB = "archive.db"
# Seconds a run started by `scrapy crawl` (Scrapyd) waits for another run to let go of the
# archive before it ends with exit status 4; Scrapyd starts several jobs at once.
TJCRAWL_LOCK_WAIT = 1800.0
# Where fixture sources' sites are (default: fixtures/ of the checkout or the working folder).
TJCRAWL_FIXTURES_DIR = ""
# Judge each run and do the archive's post-crawl work when the crawl ends (tjcrawl.extensions);
# `tjcrawl crawl` does that itself, once for all its sources.
TJCRAWL_AFTER_CRAWL = True
# The crawl commits its writes every this many items or every this many seconds, whichever
# comes first: readers (Datasette, exports) see progress that often, and a killed crawl loses
# at most about that much fetched work.
TJCRAWL_COMMIT_EVERY = 200
TJCRAWL_COMMIT_SECONDS = 2.0
# Caps the archive at this many database pages (0: no cap); tests use it for a full disk.
TJCRAWL_MAX_PAGE_COUNT = 0
TJCRAWL_PROXY_MAP: dict[str, str] = {}
# Linked files (PDF, DOCX, XLSX, ZIP …) are fetched with their article, through the same
# downloader as pages (robots.txt, per-host limits, delays); `crawl --no-attachments` turns it
# off. A file over the byte cap, or past the per-article count, is not fetched (whole): its
# state is too_large and a fault row says which cap.
TJCRAWL_ATTACHMENTS = True
TJCRAWL_ATTACHMENT_MAX_BYTES = 20 * 1024 * 1024
# crawl --ocr: PDF pages without a text layer are read by Tesseract (else the file is needs_ocr).
TJCRAWL_OCR = False
TJCRAWL_ATTACHMENTS_PER_ARTICLE = 30
# A run fails (non-zero exit) when fewer than this share of a source's items have a field.
TJCRAWL_MIN_FIELD_COVERAGE = 0.9

FEED_EXPORT_ENCODING = "utf-8"
FEED_EXPORT_FIELDS = EXPORT_FIELDS
LOG_LEVEL = "INFO"
# Scrapy makes a DEBUG record for every page and item even at INFO; this one does not make
# them when they would be dropped (tjcrawl/logformat.py).
LOG_FORMATTER = "tjcrawl.logformat.PageLogFormatter"
# Scrapy's stats collector, without the per-lookup wrapper that made each count cost ~3.5 µs
# (tjcrawl/crawl_stats.py).
STATS_CLASS = "tjcrawl.crawl_stats.CrawlStats"
# The garbage collector's young generation is collected every this many net new objects while
# a crawl runs, instead of Python's 700 (tjcrawl/gc_tuning.py; 0 leaves Python's).
TJCRAWL_GC_YOUNG_THRESHOLD = 10_000
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
