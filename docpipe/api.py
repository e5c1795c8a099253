"""The library's front door: one object per home that wires settings to components.

The CLI and the server call this; nothing here prints or parses arguments. Components are
built on first use so `docpipe ls` never loads a model.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

from docpipe.answer.ask import Answer, Asker
from docpipe.answer.request import AskRequest
from docpipe.config import Home, Settings
from docpipe.document import Document
from docpipe.errors import LoadError, NothingIngestedError, UsageError
from docpipe.extract.file import extract_file
from docpipe.extract.record import ExtractionRecord
from docpipe.extract.schemas import Schema, load_schema
from docpipe.index.embed import EMBEDDERS, Embedder
from docpipe.index.ingest import FileOutcome, Ingestor, discover
from docpipe.index.records import DocumentRow, Hit
from docpipe.index.search import Retriever
from docpipe.index.store import Store
from docpipe.index.vectors import VectorIndex
from docpipe.llm.base import Generator, LLMError
from docpipe.parse.converter import Converter, ConvertOptions, DocumentConverter
from docpipe.parse.isolated import IsolatedConverter
from docpipe.parse.parallel import ParallelConverter, ShardConverter, default_workers, with_thread_share


class Docpipe:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._gen: Generator | None = None

    @property
    def home(self) -> Home:
        return self.settings.paths

    @cached_property
    def convert_options(self) -> ConvertOptions:
        return self.settings.convert_options()

    @cached_property
    def converter(self) -> DocumentConverter:
        """In a child process when a page timeout is set (the default), over `workers` of them
        (default one per core), each with its share of the cores' threads. Without a timeout,
        one converter in this process: PDFium is not thread-safe, so in-process converters
        cannot run side by side (two at once crash the process)."""
        s, options = self.settings, self.convert_options
        if s.page_timeout_s <= 0:
            return Converter(options)
        workers = s.workers or default_workers()
        if workers > 1:
            shared = with_thread_share(options, workers)

            def make() -> ShardConverter:
                return IsolatedConverter(shared, s.page_timeout_s)

            return ParallelConverter(make, workers, options.limits, options.password)
        return IsolatedConverter(options, s.page_timeout_s)

    @cached_property
    def embedder(self) -> Embedder:
        return EMBEDDERS.create(self.settings.embedder)

    def store(self) -> Store:
        return Store(self.home.store)

    def ingestor(self) -> Ingestor:
        s = self.settings
        # The embedder's options go along: with several workers, each chunks and embeds the
        # documents it converted (the same model and batches), so ingest uses every core.
        in_workers = s.embedder if s.embed_in_workers else None
        return Ingestor(self.home, self.converter, self.embedder, s.chunk_tokens, s.limits, in_workers)

    def generator(self) -> Generator:
        from docpipe.llm import LLMS

        return LLMS.create(self.settings.llm)

    def fallback_generator(self) -> Generator:
        from docpipe.llm import LLMS

        if self.settings.llm_fallback is None:
            raise LLMError("no fallback generator is configured (DOCPIPE_LLM_FALLBACK_BASE_URL)")
        return LLMS.create(self.settings.llm_fallback)

    def warm_up(self) -> None:
        """Load the embedder and the generator now (chat, the server), not at the first question."""
        warm = getattr(self.embedder, "warm_up", None)
        if warm is not None:
            warm()
        self._generator().warm_up()

    def _generator(self) -> Generator:
        """The generator, made once per Docpipe (its model is kept loaded by its kind)."""
        if self._gen is None:
            self._gen = self.generator()
        return self._gen

    def retriever(self, store: Store) -> Retriever:
        vectors = VectorIndex(self.home, self.embedder.name, self.embedder.dim)
        vectors.load(store)  # read-only: a stale file is rebuilt in memory, never written here
        return Retriever(store, self.embedder, vectors)

    def require_store(self) -> None:
        """NothingIngestedError unless something was ingested in this home (reading never creates one)."""
        if not self.home.has_store():
            raise NothingIngestedError(str(self.home))

    def documents(self) -> list[DocumentRow]:
        """What is stored, with status, pages, chunks and errors."""
        self.require_store()
        with self.store() as store:
            return store.documents.rows()

    def ingest(self, paths: Sequence[Path], on_done: Callable[[FileOutcome], None] | None = None) -> list[FileOutcome]:
        """Ingest files and folders: the missing ones first (failed), then each file's outcome."""
        files, problems = discover(paths)
        return problems + (self.ingestor().ingest(files, on_done=on_done) if files else [])

    def search(self, query: str, k: int = 5) -> list[Hit]:
        """The k passages that match the query best (dense + keyword), without asking an LLM."""
        self.require_store()
        with self.store() as store:
            return self.retriever(store).search(query, k=k)

    def document(self, key: str) -> Document | None:
        """A stored document by sha256, file name or path."""
        self.require_store()
        with self.store() as store:
            return store.documents.get(key)

    def parse(self, path: Path) -> Document:
        """One file converted (not stored); a file that cannot be converted raises its one line."""
        result = self.converter.convert(path)
        if result.document is None:
            raise LoadError(path, "; ".join(e.message for e in result.errors) or "conversion failed")
        return result.document

    def extract(self, path: Path, schema: str | dict[str, Any]) -> ExtractionRecord:
        """A record for `schema`: a built-in name, a JSON Schema file, module:Class, or a JSON Schema object."""
        return extract_file(path, self.schema(schema), self.converter)

    @staticmethod
    def schema(spec: str | dict[str, Any]) -> Schema:
        if isinstance(spec, str):
            try:
                return load_schema(spec)
            except ValueError as e:
                raise UsageError(str(e)) from None
        props = spec.get("properties")
        if not isinstance(props, dict) or not props:
            raise UsageError("a JSON Schema needs an object with top-level 'properties'")
        return Schema(str(spec.get("title") or "custom"), spec, tuple(props))

    def asks(self, limit: int = 20) -> list[dict[str, object]]:
        """The latest questions asked: answer, model, route, chunks, latency, tokens."""
        self.require_store()
        with self.store() as store:
            return store.asks.recent(limit)

    def ask(self, request: AskRequest, *, on_token: Callable[[str], None] | None = None) -> Answer:
        """Answer `request` (validated by AskRequest, whoever built it); on_token gets the LLM's
        words as they come."""
        store = self.store()
        try:
            asker = Asker(
                self.retriever(store),
                self._generator,  # a factory: the LLM loads only if the question needs it
                fallback=self.fallback_generator if self.settings.llm_fallback is not None else None,
                log=store.asks.add,
                answer_tokens=self.settings.llm_max_tokens,
                passage_budget=self.settings.llm_passage_budget,
            )
            return asker.ask(
                request.question, k=request.k, mode=request.mode, flt=request.search_filter(), on_token=on_token
            )
        finally:
            store.close()

    def rebuild_index(self, reembed: bool = False) -> tuple[int, str]:
        """Rebuild the FAISS file from the store's vectors (re-embedding every chunk with the
        configured model first when asked), under the ingest lock."""
        from docpipe.index.ingest import ingest_lock

        with ingest_lock(self.home):
            store = self.store()
            try:
                if reembed:
                    has_vectors = store.embeddings.state()[0] > 0
                    ids, texts = zip(*store.documents.chunk_texts(), strict=True) if has_vectors else ((), ())
                    vecs = self.embedder.embed(list(texts), progress=True)
                    store.embeddings.replace(list(zip(ids, vecs, strict=True)), self.embedder.name)
                vectors = VectorIndex(self.home, self.embedder.name, self.embedder.dim)
                vectors.rebuild(store)
                return int(vectors.index.ntotal), vectors.kind
            finally:
                store.close()

    def remove(self, keys: list[str]) -> list[str]:
        from docpipe.index.ingest import ingest_lock

        with ingest_lock(self.home):
            store = self.store()
            try:
                removed = list(dict.fromkeys(p for key in keys for p in store.documents.remove(key)))
                if removed:
                    VectorIndex(self.home, self.embedder.name, self.embedder.dim).rebuild(store)
                _drop_attachment_copies(self.home.attachments, removed)
                return removed
            finally:
                store.close()


def _drop_attachment_copies(folder: Path, removed: list[str]) -> None:
    """The files ingest took out of a mail, once their documents are gone (the user's own
    files are never touched: only paths inside HOME/attachments)."""
    root = folder.resolve()
    for p in map(Path, removed):
        if p.is_relative_to(root):
            p.unlink(missing_ok=True)
            for d in p.parents:  # the now-empty <n>/ and <mail>/ folders
                if d == root or not d.is_relative_to(root) or any(d.iterdir()):
                    break
                d.rmdir()
