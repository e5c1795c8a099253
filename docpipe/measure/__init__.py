"""Measurement: scores of a parse against known truth (scores.py) and `docpipe bench`,
pages/s and peak memory on the user's own documents (bench.py)."""
