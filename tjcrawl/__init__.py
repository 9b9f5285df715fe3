"""tjcrawl: crawl Tianjin's government and investment-promotion portals into a SQLite archive."""

__version__ = "0.1.0"
