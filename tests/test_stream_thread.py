"""A blocking decoder streamed through a worker thread: pieces in order, the producer told to
stop when the reader stops, its error raised to the reader."""

from __future__ import annotations

import time

import pytest

from docpipe.errors import LLMError
from docpipe.llm.stream_thread import Emit, threaded_stream


def test_pieces_come_in_order_and_an_error_reaches_the_reader() -> None:
    def produce(emit: Emit) -> None:
        for p in ("The ", "total ", "is"):
            emit(p)
        raise LLMError("m: context full")

    got: list[str] = []
    with pytest.raises(LLMError, match="context full"):
        for piece in threaded_stream(produce, "t"):
            got.append(piece)
    assert got == ["The ", "total ", "is"]


def test_the_producer_is_told_to_stop_once_the_reader_stops() -> None:
    told: list[bool] = []

    def produce(emit: Emit) -> None:
        for i in range(1000):
            time.sleep(0.005)  # a decoder's pace: the reader stops long before the end
            if emit(str(i)):
                told.append(True)
                return

    stream = threaded_stream(produce, "t")
    assert next(stream) == "0"
    stream.close()  # the reader stops: the worker is joined before close returns
    assert told == [True]
