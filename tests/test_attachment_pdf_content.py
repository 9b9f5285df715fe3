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
]
UNSUPPORTED = [
    b"BI /W 1 /H 1 /BPC 1 /CS /G ID \x00 EI",
    b"/Na#20me Do",
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
