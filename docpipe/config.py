"""Settings: DOCPIPE_* environment variables and an optional docpipe.toml in the home.

Library code never reads this module's state implicitly: callers build a Settings and pass
it (or the values they need) down, so two pipelines with different settings can coexist.
This is the only module that reads docpipe's environment variables.

Engines are configured by their typed options (docpipe.options), nested: DOCPIPE_OCR__KIND=tesseract,
DOCPIPE_OCR__LANG=deu, or `[ocr] kind = "tesseract"` in docpipe.toml. The flat names documented
before (DOCPIPE_OCR_ENGINE, DOCPIPE_LLM_BASE_URL, DOCPIPE_MAX_PAGES, ...) keep working: one
validator folds them into the nested options; where both are given the nested form wins.
"""

from __future__ import annotations

import os
import tomllib
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from docpipe.options import (
    AutoTableOptions,
    ConvertOptions,
    EmbeddedLLMOptions,
    EmbedderOptions,
    LayoutOptions,
    Limits,
    LlamaCppOptions,
    LLMOptions,
    NumpyBertOptions,
    OcrOptions,
    RapidLayoutOptions,
    RapidOcrOptions,
    TableOptions,
)


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
    def attachments(self) -> Path:
        """Files taken out of ingested mails (attachments/<mail sha256[:16]>/<name>), each its own document."""
        return self.root / "attachments"

    @property
    def settings_file(self) -> Path:
        return self.root / "docpipe.toml"

    def has_store(self) -> bool:
        return self.store.exists()


# The flat names of the README contract, each folded into the nested options by Settings.
LEGACY_KEYS = (
    "ocr_engine",
    "tesseract_lang",
    "paddleocr_dir",
    "layout_model",
    "embed_model",
    "embed_batch_size",
    "llm_gguf",
    "llm_base_url",
    "llm_model",
    "llm_api_key",
    "llm_fallback_base_url",
    "llm_fallback_model",
    "llm_fallback_api_key",
    "max_pages",
    "max_file_mb",
    "max_image_pixels",
)
_SETTINGS_FILE: ContextVar[Path | None] = ContextVar("docpipe_settings_file", default=None)


class _LegacyEnv(PydanticBaseSettingsSource):
    """DOCPIPE_<flat name> variables, which are not fields and so escape the env source."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        env = {k.upper(): v for k, v in os.environ.items()}
        return {key: env[f"DOCPIPE_{key.upper()}"] for key in LEGACY_KEYS if f"DOCPIPE_{key.upper()}" in env}


class _TomlFile(PydanticBaseSettingsSource):
    """HOME/docpipe.toml, below the environment; only while Settings.load builds the settings."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        path = _SETTINGS_FILE.get()
        if path is None or not path.is_file():
            return {}
        with path.open("rb") as f:
            return tomllib.load(f)


def _section(data: dict[str, Any], key: str) -> dict[str, Any]:
    """data[key] as a mutable dict (it may be absent, a dict, or an options object)."""
    value = data.get(key)
    if isinstance(value, BaseModel):
        value = value.model_dump()
    section = dict(value) if isinstance(value, dict) else {}
    data[key] = section
    return section


def _fold_llm(data: dict[str, Any], key: str, flat: dict[str, Any]) -> None:
    """An LLM section from llm_base_url/_model/_api_key (or llm_fallback_...): a base URL means
    an OpenAI-compatible server, as it always did; model and key mean nothing without one."""
    base_url = flat.pop(f"{key}_base_url", None) or None
    model, api_key = flat.pop(f"{key}_model", None), flat.pop(f"{key}_api_key", None)
    if base_url is None and not isinstance(data.get(key), dict | BaseModel):
        return
    section = _section(data, key)
    if base_url is not None:
        section.setdefault("base_url", base_url)
    if section.get("base_url") and "kind" not in section:
        section["kind"] = "openai"
    if section.get("kind") == "openai":
        for name, value in (("model", model), ("api_key", api_key)):
            if value is not None:
                section.setdefault(name, value)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DOCPIPE_", extra="ignore", env_nested_delimiter="__")

    home: Path = Field(default=Path(".docpipe"), description="store, index and logs")
    cache_dir: Path = Field(
        default_factory=lambda: Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "docpipe",
        description="derived model files (e.g. the dequantized embedded LLM), shared by all homes",
    )
    ocr: OcrOptions = Field(default_factory=RapidOcrOptions)
    layout: LayoutOptions = Field(default_factory=RapidLayoutOptions)
    tables: TableOptions = Field(default_factory=AutoTableOptions)
    embedder: EmbedderOptions = Field(default_factory=NumpyBertOptions)
    llm: LLMOptions = Field(
        default_factory=LlamaCppOptions, description="llama.cpp in-process unless a base URL is given"
    )
    llm_fallback: LLMOptions | None = Field(
        default=None, description="a second generator, asked when the first gives no grounded answer"
    )
    render_dpi: int = 200
    renderer: Literal["pypdfium2", "pdf2image"] = Field(
        default="pypdfium2", description="PDF rasteriser: pypdfium2 in process, or pdf2image (poppler's pdftoppm)"
    )
    run_layout: Literal["auto", "always"] = Field(
        default="auto", description="auto: the layout model only on pages where it can change the result"
    )
    crop_margins: bool = Field(default=True, description="OCR only the part of a scan that holds ink")
    chunk_tokens: int = 200
    llm_max_tokens: int = 160
    llm_passage_budget: int = Field(
        default=1000, ge=100, description="tokens of passages in an answer prompt (prefill time grows with it)"
    )
    limits: Limits = Field(default_factory=Limits)
    api_token: str | None = Field(
        default=None, description="bearer token every /api route of `docpipe serve` requires (DOCPIPE_API_TOKEN)"
    )
    workers: int = Field(default=0, ge=0, description="converter workers for parse and ingest; 0: one per core")
    embed_in_workers: bool = Field(
        default=True, description="ingest over several workers: each chunks and embeds what it converted"
    )
    # a page with no result by then is abandoned; 0: convert in-process, one document at a time
    page_timeout_s: float = 300.0
    pdf_password: str | None = None  # tried on encrypted PDFs; never stored or logged

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Arguments, then the environment (nested and flat names), then docpipe.toml.
        return init_settings, env_settings, _LegacyEnv(settings_cls), _TomlFile(settings_cls)

    @model_validator(mode="before")
    @classmethod
    def _fold_legacy(cls, data: Any) -> Any:
        """The flat names into the nested options (the one place that knows both)."""
        if not isinstance(data, dict):
            return data
        data = dict(data)
        flat = {k: data.pop(k) for k in LEGACY_KEYS if k in data and data[k] is not None}
        if not flat:
            return data
        if "ocr_engine" in flat:
            _section(data, "ocr").setdefault("kind", flat.pop("ocr_engine"))
        ocr_kind = _section(data, "ocr").get("kind", "rapidocr")
        for key, kind, name in (("tesseract_lang", "tesseract", "lang"), ("paddleocr_dir", "paddleocr", "model_dir")):
            # Engine-specific names apply to that engine only, as they always did.
            if key in flat and ocr_kind == kind:
                _section(data, "ocr").setdefault(name, flat[key])
        if "layout_model" in flat:
            _section(data, "layout").setdefault("kind", flat["layout_model"])
        for key, name in (("embed_model", "model_path"), ("embed_batch_size", "batch_size")):
            if key in flat:
                _section(data, "embedder").setdefault(name, flat[key])
        if "llm_gguf" in flat and "llm_base_url" not in flat:  # DOCPIPE_LLM_GGUF=path: any local GGUF
            section = _section(data, "llm")
            section.setdefault("kind", "llama_cpp")
            if section["kind"] == "llama_cpp":
                section.setdefault("gguf", flat.pop("llm_gguf"))
        _fold_llm(data, "llm", flat)
        _fold_llm(data, "llm_fallback", flat)
        for key in ("max_pages", "max_file_mb", "max_image_pixels"):
            if key in flat:
                _section(data, "limits").setdefault(key, flat[key])
        return data

    @model_validator(mode="after")
    def _embedded_cache(self) -> Settings:
        """The embedded LLM keeps its derived files in the settings' cache unless told otherwise."""
        for key in ("llm", "llm_fallback"):
            opts = getattr(self, key)
            if isinstance(opts, EmbeddedLLMOptions | LlamaCppOptions) and opts.cache_dir is None:
                setattr(self, key, opts.model_copy(update={"cache_dir": self.cache_dir}))
        return self

    @property
    def paths(self) -> Home:
        return Home(self.home)

    def convert_options(self) -> ConvertOptions:
        return ConvertOptions(
            ocr=self.ocr,
            layout=self.layout,
            tables=self.tables,
            dpi=self.render_dpi,
            run_layout=self.run_layout,
            renderer=self.renderer,
            crop_margins=self.crop_margins,
            limits=self.limits,
            password=self.pdf_password,
        )

    @classmethod
    def load(cls, home: Path | None = None, **overrides: Any) -> Settings:
        """Arguments first, then the environment, then HOME/docpipe.toml for what those left unset."""
        if home is None:
            env = {k.upper(): v for k, v in os.environ.items()}
            home = Path(env["DOCPIPE_HOME"]) if "DOCPIPE_HOME" in env else cls.model_fields["home"].default
        home = Path(home)
        token = _SETTINGS_FILE.set(Home(home).settings_file)
        try:
            return cls(**{k: v for k, v in overrides.items() if v is not None}, home=home)
        finally:
            _SETTINGS_FILE.reset(token)
