"""Settings: DOCPIPE_* environment variables and an optional docpipe.toml in the home.

Library code never reads this module's state implicitly: callers build a Settings and pass
it (or the values they need) down, so two pipelines with different settings can coexist.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


@dataclass(frozen=True)
class Home:
    """The home folder and every path docpipe keeps in it: the one place that names them."""

    root: Path

    def __str__(self) -> str:
        return str(self.root)

    @property
    def store(self) -> Path:
        """SQLite: documents, chunks, embeddings, the ask log (the source of truth)."""
        return self.root / "store.db"

    @property
    def vectors(self) -> Path:
        """The FAISS index, derived from the store and rebuilt from it when stale."""
        return self.root / "index.faiss"

    @property
    def vectors_manifest(self) -> Path:
        return self.root / "index.json"

    @property
    def spool(self) -> Path:
        """Documents on their way from the converter to the store; emptied by each ingest."""
        return self.root / "spool"

    @property
    def ingest_lock(self) -> Path:
        return self.root / "ingest.lock"

    @property
    def uploads(self) -> Path:
        """Files uploaded to `docpipe serve`."""
        return self.root / "uploads"

    @property
    def settings_file(self) -> Path:
        return self.root / "docpipe.toml"

    def has_store(self) -> bool:
        return self.store.exists()


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DOCPIPE_", extra="ignore")

    home: Path = Field(default=Path(".docpipe"), description="store, index and logs")
    cache_dir: Path = Field(
        default_factory=lambda: Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "docpipe",
        description="derived model files (e.g. the dequantized embedded LLM), shared by all homes",
    )
    ocr_engine: str = "rapidocr"
    layout_model: str = "rapid_layout"
    render_dpi: int = 200
    embed_model: str | None = Field(
        default=None, description="sentence-transformers model path; default: shipped MiniLM"
    )
    embed_batch_size: int = 32
    chunk_tokens: int = 200
    llm_base_url: str | None = Field(default=None, description="OpenAI-compatible URL, e.g. vLLM")
    llm_model: str = ""
    llm_api_key: str | None = None
    llm_max_tokens: int = 160
    llm_fallback_base_url: str | None = Field(
        default=None, description="second OpenAI-compatible endpoint, asked when the first gives no grounded answer"
    )
    llm_fallback_model: str = ""
    llm_fallback_api_key: str | None = None
    max_pages: int = 2000
    max_file_mb: int = 200
    max_image_pixels: int = 200_000_000
    api_token: str | None = Field(
        default=None, description="bearer token every /api route of `docpipe serve` requires (DOCPIPE_API_TOKEN)"
    )
    page_timeout_s: float = 300.0  # a page with no result by then is abandoned; 0: convert in-process
    pdf_password: str | None = None  # tried on encrypted PDFs; never stored or logged

    @property
    def paths(self) -> Home:
        return Home(self.home)

    @classmethod
    def load(cls, home: Path | None = None, **overrides: Any) -> Settings:
        """Environment first, then HOME/docpipe.toml for keys the environment left unset."""
        env = cls()
        base = home if home is not None else env.home
        values: dict[str, Any] = {}
        toml_path = Home(base).settings_file
        if toml_path.is_file():
            with toml_path.open("rb") as f:
                values.update(tomllib.load(f))
        values.update(env.model_dump(exclude_unset=True))
        values.update({k: v for k, v in overrides.items() if v is not None})
        values["home"] = base
        return cls(**values)
