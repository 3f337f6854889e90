"""The reading policy: how every input is read, within limits, or refused.

- :mod:`.limits` — the limits themselves, and how to raise them (``INNOPROC_LIMITS``);
- :mod:`.files` — only regular files, within the size limit, as UTF-8 without control
  characters, never through a link out of the folder given;
- :mod:`.yaml_lines` — YAML without aliases or non-core tags, with line numbers;
- :mod:`.json_strict` — JSON without duplicate keys or NaN, with line numbers;
- :mod:`.values` — what any parsed document or API mapping may hold.

The bottom layer beside :mod:`innoproc.errors`: the case reader and the rule reader both use it.
"""
