"""Keep third-party chatter (model loading banners) off the user's terminal."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

NOISY = ("RapidOCR", "rapid_layout", "rapidocr", "transformers", "sentence_transformers", "faiss")


def quiet_third_party(level: int = logging.ERROR) -> None:
    for name in NOISY:
        logging.getLogger(name).setLevel(level)
    # Some libraries configure child loggers with their own level; catch those too.
    for name, logger in list(logging.Logger.manager.loggerDict.items()):
        if isinstance(logger, logging.Logger) and name.split(".")[0] in NOISY:
            logger.setLevel(level)
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        hf_logging.set_verbosity_error()
    except ImportError:
        pass


@contextmanager
def info_silenced() -> Iterator[None]:
    """Drop INFO and below while a chatty library builds its models."""
    previous = logging.root.manager.disable
    logging.disable(logging.INFO)
    try:
        yield
    finally:
        logging.disable(previous)
