"""Tables: ruled tables from a PDF's stroked lines (ruled.py), borderless tables from aligned
columns of words (columns.py), and tables continued across pages joined."""
