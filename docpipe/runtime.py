"""The process around the pipeline: which accelerator to use and how many threads, decided at
run time by pure functions (so CPU-only tests cover them), and third-party chatter (model
loading banners) kept off the user's terminal."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


def cuda_available() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return bool(torch.cuda.is_available())


def torch_device() -> str:
    return "cuda" if cuda_available() else "cpu"


def faiss_gpu_count(faiss_module: object) -> int:
    """GPUs faiss can use: 0 for faiss-cpu builds (no get_num_gpus) or machines without CUDA."""
    get = getattr(faiss_module, "get_num_gpus", None)
    try:
        return int(get()) if get is not None else 0
    except RuntimeError:
        return 0


def choose_faiss_backend(faiss_module: object, prefer_gpu: bool = True) -> str:
    return (
        "gpu"
        if prefer_gpu and faiss_gpu_count(faiss_module) > 0 and hasattr(faiss_module, "StandardGpuResources")
        else "cpu"
    )


def usable_cores() -> int:
    """The cores this process may run on: its CPU affinity (taskset, a container's cpuset), not
    the machine's count, which would start more workers and threads than there are cores."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # no sched_getaffinity (macOS, Windows)
        return os.cpu_count() or 1


def default_threads(limit: int = 4) -> int:
    """Intra-op threads for one model: the cores, capped (more threads than cores only contend)."""
    return max(1, min(limit, usable_cores()))


NOISY = ("RapidOCR", "rapid_layout", "rapidocr", "transformers", "sentence_transformers", "faiss")


def owns_every_core(threads: int) -> bool:
    """An engine on `threads` (0: its default, all cores) has the machine to itself."""
    return threads == 0 or threads >= usable_cores()


def openvino_cpu_config(precision: str, threads: int) -> dict[str, object]:
    """OpenVINO CPU compile options for one latency stream on `threads` (0: its default).
    Pinning only for an engine that has every core: pinned, OpenVINO ties the inferring thread
    to a core, and every converter child picked core 0, so two workers shared one core while the
    other idled (ingest on 2 cores used 1.5 of them; seen in the threads' Cpus_allowed_list)."""
    config: dict[str, object] = {
        "INFERENCE_PRECISION_HINT": precision,
        "PERFORMANCE_HINT": "LATENCY",
        "NUM_STREAMS": 1,
        "ENABLE_CPU_PINNING": owns_every_core(threads),
    }
    if threads:
        config["INFERENCE_NUM_THREADS"] = threads
    return config


def quiet_third_party(level: int = logging.ERROR) -> None:
    for name in NOISY:
        logging.getLogger(name).setLevel(level)
    # Some libraries configure child loggers with their own level; catch those too.
    for name, logger in list(logging.Logger.manager.loggerDict.items()):
        if isinstance(logger, logging.Logger) and name.split(".")[0] in NOISY:
            logger.setLevel(level)
    if "transformers" in sys.modules:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        hf_logging.set_verbosity_error()
    else:
        # Not imported here: that costs every command half a second and ~50 MB (`ask` too, which
        # never needs it). transformers and huggingface_hub read these when they are imported.
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")


@contextmanager
def info_silenced() -> Iterator[None]:
    """Drop INFO and below while a chatty library builds its models."""
    previous = logging.root.manager.disable
    logging.disable(logging.INFO)
    try:
        yield
    finally:
        logging.disable(previous)


TRACE_ENV = "DOCPIPE_TRACE"
_trace_lock = threading.Lock()


def trace(name: str, doc: Path | str | None = None, **fields: Any) -> None:
    """A timeline of the ingest for finding idle time: with DOCPIPE_TRACE=FILE set, each process
    (main, every converter child) appends one JSON line per event (monotonic time, pid, event,
    document), so lanes can be drawn side by side. Each line also has the calling thread's time on
    a core and waiting for one (/proc schedstat): wall minus both is time it slept (blocked, idle).
    Unset, each call is one dict lookup.

        One line: CLOCK_MONOTONIC is system-wide on Linux, so the children's times line up."""
    target = os.environ.get(TRACE_ENV)
    if not target:
        return
    row = {
        "t": round(time.monotonic(), 4),
        "pid": os.getpid(),
        "thread": threading.current_thread().name,
        "ev": name,
        "cpu": round(time.process_time(), 4),
        "cores": usable_cores(),  # this thread's affinity: a library that pins it shows here
    }
    with contextlib.suppress(OSError, ValueError):  # this thread's on-CPU and run-queue ns (Linux)
        run, queued = Path("/proc/thread-self/schedstat").read_text().split()[:2]
        row["run"], row["rq"] = round(int(run) / 1e9, 4), round(int(queued) / 1e9, 4)
    if doc is not None:
        row["doc"] = Path(doc).name
    row.update(fields)
    line = json.dumps(row) + "\n"
    with _trace_lock, open(target, "a") as f:  # O_APPEND: lines of two processes never interleave
        f.write(line)
