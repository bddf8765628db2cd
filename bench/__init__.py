"""Jaga's benchmarks: `make bench` (python -m bench) runs every `bench/bench_*.py` and writes
BENCHMARKS.md. Each module defines `run(ctx) -> list[str]` (Markdown lines)."""
