"""Crawling from several machines (docs/distributed.md).

Workers (`tjcrawl crawl --redis URL`) share one frontier in Redis through scrapy-redis: its
scheduler queue and duplicate filter. tjcrawl adds what scrapy-redis leaves out:

* leases (`leases`): a request a worker takes is leased, not removed, and acknowledged only
  when its response has been processed; a dead worker's leases return to the queue;
* politeness for the whole cluster (`politeness`, `robots`): per-host concurrency and delay
  held in Redis, and robots.txt fetched once per host per run;
* the incremental frontier (`frontier`): what the archive knows of a source, seeded into
  Redis by the writer and read by the workers, so a distributed run fetches what a
  single-process one would;
* one archive writer (`outbox`, `writer`): workers send pages, articles and faults through a
  Redis list; `tjcrawl writer` stores them in SQLite with a reliable queue.
"""
