"""Which accelerator to use, decided at run time; pure functions so CPU-only tests cover them."""

from __future__ import annotations


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
