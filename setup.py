"""Only for `scrapyd-deploy`, which builds its egg with `python setup.py bdist_egg` and, when
this file is missing, writes one of its own into the checkout. Everything about the package,
the `scrapy` settings entry point Scrapyd needs included, is declared in pyproject.toml."""

from setuptools import setup

setup()
