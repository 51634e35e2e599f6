"""Evaluating architectures on benchmark suites: the runs (runner.py), the statistics (stats.py), the report (report.py).

`archonc eval` (commands/eval.py) drives it; the suites themselves are in archon_dsl/suites/.
"""
