#!/usr/bin/env bash
# Build ik_llama.cpp's libllama.so and libggml.so for this CPU (GGML_NATIVE: AVX512/VNNI where
# the CPU has them) into OUT, from the sdist of the pinned ik-llama-cpp-python (sha256 checked).
# PyPI's wheel is an AVX2 build; docpipe loads OUT/libllama.so when it exists
# (docpipe/llm/ik_llama.py). Usage: scripts/build_native_llm.sh PYTHON OUT
set -euo pipefail
PY=$1
OUT=$2
VERSION=0.1.5
SHA256=33c67eb99e4dcab5e611050433243815709b8b3067753f9ce18375013cf002ad
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf 'ik-llama-cpp-python==%s --hash=sha256:%s\n' "$VERSION" "$SHA256" > "$work/req.txt"
"$PY" -m pip download -q --disable-pip-version-check --no-deps --no-binary :all: --require-hashes \
	-r "$work/req.txt" -d "$work"
tar xzf "$work/ik_llama_cpp_python-$VERSION.tar.gz" -C "$work"
src="$work/ik_llama_cpp_python-$VERSION"
# Only the library target: the sdist lacks the build-info script that llama-quantize needs.
cmake -S "$src" -B "$work/build" -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=ON -DGGML_NATIVE=ON \
	-DGGML_CCACHE=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=OFF \
	-DCMAKE_BUILD_WITH_INSTALL_RPATH=ON -DCMAKE_INSTALL_RPATH='$ORIGIN' > "$work/cmake.log"
cmake --build "$work/build" --target llama -j "$(nproc)" > "$work/build.log" 2>&1 || { tail -20 "$work/build.log"; exit 1; }
mkdir -p "$OUT.tmp"
cp "$work/build/vendor/ik_llama.cpp/src/libllama.so" "$work/build/vendor/ik_llama.cpp/ggml/src/libggml.so" "$OUT.tmp/"
rm -rf "$OUT"
mv "$OUT.tmp" "$OUT"  # whole or not at all: docpipe only looks for OUT/libllama.so
echo "ik_llama.cpp built for this CPU: $OUT"
