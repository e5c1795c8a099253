"""Peers that cannot run on this machine (their models come from a hub at first use), with
figures their authors or independent benchmarks published. Not comparable with our numbers:
different documents, hardware and metrics; kept for orientation, each with its source."""

from __future__ import annotations

from typing import Any

PUBLISHED: list[dict[str, Any]] = []
