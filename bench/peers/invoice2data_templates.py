"""invoice2data as it is meant to be used: one template written per issuer (the four in
bench/peers/templates_invoice2data/, written by hand for this bench) beside the bundled ones."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from invoice2data.extract.loader import read_templates

from bench.peers.invoice2data import PACKAGES, TEMPLATES, run

__all__ = ["PACKAGES", "extract"]
OURS: list[Any] = read_templates(str(Path(__file__).with_name("templates_invoice2data")))


def extract(path: Path) -> dict[str, Any]:
    return run(path, OURS + TEMPLATES)
