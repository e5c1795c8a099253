"""EML through the standard library's email parser: the subject as the title, the sender,
recipients and date, the body (plain text, or the HTML part read as HTML), and a list of the
attachments. Each attachment is its own document (the ingestor takes them out with
attachments() and links them to the mail by its sha256)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

from docpipe.document import Attachment
from docpipe.errors import LoadError
from docpipe.options import Limits
from docpipe.parse.load.office.flow import Flow
from docpipe.parse.load.office.web import parse_html, walk

HEADERS = ("From", "To", "Cc", "Date")


@dataclass
class Attached:
    name: str
    mime: str
    data: bytes

    def record(self) -> Attachment:
        return Attachment(
            name=self.name, mime=self.mime, sha256=hashlib.sha256(self.data).hexdigest(), size=len(self.data)
        )


def parse_mail(path: Path, data: bytes) -> EmailMessage:
    try:
        msg = BytesParser(policy=policy.default).parsebytes(data)
    except (ValueError, TypeError, LookupError) as e:
        raise LoadError(path, f"unreadable mail ({e})") from e
    assert isinstance(msg, EmailMessage)
    return msg


def attachments(path: Path, data: bytes, limits: Limits) -> list[Attached]:
    """The mail's attachments (nested mails as .eml), at most limits.max_attachments."""
    out: list[Attached] = []
    for i, part in enumerate(parse_mail(path, data).iter_attachments(), start=1):
        if len(out) >= limits.max_attachments:
            raise LoadError(path, f"too many attachments (over {limits.max_attachments} limit)")
        try:
            content = part.get_content()
        except (LookupError, ValueError, AssertionError) as e:
            raise LoadError(path, f"attachment {i} cannot be decoded ({e})") from e
        if isinstance(content, EmailMessage):
            raw = content.as_bytes()
        elif isinstance(content, str):
            raw = content.encode("utf-8")
        else:
            raw = bytes(content)
        name = part.get_filename() or f"attachment-{i}"
        out.append(Attached(name=name, mime=part.get_content_type(), data=raw))
    return out


def read_eml(path: Path, data: bytes, limits: Limits) -> tuple[list[Flow], list[Attachment]]:
    msg = parse_mail(path, data)
    flow = Flow(number=1)
    subject = " ".join(str(msg.get("Subject", "")).split())
    flow.label = subject
    flow.text("title", subject or "(no subject)", ref="header Subject", level=1)
    head = "\n".join(f"{h}: {' '.join(str(msg[h]).split())}" for h in HEADERS if msg.get(h))
    flow.text("text", head, ref="headers")
    body = msg.get_body(preferencelist=("plain", "html"))
    if body is not None:
        try:
            content = body.get_content()
        except (LookupError, ValueError) as e:
            raise LoadError(path, f"mail body cannot be decoded ({e})") from e
        if body.get_content_type() == "text/html":
            walk(flow, parse_html(content.encode("utf-8"), path, limits))
        else:
            for n, para in enumerate(str(content).split("\n\n"), start=1):
                flow.text("text", para, ref=f"body paragraph {n}")
    records = [a.record() for a in attachments(path, data, limits)]
    for a in records:
        flow.text("list_item", f"Attachment: {a.name} ({a.mime}, {a.size:,} bytes)", ref=f"attachment {a.name}")
    return [flow], records
