"""Parsing: a file in, a Document out.

load (sniff, limits, PDF and image pages) → the text layer or OCR per page (textlayer, ocr/)
→ layout regions (layout/) → lines, blocks and tables (tables/) → reading order → the page
stages (stages.py) → document finishing over a stream of pages (finishing.py) → a sink: the
Document in memory or a spool on disk (spool.py). converter.py runs it in this process,
isolated.py in a child process that a hanging or crashing page cannot take down.
"""
