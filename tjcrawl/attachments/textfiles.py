"""Plain text, CSV and HTML attachments: decoded with their encoding found (GBK included)."""

from __future__ import annotations

from tjcrawl.attachments.states import DAMAGED, OK, Extracted


def decode(data: bytes) -> tuple[str, str]:
    """The text and the encoding used: UTF-8 (with or without BOM), UTF-16 with a BOM, then
    GB18030 (a superset of GBK and GB2312), then what charset-normalizer finds."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace"), "utf-16"
    for encoding in ("utf-8", "gb18030"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is not None:
        return str(best), best.encoding
    return data.decode("utf-8", errors="replace"), "utf-8"


def extract_text_file(data: bytes) -> Extracted:
    text, encoding = decode(data)
    return Extracted(OK, text.replace("\r\n", "\n").strip(), None, f"text ({encoding})")


_BLOCKS = ("p", "div", "br", "li", "tr", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6", "table")


def extract_html(data: bytes) -> Extracted:
    import lxml.etree
    import lxml.html

    from tjcrawl.encoding import choose_encoding

    choice = choose_encoding(data, None)
    try:
        markup = data.decode(choice.used, errors="replace")
    except LookupError:
        markup, _ = decode(data)
    try:
        root = lxml.html.document_fromstring(markup)
    except Exception as exc:
        if isinstance(exc, lxml.etree.ParserError):  # "Document is empty": nothing to read
            return Extracted(OK, "", None, "html")
        return Extracted(DAMAGED, "", None, "html", f"unreadable HTML: {type(exc).__name__}")
    for bad in root.xpath("//script|//style|//noscript"):
        bad.drop_tree()
    for block in root.iter(*_BLOCKS):
        block.tail = "\n" + (block.tail or "")
    lines = [line.strip() for line in root.text_content().splitlines()]
    return Extracted(OK, "\n".join(line for line in lines if line), None, "html")
