"""Benchmarks at volume: seeded data, a real server, a load generator, results and plans."""
