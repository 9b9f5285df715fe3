"""The fast content-stream tokenizer (tjcrawl.attachments.pdf_content) gives pdfminer.six's
interpreter exactly what pdfminer's own parser gives it, or gives up."""

from __future__ import annotations

from typing import Any

import pytest

from tjcrawl.attachments.pdf_content import content_objects


def pdfminer_objects(streams: list[bytes]) -> list[Any]:
    from pdfminer.pdfinterp import PDFContentParser
    from pdfminer.pdftypes import PDFStream
    from pdfminer.psparser import PSEOF

    parser = PDFContentParser([PDFStream({}, data) for data in streams])
    out = []
    while True:
        try:
            out.append(parser.nextobject()[1])
        except PSEOF:
            return out


SAME = [
    b"BT /F1 12 Tf 72 712 Td (Hello) Tj ET",
    b"q 1 0 0 1 +.5 -3. cm 0.25 w 10 20 m 30 40 l S Q % a comment\n/Im0 Do",
    rb"BT (a \(nested (paren)\) \\ back\nnew \101\1012 oct\
continued) Tj [(A) -120 (B) 33.5 <00 41>] TJ ET",
    b"BT <0011002200330044> Tj <48656C6C6F>Tj T* (x) ' 1 2 (y) \" ET",
    b"/Span << /ActualText (\xfe\xff\x00A) /MCID 3 /Flag true /No false >> BDC EMC",
    b"\x00 BT/F2 9.5 Tf(\xb0\xa1\xb0\xa2)Tj ET\r\n",
    b"1 2 3 4 re W n 5.5.5 0 0 rg",
    b"/Na#20me#e5#ae#8b#/#4 Do [/A#zz] TJ",
]
UNSUPPORTED = [
    b"BI /W 1 /H 1 /BPC 1 /CS /G ID \x00 EI",
    b"<414>",
    rb"(unknown \q escape) Tj",
    b"{ 1 2 } exec",
    b"[ (a) null ] TJ",
    b"(left open",
    b"[ 1 2",
    b"- 5 m",
]


@pytest.mark.parametrize("content", SAME)
def test_the_objects_are_those_of_pdfminers_parser(content: bytes) -> None:
    assert content_objects([content]) == pdfminer_objects([content])


def test_several_streams_are_read_as_one_content() -> None:
    streams = [b"BT /F1 12 Tf", b"(one) Tj", b"ET q Q"]
    assert content_objects(streams) == pdfminer_objects(streams)


@pytest.mark.parametrize("content", UNSUPPORTED)
def test_what_it_does_not_read_as_pdfminer_does_it_leaves_to_pdfminer(content: bytes) -> None:
    assert content_objects([content]) is None


def _plain(obj: Any) -> Any:
    """An object of pdfminer's, comparable: references by number, streams by their bytes."""
    from pdfminer.pdftypes import PDFObjRef, PDFStream
    from pdfminer.psparser import PSKeyword, PSLiteral

    if isinstance(obj, PDFObjRef):
        return ("ref", obj.objid)
    if isinstance(obj, PDFStream):
        return ("stream", _plain(obj.attrs), obj.get_rawdata())
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_plain(v) for v in obj]
    if isinstance(obj, (PSLiteral, PSKeyword)):
        return (type(obj).__name__, obj.name)
    return (type(obj).__name__, obj)


def test_the_files_objects_are_those_pdfminer_reads() -> None:
    """Body objects and an object stream (references, null, names with #xx, strings with
    escapes, a widths array, a stream object left to pdfminer) read through the fast
    tokenizer are the objects pdfminer's own parser reads."""
    import io
    import zlib

    from pdfminer.pdfdocument import PDFDocument
    from pdfminer.pdfparser import PDFParser

    from tjcrawl.attachments.pdfminer_pages import _document_class

    objstm_body = (
        b"7 0 8 40 << /FontName /ABCDEE+#E5#AE#8B#E4#BD#93 /N null /R 9 0 R >> [1 [2 3] 4 0 R]"
    )
    compressed = zlib.compress(objstm_body)
    bodies = [
        b"<< /Type /Catalog /Pages 2 0 R /Extra [null true false (a\\b\051) <4142>] >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /W [1 [500 600 700] 10 20 1000] /Nm /X#41#20Y >>",
        b"<< /Length 5 >>\nstream\nhello\nendstream",
        b"<< /Type /ObjStm /N 2 /First 9 /Filter /FlateDecode /Length %d >>\nstream\n"
        % len(compressed)
        + compressed
        + b"\nendstream",
        b"42",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.5\n")
    offsets = []
    for number, body in enumerate(bodies, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(bodies) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (9, xref))
    data = out.getvalue()
    # Objects 7 and 8 live in the object stream (object 5): the xref table above cannot say
    # so, so they are read from it directly.
    theirs = PDFDocument(PDFParser(io.BytesIO(data)))
    ours = _document_class()(PDFParser(io.BytesIO(data)), data)
    for objid in range(1, len(bodies) + 1):
        assert _plain(ours.getobj(objid)) == _plain(theirs.getobj(objid))
    stream = theirs.getobj(5)
    assert _plain(ours._get_objects(stream)[0]) == _plain(theirs._get_objects(stream)[0])


def test_a_huge_content_stream_is_left_to_pdfminers_parser_one_object_at_a_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tjcrawl.attachments import pdf_content

    monkeypatch.setattr(pdf_content, "MAX_FAST_BYTES", 1400)
    line = b"1 2 m 3 4 l S\n"
    assert content_objects([line * 101]) is None
    assert content_objects([line * 99]) == pdfminer_objects([line * 99])
