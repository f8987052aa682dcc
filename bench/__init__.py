"""Benchmarks: scripts that print the figures the README and the lessons quote, ratios measured in one run.

    python -m bench.training | bench.recipes | bench.generate | bench.variants | bench.load | bench.session_memory

Never imported by the tests (tests/test_layers.py): a measure a test needs is a metric of ae_core.
"""
