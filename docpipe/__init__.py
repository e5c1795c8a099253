"""docpipe: private document AI. See docpipe.api.Docpipe for the library entry point."""

__version__ = "0.1.0"
