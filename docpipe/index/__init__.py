"""Chunking, embedding, the SQLite store, FAISS vectors and hybrid search."""
