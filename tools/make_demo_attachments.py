"""Write the real attachment files that tools/build_fixtures.py puts into the demo sites.

    .venv/bin/python tools/make_demo_attachments.py

Made with python-docx (MIT), as Word would save a 政策问答 (policy Q&A) attachment. python-docx
stamps the time into the ZIP entries, so the bytes differ from run to run: the files are kept
in tools/fixture_files/ and build_fixtures.py copies them, which keeps that script's output
deterministic. The word 投资服务专员 is in the DOCX only, nowhere in any demo page: the demo's
summary shows `tjcrawl search` finding it inside the attachment.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import docx

HERE = Path(__file__).resolve().parent / "fixture_files"
#: The word the demo's summary searches for; it must stay out of every demo page.
ATTACHMENT_ONLY_WORD = "投资服务专员"


def policy_qa() -> bytes:
    document = docx.Document()
    properties = document.core_properties
    properties.author = "市发展改革委"
    properties.title = "政策问答"
    properties.created = properties.modified = dt.datetime(2024, 11, 14, 9, 0, 0)
    document.add_heading("《天津市支持民营经济高质量发展的若干措施》政策问答", level=1)
    for question, answer in (
        (
            "一、《措施》适用于哪些企业？",
            "答：在本市依法登记注册的民营企业、个体工商户，均可按规定享受相关支持政策。",
        ),
        (
            "二、企业遇到问题可以找谁？",
            f"答：各区为重点民营企业配备{ATTACHMENT_ONLY_WORD}，实行一对一服务，"
            "企业反映的问题原则上5个工作日内答复。",
        ),
        (
            "三、民间资本可以参与哪些项目？",
            "答：交通、能源、水利、新型基础设施等领域的推介项目，详见附件3项目清单。",
        ),
    ):
        document.add_paragraph(question).runs[0].bold = True
        document.add_paragraph(answer)
    out = Path(HERE / "P020241114123457.docx")
    document.save(out)
    return out.read_bytes()


if __name__ == "__main__":
    HERE.mkdir(exist_ok=True)
    print(f"{len(policy_qa())} bytes -> {HERE / 'P020241114123457.docx'}")
