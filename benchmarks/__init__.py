"""Benchmark suite for dedupe_news: quality and speed against standard recipes.

Run ``python -m benchmarks`` from the repository root; see ``benchmarks/README.md``.
"""
