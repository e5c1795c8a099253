"""Office, web and mail files (DOCX, PPTX, XLSX, HTML, EML) read from their own structure into
pages of elements: no page image, so the page stages (OCR, layout) never run on them.

Every reader is bounded by Limits before it parses: zip members' uncompressed sizes and ratios
(guard.py), no DTDs or entities in XML, HTML nesting depth, cells per workbook. Macros are
never read or run.
"""
