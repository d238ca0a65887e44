"""Relevance and speed benchmarks for the search engine."""
