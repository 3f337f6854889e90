"""Reading input text: YAML that remembers where each key was written.

The bottom layer beside :mod:`innoproc.errors`: the case reader and the rule reader both use it.
"""
