"""Readers of record formats (Assay JSONL, Anthropic HH, chat formats, code benchmarks). Pure."""
