"""A content-stream tokenizer for pdfminer.six's page interpreter, for the pages PDFium
misreads. pdfminer's own parser reads a stream byte by byte through a Python state machine
and costs most of the fallback's time (a page of table rules: 10,000 tokens). This one
matches one regular expression per token and gives the interpreter exactly the objects
pdfminer's parser gives it; on anything it does not handle the same way (inline images,
unknown escapes, procedures, keywords inside arrays, a string or array left open at the end)
it gives up before the page is touched, and pdfminer's parser reads the page as before.
The same tokenizer reads the file's objects and object streams for pdfminer's PDFDocument."""

from __future__ import annotations

import re
from typing import Any

_TOKEN = re.compile(
    rb"(?P<skip>[\s\x00]+|%[^\r\n]*)"
    rb"|(?P<number>[-+\d]\d*(?:\.\d*)?|\.\d*)"
    rb"|(?P<name>/(?:[^#/%\[\]()<>{}\s]|#[0-9a-fA-F]{0,2})*)"
    rb"|(?P<keyword>[A-Za-z][^#/%\[\]()<>{}\s]*)"
    rb"|(?P<dict><<|>>)"
    rb"|(?P<hex><[\s0-9a-fA-F]*)"
    rb"|(?P<other>.)",
    re.S,
)
_STRING_STOP = re.compile(rb"[()\\]")
_OCTAL = re.compile(rb"[0-7]{1,3}")
_ESCAPES = {ord("b"): 8, ord("t"): 9, ord("n"): 10, ord("f"): 12, ord("r"): 13}
_ESCAPES.update({ord("("): 40, ord(")"): 41, ord("\\"): 92})
_SPACE = re.compile(rb"\s")
_EOL = re.compile(rb"[\r\n]")
_NAME_ESCAPE = re.compile(rb"#([0-9a-fA-F]{0,2})")


def _name_byte(found: re.Match[bytes]) -> bytes:
    return bytes((int(found.group(1), 16),)) if found.group(1) else b""


#: Content bytes tokenized into a list at most; beyond, pdfminer's parser, which reads one
#: object at a time, so that a huge stream does not become millions of objects at once.
MAX_FAST_BYTES = 8 * 1024 * 1024


class _Unsupported(Exception):
    """Something this tokenizer does not read as pdfminer's parser would."""


def _string(data: bytes, pos: int) -> tuple[bytes, int]:
    """The literal string whose '(' is just before `pos`, and the position after it."""
    out = bytearray()
    depth = 1
    while True:
        found = _STRING_STOP.search(data, pos)
        if found is None:
            raise _Unsupported("a string left open")
        stop = found.start()
        out += data[pos:stop]
        char = data[stop]
        pos = stop + 1
        if char == 0x28:  # (
            depth += 1
            out.append(char)
        elif char == 0x29:  # )
            depth -= 1
            if not depth:
                return bytes(out), pos
            out.append(char)
        else:
            if pos >= len(data):
                raise _Unsupported("a backslash at the end")
            octal = _OCTAL.match(data, pos)
            if octal:
                value = int(octal.group(), 8)
                if value > 255:
                    raise _Unsupported("an octal escape over 255")
                out.append(value)
                pos = octal.end()
                continue
            escaped = data[pos]
            if escaped in _ESCAPES:
                out.append(_ESCAPES[escaped])
            elif data[pos : pos + 2] == b"\r\n":
                pos += 1
            elif escaped not in (0x0A, 0x0D):
                # pdfminer drops the character after an unknown escape; the PDF reference
                # keeps it. Not guessed here: pdfminer's parser reads such a page.
                raise _Unsupported("an unknown escape")
            pos += 1


#: Which of pdfminer's parsers is matched: a page's content (PDFContentParser), an object
#: stream (PDFStreamParser) or one object of the file body (PDFParser, up to endobj).
CONTENT, OBJECT_STREAM, OBJECT = "content", "objstm", "object"
_OBJ_HEAD = re.compile(rb"\s*(\d+)\s+(\d+)\s+obj(?![^#/%\[\]()<>{}\s])")


def content_objects(streams: list[bytes]) -> list[Any] | None:
    """The objects pdfminer's PDFContentParser yields for these streams (operands, arrays,
    dictionaries, operator keywords), or None where it may differ."""
    if sum(map(len, streams)) > MAX_FAST_BYTES:
        return None
    try:
        return _objects(streams, CONTENT, None)
    except _Unsupported:
        return None


def object_stream_objects(data: bytes, doc: Any) -> list[Any] | None:
    """What PDFStreamParser yields for an object stream's data, or None where it may differ."""
    if len(data) > MAX_FAST_BYTES:
        return None
    try:
        return _objects([data], OBJECT_STREAM, doc)
    except _Unsupported:
        return None


def body_object(data: bytes, pos: int, objid: int, doc: Any) -> tuple[bool, Any]:
    """(True, the object) as pdfminer's PDFDocument reads object `objid` at `pos` of the
    file, or (False, None) where it may differ (a stream object among others)."""
    if getattr(getattr(doc, "_parser", None), "fallback", True):
        return False, None  # pdfminer reads streams line by line then: its parser does
    head = _OBJ_HEAD.match(data, pos)
    if head is None or int(head.group(1)) != objid:
        return False, None
    try:
        found = _objects([data], OBJECT, doc, head.end())
    except _Unsupported:
        return False, None
    # pdfminer takes the first of the last four values before endobj (garbage before them
    # included), as here.
    return (True, found[-4:][0]) if found else (False, None)


def _line_end(data: bytes, pos: int) -> int:
    """Where the line from `pos` ends, its \\r, \\n or \\r\\n included (pdfminer's nextline)."""
    found = _EOL.search(data, pos)
    if found is None:
        raise _Unsupported("a line without its end")
    end = found.end()
    return end + 1 if data[end - 1 : end + 1] == b"\r\n" else end


def _stream(data: bytes, at: int, stack: list[Any], doc: Any) -> tuple[Any, int]:
    """The stream object whose 'stream' keyword is at `at`, read as PDFParser reads it: /Length
    bytes from the line after the keyword, then on to the line holding 'endstream'."""
    from pdfminer.pdftypes import PDFStream, int_value

    if not stack or not isinstance(stack[-1], dict):
        raise _Unsupported("a stream without its dictionary")
    attrs = stack.pop()
    try:
        length = int_value(attrs["Length"]) if "Length" in attrs else 0
    except Exception as exc:
        raise _Unsupported("a /Length pdfminer resolves otherwise") from exc
    start = _line_end(data, at)
    raw = data[start : start + length]
    pos = start + length
    while True:
        end = _line_end(data, pos)
        line = data[pos:end]
        if b"endstream" in line:
            pos += line.index(b"endstream")
            break
        pos = end
    return PDFStream(attrs, raw, doc.decipher), pos


def _objects(streams: list[bytes], mode: str, doc: Any, begin: int = 0) -> list[Any]:
    from pdfminer.pdftypes import PDFObjRef
    from pdfminer.psparser import KWD, LIT, literal_name

    out: list[Any] = []
    stack: list[tuple[str, list[Any]]] = []
    in_file = mode != CONTENT

    def put(obj: Any) -> None:
        (stack[-1][1] if stack else out).append(obj)

    for data in streams:
        pos, end = begin, len(data)
        while pos < end:
            found = _TOKEN.match(data, pos)
            assert found is not None  # the last alternative matches any byte
            kind, token, pos = found.lastgroup, found.group(), found.end()
            if kind == "skip":
                continue
            if kind == "number":
                try:
                    put(float(token) if b"." in token else int(token))
                except ValueError as exc:
                    raise _Unsupported("a sign without digits") from exc
            elif kind == "name":
                raw = token[1:]
                if b"#" in raw:  # #xx is a byte; a # without hex digits is dropped
                    raw = _NAME_ESCAPE.sub(_name_byte, raw)
                try:
                    put(LIT(str(raw, "utf-8")))
                except UnicodeDecodeError:
                    put(LIT(raw))
            elif kind == "keyword":
                if token in (b"true", b"false"):
                    put(token == b"true")
                elif not in_file:
                    if stack or token == b"BI":
                        raise _Unsupported("a keyword inside an array, or an inline image")
                    out.append(KWD(token))
                elif token == b"R":
                    items = stack[-1][1] if stack else out
                    if (
                        len(items) < 2
                        or not isinstance(items[-2], int)
                        or (mode == OBJECT_STREAM and not stack)
                    ):
                        raise _Unsupported("a reference pdfminer reads otherwise")
                    objid = items[-2]
                    del items[-2:]
                    put(PDFObjRef(doc, objid))
                elif token == b"null":
                    put(None if mode == OBJECT else KWD(token))
                elif mode == OBJECT and token == b"endobj" and not stack:
                    return out
                elif mode == OBJECT_STREAM and token in (b"obj", b"endobj"):
                    continue
                elif mode == OBJECT and token == b"stream" and not stack:
                    obj, pos = _stream(data, found.start(), out, doc)
                    out.append(obj)
                elif token in (b"stream", b"endobj", b"obj", b"xref", b"startxref", b"BI"):
                    raise _Unsupported("a stream or a file structure keyword")
                else:
                    put(KWD(token))
            elif kind == "hex":
                if data[pos : pos + 1] != b">":
                    raise _Unsupported("a hex string left open")
                digits = _SPACE.sub(b"", token[1:])
                if len(digits) % 2:
                    raise _Unsupported("an odd hex string")
                put(bytes.fromhex(digits.decode("ascii")))
            elif token == b"(":
                text, pos = _string(data, pos)
                put(text)
            elif token in (b"[", b"<<"):
                stack.append(("a" if token == b"[" else "d", []))
            elif token in (b"]", b">>"):
                if not stack or stack[-1][0] != ("a" if token == b"]" else "d"):
                    raise _Unsupported("an unmatched end of array or dictionary")
                kind_open, items = stack.pop()
                if kind_open == "a":
                    put(items)
                else:
                    if len(items) % 2:
                        raise _Unsupported("a dictionary with an odd count")
                    pairs = zip(items[::2], items[1::2], strict=True)
                    put({literal_name(k): v for k, v in pairs if v is not None})
            elif token == b">":
                continue  # pdfminer reads a lone '>' as nothing
            elif token in (b"{", b"}"):
                raise _Unsupported("a procedure")
            elif stack and not in_file:
                raise _Unsupported("a keyword inside an array")
            else:
                put(KWD(token))
    if stack or mode == OBJECT:
        raise _Unsupported("an array, a dictionary or an object left open")
    return out
