"""The library's front door: one object per home that wires settings to components.

The CLI and the server call this; nothing here prints or parses arguments. Components are
built on first use so `docpipe ls` never loads a model.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property

from docpipe.answer.ask import Answer, Asker
from docpipe.answer.request import AskRequest
from docpipe.config import Home, Settings
from docpipe.errors import NothingIngestedError
from docpipe.index.embed import EMBEDDERS, Embedder
from docpipe.index.ingest import Ingestor
from docpipe.index.records import DocumentRow
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

    @property
    def home(self) -> Home:
        return self.settings.paths

    @cached_property
    def convert_options(self) -> ConvertOptions:
        return self.settings.convert_options()

    @cached_property
    def converter(self) -> DocumentConverter:
        """In a child process when a page timeout is set (the default), else in this one; over
        `workers` of them (default one per core), each with its share of the cores' threads."""
        s, options = self.settings, self.convert_options
        workers = s.workers or default_workers()
        if workers > 1:
            shared = with_thread_share(options, workers)

            def make() -> ShardConverter:
                return IsolatedConverter(shared, s.page_timeout_s) if s.page_timeout_s > 0 else Converter(shared)

            return ParallelConverter(make, workers, options.limits, options.password)
        if s.page_timeout_s > 0:
            return IsolatedConverter(options, s.page_timeout_s)
        return Converter(options)

    @cached_property
    def embedder(self) -> Embedder:
        return EMBEDDERS.create(self.settings.embedder)

    def store(self) -> Store:
        return Store(self.home.store)

    def ingestor(self) -> Ingestor:
        return Ingestor(self.home, self.converter, self.embedder, self.settings.chunk_tokens)

    def generator(self) -> Generator:
        from docpipe.llm import LLMS

        return LLMS.create(self.settings.llm)

    def fallback_generator(self) -> Generator:
        from docpipe.llm import LLMS

        if self.settings.llm_fallback is None:
            raise LLMError("no fallback generator is configured (DOCPIPE_LLM_FALLBACK_BASE_URL)")
        return LLMS.create(self.settings.llm_fallback)

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
                self.generator,  # a factory: the LLM loads only if the question needs it
                fallback=self.fallback_generator if self.settings.llm_fallback is not None else None,
                log=store.asks.add,
                answer_tokens=self.settings.llm_max_tokens,
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
                removed = [p for key in keys for p in store.documents.remove(key)]
                if removed:
                    VectorIndex(self.home, self.embedder.name, self.embedder.dim).rebuild(store)
                return removed
            finally:
                store.close()
