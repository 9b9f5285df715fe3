"""Attachment text: PDF, DOCX, XLSX, XLS, DOC/WPS, ET, OFD, text, CSV, HTML and ZIP files read
into text with a state (tjcrawl.attachments.states), in a worker process with limits.

    with Worker() as worker:
        got = worker.read(data, "P020250903.pdf")
"""

from tjcrawl.attachments.states import STATES, Extracted
from tjcrawl.attachments.worker import Worker

__all__ = ["STATES", "Extracted", "Worker"]
