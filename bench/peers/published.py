"""Peers that cannot run on this machine (their models come from a hub at first use), with
figures their authors or public leaderboards published. Not comparable with our numbers:
other documents, other hardware (mostly GPUs), other metrics; kept for orientation, each with
its source."""

from __future__ import annotations

from typing import Any

HUB = "layout/table/OCR weights downloaded from Hugging Face at first use"

PUBLISHED: list[dict[str, Any]] = [
    {
        "tool": "Docling",
        "why": f"{HUB} (RT-DETR layout, TableFormer); pip install works, conversion does not",
        "figure": "1.27–1.34 pages/s on Apple M3 Max, 0.60–0.92 pages/s on Intel Xeon E5-2690 (4–16 threads, "
        "no OCR), 2.6–6.2 GB peak memory, 225 test pages (Docling Technical Report, Table 1)",
        "source": "https://arxiv.org/abs/2408.09869",
    },
    {
        "tool": "Marker",
        "why": f"{HUB} (surya layout/OCR/reading order, texify)",
        "figure": "0.23 s/page on an NVIDIA A10 GPU, average score 0.625 on its own 6-PDF set (books and papers "
        "with LaTeX source), 6 GB peak VRAM (README, Benchmarks)",
        "source": "https://github.com/VikParuchuri/marker#benchmarks",
    },
    {
        "tool": "Marker (Datalab)",
        "why": "as above",
        "figure": "OmniDocBench v1.5: text edit distance 0.109, table TEDS 79.1, reading-order edit 0.106, "
        "overall 85.5 (leaderboard)",
        "source": "https://idp-leaderboard.org/benchmarks/omnidocbench",
    },
    {
        "tool": "MinerU 2.5",
        "why": f"{HUB} (1.2B-parameter VLM; the pipeline backend also needs hub models)",
        "figure": "OmniDocBench overall 90.67; 2.12 pages/s on an NVIDIA A100 (MinerU2.5 paper)",
        "source": "https://arxiv.org/abs/2509.22186",
    },
]
