"""The llama.cpp knobs of LlamaCppOptions: defaults as measured (unchanged), bad values refused."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from docpipe.config import Settings
from docpipe.options import LlamaCppOptions


def test_the_defaults_are_llama_cpps_own() -> None:
    o = LlamaCppOptions()
    assert (o.threads_batch, o.ubatch, o.poll, o.flash_attn, o.cache_reuse) == (0, 512, 50, "auto", 0)
    assert Settings().llm_passage_budget == 1000


def test_bad_knobs_are_refused() -> None:
    for bad in ({"flash_attn": "yes"}, {"ubatch": 8}, {"poll": 101}, {"cache_reuse": -1}):
        with pytest.raises(ValidationError):
            LlamaCppOptions(**bad)  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        Settings(llm_passage_budget=10)
