"""``goldcrest eval``: run task suites through the real engine and score the answers.

Suites (suites/) turn public, test-backed data (data.py) into attempts made through the same
task code the LSP features call; scoring.py runs the tests in a sandbox (sandbox.py); runner.py
drives models × suites × variants with a per-item result cache; summary.py and report.py turn the
results into a table, JSON and a chart.
"""
