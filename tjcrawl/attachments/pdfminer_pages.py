"""pdfminer.six for the pages PDFium misreads: one document per file, read page by page with a
light text device (no layout analysis), its content streams, objects and object streams
tokenized by tjcrawl.attachments.pdf_content where that gives exactly pdfminer's objects."""

from __future__ import annotations

import logging
from typing import Any


class _DebugOff:
    """A pdfminer module's logger without debug(): pdfminer.six calls log.debug for every
    token it parses, and the call costs about 6 % of its time even when nothing is logged."""

    def __init__(self, logger: logging.Logger) -> None:
        self._logger = logger

    def debug(self, *args: object, **kwargs: object) -> None:
        return None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._logger, name)


def quiet_pdfminer_debug() -> None:
    """For the worker process alone: pdfminer's hot loops without their debug calls."""
    import importlib

    for name in ("psparser", "pdfparser", "pdfinterp", "pdfdocument", "pdfpage", "cmapdb"):
        module = importlib.import_module(f"pdfminer.{name}")
        logger = getattr(module, "log", None)
        if isinstance(logger, logging.Logger):
            module.log = _DebugOff(logger)  # type: ignore[attr-defined]


class PdfminerPages:
    """pdfminer.six opened once per file, lazily, reading single pages with a light device:
    characters in content-stream order, a line break where the pen leaves the line, no
    layout analysis (which costs most of pdfminer's time and is not needed for search).
    One resource manager for the whole file, so that a font (and its embedded font program,
    parsed for its Unicode map) is built once, not once per page."""

    def __init__(self, data: bytes) -> None:
        import io

        from pdfminer.pdfinterp import PDFResourceManager
        from pdfminer.pdfpage import PDFPage
        from pdfminer.pdfparser import PDFParser

        self._doc = _document_class()(PDFParser(io.BytesIO(data)), data)
        # Walked as far as a page asked for: a long document with one misread page does not
        # pay for building every page's object.
        self._walk = PDFPage.create_pages(self._doc)
        self._pages: list[Any] = []
        self._rsrcmgr = PDFResourceManager(caching=True)
        self._glyphs: dict[tuple[Any, int], Any] = {}
        #: Characters whose code no font table maps to Unicode, over the pages read.
        self.undecodable = 0

    def _page(self, index: int) -> Any:
        while len(self._pages) <= index:
            page = next(self._walk, None)
            if page is None:
                raise IndexError(f"pdfminer finds no page {index + 1}")
            self._pages.append(page)
        return self._pages[index]

    def __len__(self) -> int:
        self._pages.extend(self._walk)
        return len(self._pages)

    def text(self, index: int) -> str:
        device = _TextDevice(self._rsrcmgr, self._glyphs)
        _Interpreter(self._rsrcmgr, device).process_page(self._page(index))
        self.undecodable += device.undecodable
        return device.result()


_DOCUMENT: type | None = None


def _document_class() -> type:
    """pdfminer's PDFDocument reading the file's objects and object streams with the fast
    tokenizer (a CID font's widths array alone is thousands of tokens), and with its own
    parser wherever the tokenizer gives up (stream objects among them)."""
    global _DOCUMENT
    if _DOCUMENT is None:
        from pdfminer import settings
        from pdfminer.pdfdocument import PDFDocument

        from tjcrawl.attachments.pdf_content import body_object, object_stream_objects

        class Document(PDFDocument):
            def __init__(self, parser: Any, data: bytes) -> None:
                self._data = data
                super().__init__(parser)

            def _get_objects(self, stream: Any) -> tuple[list[object], int]:
                fast = object_stream_objects(stream.get_data(), self)
                if fast is None or settings.STRICT:
                    return super()._get_objects(stream)
                count = stream.get("N", 0)
                return fast, count

            def _getobj_parse(self, pos: int, objid: int) -> object:
                read, obj = body_object(self._data, pos, objid, self)
                return obj if read else super()._getobj_parse(pos, objid)

        _DOCUMENT = Document
    return _DOCUMENT


_INTERPRETER: type | None = None
#: Operator keyword → the interpreter's method name.
_OPERATORS: dict[bytes, str] = {}


def _fast_objects(streams: Any, running: set[int]) -> list[Any] | None:
    """The page's content objects by the fast tokenizer, or None to use pdfminer's parser."""
    from pdfminer.pdftypes import stream_value

    from tjcrawl.attachments.pdf_content import content_objects

    datas = []
    for obj in streams:
        stream = stream_value(obj)
        if stream.objid is None:  # pdfminer warns and skips it: its parser decides
            return None
        if stream.objid not in running:
            datas.append(stream.get_data())
    return content_objects(datas)


def _Interpreter(rsrcmgr: Any, device: Any) -> Any:
    """pdfminer's page interpreter, skipping a form XObject that can show no text (no BT
    operator and no nested Do): scanned forms, logos, rules and tables cost most of a
    page's interpretation and give nothing to read."""
    global _INTERPRETER
    if _INTERPRETER is None:
        from pdfminer.pdfinterp import PDFPageInterpreter
        from pdfminer.pdftypes import stream_value
        from pdfminer.psparser import PSKeyword, literal_name

        class Interpreter(PDFPageInterpreter):
            def execute(self, streams: Any) -> None:
                objects = _fast_objects(streams, self.parent_stream_ids)
                if objects is None:
                    super().execute(streams)
                    return
                # The bookkeeping of pdfminer's execute: streams already being run by a
                # parent (a form that draws itself) are skipped, as there.
                self.stream_ids.clear()
                for obj in streams:
                    objid = stream_value(obj).objid
                    if objid is not None and objid not in self.parent_stream_ids:
                        self.stream_ids.add(objid)
                for obj in objects:
                    if not isinstance(obj, PSKeyword):
                        self.push(obj)
                        continue
                    operator = _OPERATORS.get(obj.name)
                    if operator is None:
                        name = obj.name.decode("latin-1")
                        operator = "do_" + name.replace("*", "_a").replace('"', "_w")
                        operator = _OPERATORS[obj.name] = operator.replace("'", "_q")
                    func = getattr(self, operator, None)
                    if func is None:
                        continue  # an unknown operator: pdfminer ignores it too
                    nargs = func.__code__.co_argcount - 1
                    if nargs:
                        args = self.pop(nargs)
                        if len(args) == nargs:
                            func(*args)
                    else:
                        func()

            def do_Do(self, xobjid_arg: Any) -> None:
                try:
                    xobj = stream_value(self.xobjmap[literal_name(xobjid_arg)])
                    data = xobj.get_data() if literal_name(xobj.get("Subtype")) == "Form" else None
                except Exception:  # pdfminer's own handling decides (and says) what it is
                    data = None
                if data is not None and b"BT" not in data and b"Do" not in data:
                    return
                super().do_Do(xobjid_arg)

        _INTERPRETER = Interpreter
    return _INTERPRETER(rsrcmgr, device)


def _text_device_class() -> type:
    from pdfminer.pdfdevice import PDFTextDevice

    class TextDevice(PDFTextDevice):
        def __init__(self, rsrcmgr: Any, glyphs: dict[tuple[Any, int], Any]) -> None:
            super().__init__(rsrcmgr)
            self.parts: list[str] = []
            self._last: tuple[float, float] | None = None
            self.undecodable = 0
            # (font, code) → (text, width, vertical, undecodable), for the whole file: the
            # same few hundred codes come back thousands of times, and pdfminer's width
            # lookup looks the Unicode up a second time for codes without a width.
            self._glyphs = glyphs

        def render_char(
            self,
            matrix: Any,
            font: Any,
            fontsize: float,
            scaling: float,
            rise: float,
            cid: int,
            ncs: Any,
            graphicstate: Any,
        ) -> float:
            key = (font, cid)  # the font itself: it stays alive, its identity is not reused
            glyph = self._glyphs.get(key)
            if glyph is None:
                try:
                    glyph = (font.to_unichr(cid), font.char_width(cid), font.is_vertical(), 0)
                except Exception:  # no Unicode for this code: nothing invented, counted
                    glyph = ("", font.char_width(cid), font.is_vertical(), 1)
                self._glyphs[key] = glyph
            text, width, vertical, undecodable = glyph
            self.undecodable += undecodable
            x, y = matrix[4], matrix[5]
            size = max(abs(matrix[0]), abs(matrix[3]), 1e-3) * max(abs(fontsize), 1e-3)
            if self._last is not None:
                dx, dy = x - self._last[0], y - self._last[1]
                if vertical:
                    if abs(dx) > size * 0.5:
                        self.parts.append("\n")
                elif abs(dy) > size * 0.5:
                    self.parts.append("\n")
                elif dx > size * 1.5 or dx < -size * 2:
                    self.parts.append(" ")
            self._last = (x, y)
            self.parts.append(text)
            return width * fontsize * scaling

        def result(self) -> str:
            return "".join(self.parts)

    return TextDevice


_TEXT_DEVICE: type | None = None


def _TextDevice(rsrcmgr: Any, glyphs: dict[tuple[Any, int], Any]) -> Any:
    global _TEXT_DEVICE
    if _TEXT_DEVICE is None:
        _TEXT_DEVICE = _text_device_class()
    return _TEXT_DEVICE(rsrcmgr, glyphs)
