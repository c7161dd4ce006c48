"""Benchmarks of the catalogue: `python -m benchmarks --size N` (see README.md)."""
