"""A SearchFilter as an SQL condition over `documents d` (the filter itself is plain data in records)."""

from __future__ import annotations

from docpipe.index.records import SearchFilter


def filter_sql(flt: SearchFilter) -> tuple[str, list[object]]:
    clauses: list[str] = ["d.status='ok'"]
    args: list[object] = []
    if flt.document:
        clauses.append("(d.name LIKE ? OR d.path LIKE ?)")
        args += [flt.document, flt.document]
    if flt.kind:
        clauses.append("d.mime LIKE ?")
        args.append("application/pdf" if flt.kind == "pdf" else "image/%")
    if flt.since is not None:
        clauses.append("d.updated_at >= ?")
        args.append(flt.since)
    if flt.until is not None:
        clauses.append("d.updated_at <= ?")
        args.append(flt.until)
    return " AND ".join(clauses), args
