"""One registry per engine role (OCR, layout, tables, embedder, LLM), all of this one class.

A kind resolves, in order, to: a built-in name; an entry point installed in the group
`docpipe.<role>` (so a third party adds an engine with `pip install`); or "package.module:Class".
Built-ins are "module:attr" strings, imported only when that engine is made, so naming an
engine never loads another engine's libraries.

A factory is called with one argument, the engine's typed options. A factory (class) that
declares `options_type` (an EngineOptions subclass) gets its extra options validated into it.
"""

from __future__ import annotations

import importlib
import importlib.metadata
from collections.abc import Callable
from typing import Any, Generic, TypeVar, cast

from pydantic import TypeAdapter, ValidationError

from docpipe.errors import MissingEngineError, UnknownEngineError, UsageError
from docpipe.options import EngineOptions

T = TypeVar("T")


def _load(target: str) -> Any:
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)


class Registry(Generic[T]):
    def __init__(self, role: str, builtins: dict[str, str], options: Any, label: str | None = None) -> None:
        """role: names the entry-point group; builtins: kind -> "module:attr"; options: the
        role's discriminated options type (a kind given as a string gets its defaults)."""
        self.role = role
        self.group = f"docpipe.{role}"
        self.label = label or role  # as messages name the role ("OCR engine", "layout model")
        self._builtins = dict(builtins)
        self._options: TypeAdapter[EngineOptions] = TypeAdapter(options)

    def _entry_points(self) -> dict[str, importlib.metadata.EntryPoint]:
        return {ep.name: ep for ep in importlib.metadata.entry_points(group=self.group)}

    def kinds(self) -> list[str]:
        """Built-in and installed kinds (any "module:Class" is accepted besides)."""
        return sorted({*self._builtins, *self._entry_points()})

    def factory(self, kind: str) -> Callable[[EngineOptions], T]:
        if kind in self._builtins:
            target = self._builtins[kind]
            try:
                return cast(Callable[[EngineOptions], T], _load(target))
            except (ImportError, AttributeError) as e:
                raise MissingEngineError(f"{self.label} {kind!r} cannot be imported from {target} ({e})") from e
        installed = self._entry_points().get(kind)
        if installed is not None:
            try:
                return cast(Callable[[EngineOptions], T], installed.load())
            except (ImportError, AttributeError) as e:
                raise MissingEngineError(
                    f"{self.label} {kind!r} (entry point {installed.value} in {self.group}) cannot be imported ({e})"
                ) from e
        if ":" in kind:
            try:
                return cast(Callable[[EngineOptions], T], _load(kind))
            except (ImportError, AttributeError) as e:
                raise UnknownEngineError(f"{self.label} {kind!r} cannot be imported ({e})") from None
        raise UnknownEngineError(
            f"unknown {self.label} {kind!r}; choose from {', '.join(self.kinds())}, or give package.module:Class"
        )

    def typed(self, options: EngineOptions | str) -> EngineOptions:
        """The options as their kind's own class: a bare kind gets its defaults."""
        raw = {"kind": options} if isinstance(options, str) else options.model_dump()
        try:
            return self._options.validate_python(raw)
        except ValidationError as e:
            raise UsageError(f"bad options for {self.label} {raw.get('kind')!r}: {e}") from None

    def create(self, options: EngineOptions | str) -> T:
        """A new engine (models not loaded yet: that is its warm_up())."""
        opts = options if isinstance(options, EngineOptions) and type(options) is not EngineOptions else None
        opts = opts or self.typed(options)
        factory = self.factory(opts.kind)
        own = getattr(factory, "options_type", None)
        if isinstance(own, type) and issubclass(own, EngineOptions) and not isinstance(opts, own):
            data = opts.model_dump()
            if not own.model_fields["kind"].is_required():
                del data["kind"]  # a type that names its own kind (a subclass of a built-in engine) keeps it
            try:
                opts = own.model_validate(data)
            except ValidationError as e:
                raise UsageError(f"bad options for {self.label} {opts.kind!r}: {e}") from None
        return factory(opts)
