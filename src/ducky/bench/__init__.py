"""`ducky bench`: engines x query variants, timed, plan-explained and parity-checked.

runner.py runs the matrix, plans.py turns saved plans into bottleneck notes, results.py is the
JSON schema (`<data>/bench/latest.json`, read by the HTML report), chart.py draws the PNG and
table.py prints the on-screen summary.
"""
