"""Streaming from a runtime that decodes in a blocking call: the call runs in a worker thread
and hands its text pieces through a queue, so the reader iterates as they come."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator

Emit = Callable[[str | BaseException], bool]


def threaded_stream(produce: Callable[[Emit], object], name: str) -> Iterator[str]:
    """The pieces `produce` emits, in order. `emit` returns True once the reader has stopped
    iterating, for the producer to stop decoding; an exception emitted or raised by the
    producer is raised to the reader. The worker is joined before this returns."""
    pieces: queue.Queue[str | BaseException | None] = queue.Queue()
    stop = threading.Event()

    def emit(piece: str | BaseException) -> bool:
        pieces.put(piece)
        return stop.is_set()

    def run() -> None:
        try:
            produce(emit)
        except BaseException as e:  # handed to the reader, who raises it
            pieces.put(e)
        finally:
            pieces.put(None)

    worker = threading.Thread(target=run, name=name, daemon=True)
    worker.start()
    try:
        while (item := pieces.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        worker.join()
