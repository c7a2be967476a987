"""Benchmarks. Not tests: they measure, and print figures for the closing notes."""
