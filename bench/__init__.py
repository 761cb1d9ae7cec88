"""Throughput benchmarks for wagtail-bec (`make bench`). Not part of the installed package."""
