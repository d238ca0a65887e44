"""The write path: reading documents, analysing them and committing them to the index."""
