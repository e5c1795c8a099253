"""A SearchFilter as an SQL condition over `documents d` (the filter itself is plain data in records)."""

from __future__ import annotations

from docpipe.index.records import SearchFilter

# --type's names as patterns of the stored mime type.
MIME_PATTERNS = {
    "pdf": "application/pdf",
    "image": "image/%",
    "office": "application/vnd.openxmlformats-officedocument.%",
    "html": "text/html",
    "mail": "message/rfc822",
}


def filter_sql(flt: SearchFilter) -> tuple[str, list[object]]:
    clauses: list[str] = ["d.status='ok'"]
    args: list[object] = []
    if flt.document:
        clauses.append("(d.name LIKE ? OR d.path LIKE ?)")
        args += [flt.document, flt.document]
    if flt.kind:
        clauses.append("d.mime LIKE ?")
        args.append(MIME_PATTERNS.get(flt.kind, flt.kind))
    if flt.since is not None:
        clauses.append("d.updated_at >= ?")
        args.append(flt.since)
    if flt.until is not None:
        clauses.append("d.updated_at <= ?")
        args.append(flt.until)
    return " AND ".join(clauses), args
