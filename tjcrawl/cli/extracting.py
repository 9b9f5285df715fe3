"""`tjcrawl extract FILE|URL`: one page through the generic extractor, without a profile; an
attachment file (PDF, Word, Excel, WPS, OFD, ZIP: told by its bytes) through the attachment
readers."""

from __future__ import annotations

import codecs
import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click

from tjcrawl import clock
from tjcrawl.cli.common import EXIT_CRAWL_PROBLEM, PROXY_OPTION, TIMEOUT_OPTION
from tjcrawl.encoding import choose_encoding
from tjcrawl.extract.generic import Article, extract_article

#: The keys of `--json`, in this order.
JSON_KEYS = ("title", "published_at", "body", "origin", "author", "how")
#: The keys of `--json` for an attachment file, in this order.
ATTACHMENT_KEYS = ("state", "text", "pages", "method")
#: Bytes read to tell an attachment file from a page.
_HEAD = 4096


def _encoding(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return codecs.lookup(value).name
    except LookupError:
        raise click.BadParameter(f"unknown encoding {value!r}") from None


def _is_url(target: str) -> bool:
    return urlsplit(target).scheme in ("http", "https")


def _read_file(target: str) -> bytes:
    path = Path(target)
    if not path.exists():
        raise click.ClickException(f"{target}: no such file (give a saved page or an http(s) URL)")
    if path.is_dir():
        raise click.ClickException(f"{target}: a folder, not a saved page")
    return path.read_bytes()


def _file_head(target: str) -> tuple[bytes, int]:
    path = Path(target)
    if not path.exists() or path.is_dir():
        _read_file(target)  # its one-line error
    with path.open("rb") as handle:
        return handle.read(_HEAD), path.stat().st_size


def _attachment(target: str, raw: bytes | None, size: int, as_json: bool, ocr: bool) -> None:
    """Read an attachment file in the worker (time and memory limits) and print it; a state
    other than ok exits 3 with one line saying why."""
    from tjcrawl.attachments import Worker
    from tjcrawl.attachments.states import OK
    from tjcrawl.attachments.worker import MAX_BYTES, too_large_file

    if size > MAX_BYTES:
        got = too_large_file(size, MAX_BYTES)
    else:
        data = raw if raw is not None else Path(target).read_bytes()
        with Worker(ocr=ocr) as worker:
            got = worker.read(data, urlsplit(target).path if _is_url(target) else target)
    if as_json:
        values = {"state": got.state, "text": got.text, "pages": got.pages, "method": got.method}
        click.echo(json.dumps(values, ensure_ascii=False, indent=2))
    else:
        click.echo(f"state:  {got.state}\npages:  {got.pages if got.pages is not None else '-'}")
        click.echo(f"method: {got.method}\n\n{got.text}")
    if got.state != OK:
        why = got.detail.removeprefix(f"{got.state}: ")
        click.echo(f"{target}: {got.state}: {why or got.state}", err=True)
        sys.exit(EXIT_CRAWL_PROBLEM)


def _fetch(url: str, proxies: dict[str, str], timeout: float) -> tuple[bytes, str | None]:
    """The page's bytes and Content-Type, fetched as `source check` fetches: robots.txt obeyed,
    the project's User-Agent, a timeout, a size cap, redirects only within the page's host."""
    from tjcrawl.source_check import FetchError, LiveFetcher

    host = (urlsplit(url).hostname or "").lower()
    fetcher = LiveFetcher(allowed_domains=[host], proxies=proxies, timeout=timeout)
    try:
        page = fetcher.fetch(url)
    except FetchError as exc:
        raise click.ClickException(f"cannot fetch {exc}") from None
    if page.status != 200:
        raise click.ClickException(f"{url}: HTTP {page.status}; no page to extract")
    return page.body, page.header("Content-Type")


def _decoded(raw: bytes, content_type: str | None, encoding: str | None) -> str | bytes:
    """A served page whose Content-Type names a charset, decoded as the crawl would decode it
    (tjcrawl.encoding weighs that header); else the bytes, which the extractor decodes the
    same way from what the page itself declares, and names when they are no text at all."""
    if encoding or not content_type or "charset" not in content_type.lower():
        return raw
    choice = choose_encoding(raw, content_type)
    try:
        return raw.decode(choice.used, errors="replace")
    except LookupError:
        return raw


def article_json(article: Article) -> dict[str, Any]:
    published = article.published_at.isoformat() if article.published_at else None
    values = {
        "title": article.title,
        "published_at": published,
        "body": article.body or None,
        "origin": article.origin,
        "author": article.author,
        "how": dict(article.how),
    }
    return {key: values[key] for key in JSON_KEYS}


def _text(article: Article) -> str:
    published = (
        f"{article.published_at.isoformat()} ({article.date_precision})"
        if article.published_at
        else "-"
    )
    lines = [
        f"title:        {article.title or '-'}",
        f"published_at: {published}",
        f"origin:       {article.origin or '-'}",
        f"author:       {article.author or '-'}",
    ]
    lines += [f"attachment:   {a['url']} {a['text']}".rstrip() for a in article.attachments]
    lines.append("how:          " + "; ".join(f"{k}: {v}" for k, v in article.how.items()))
    return "\n".join([*lines, "", article.body])


@click.command("extract")
@click.argument("target", metavar="FILE|URL")
@click.option("--url", "page_url", help="The saved page's address: for its links and URL dates.")
@click.option(
    "--encoding",
    callback=_encoding,
    help="Decode the page with this encoding instead of the one tjcrawl would choose.",
)
@click.option("--json", "as_json", is_flag=True, help=f"One JSON object: {', '.join(JSON_KEYS)}.")
@click.option(
    "--ocr",
    is_flag=True,
    help="Read PDF pages without a text layer (scans) with Tesseract (chi_sim+eng).",
)
@PROXY_OPTION
@TIMEOUT_OPTION
def extract(
    target: str,
    page_url: str | None,
    encoding: str | None,
    as_json: bool,
    ocr: bool,
    proxies: dict[str, str],
    timeout: float,
) -> None:
    """Extract the article on one page, without a profile: title, publish date, body, 来源,
    author, and how each was found. An attachment file (PDF, DOCX, XLSX, XLS, DOC, WPS, ET,
    OFD, ZIP; told by its bytes, not its name) is read into text instead: --json prints
    state, text, pages and method.

    FILE is a saved page (its raw bytes); URL is fetched once, politely (robots.txt obeyed).
    A page that holds no article (a listing, an error or login page, an empty or binary file)
    is reported as such, with the reason, and exits 3; so is an attachment whose state is not
    ok (encrypted, damaged, needs_ocr, too_large, unsupported, not_a_file), with what text
    could be read. A scanned PDF is needs_ocr unless --ocr reads its pages with Tesseract
    (apt-get install tesseract-ocr tesseract-ocr-chi-sim).

    \b
    Examples:
      tjcrawl extract saved.html --url https://www.tj.gov.cn/sy/tjxw/202508/t20250822_1.html
      tjcrawl extract https://www.tj.gov.cn/sy/tjxw/202508/t20250822_1.html --json
      tjcrawl extract P020250903512345678901.pdf --json
      tjcrawl extract scanned.pdf --ocr --json
    """
    from tjcrawl.attachments.detect import is_file_head

    if ocr:
        from tjcrawl.attachments.ocr import missing

        if why := missing():
            raise click.ClickException(why)

    fetched_at: datetime = clock.now()
    if _is_url(target):
        if page_url is not None:
            raise click.BadParameter(
                "is for a saved FILE; a URL is its own address", param_hint="--url"
            )
        raw, content_type = _fetch(target, proxies, timeout)
        if is_file_head(raw[:_HEAD]):
            _attachment(target, raw, len(raw), as_json, ocr)
            return
        url: str | None = target
    else:
        if page_url is not None and not _is_url(page_url):
            raise click.BadParameter(f"{page_url!r} is not an http(s) URL", param_hint="--url")
        head, size = _file_head(target)
        if is_file_head(head):
            _attachment(target, None, size, as_json, ocr)
            return
        raw, content_type, url = _read_file(target), None, page_url
    article = extract_article(
        _decoded(raw, content_type, encoding), url, fetched_at=fetched_at, encoding=encoding
    )
    if article.no_article is not None:
        reason = article.no_article.removeprefix("no article: ")
        click.echo(f"{target}: no article on this page ({reason})", err=True)
        sys.exit(EXIT_CRAWL_PROBLEM)
    if as_json:
        click.echo(json.dumps(article_json(article), ensure_ascii=False, indent=2))
    else:
        click.echo(_text(article))
