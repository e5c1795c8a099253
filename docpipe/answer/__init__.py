"""Answering: retrieve, fit passages to the model's window (prompt.py), generate, check that
the answer is grounded in what the model was given, cite page and box (ask.py); the
extractive path answers "what is the X" from the best-supported line with no model."""
