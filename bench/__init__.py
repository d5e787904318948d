"""Benchmarks: each prints its figure as a ratio measured side by side in one run."""
