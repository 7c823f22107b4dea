"""Benchmarks: measured speed and accuracy, printed as tables and written as JSON."""
