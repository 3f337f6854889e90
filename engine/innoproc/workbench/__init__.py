"""The knowledge engineer's workbench: test scenarios, coverage, review of a KB change, and a
generated catalogue of the rules.

Sits above :mod:`innoproc.export` and below the command line; may import every layer below it.
"""
