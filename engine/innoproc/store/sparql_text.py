"""Looking for a SPARQL keyword in a query's text, outside its strings, IRIs and comments.

Used where a decision depends on a keyword and parsing the whole query would cost more than the
query: whether a query names its own dataset (``FROM``), which must then replace the union of the
named graphs, and (in the server, as a second check after parsing) whether it calls ``SERVICE``.
"""

from __future__ import annotations

import re

# strings (long and short), IRIs and comments: blanked before looking for a keyword
_OPAQUE = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^\'\\]|\\.|\'(?!\'\'))*\'\'\''
    r'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|<[^<>"{}|^`\\\s]*>|#[^\n]*'
)


def mentions_keyword(text: str, keyword: str) -> bool:
    """Whether ``keyword`` stands in the query as a keyword: not in a string, an IRI or a
    comment, and not as a variable (``?from``), a prefixed name (``ex:from``) or part of a word."""
    word = re.compile(rf"(?<![\w?$:.\-]){re.escape(keyword)}(?![\w:.\-])", re.IGNORECASE)
    return bool(word.search(_OPAQUE.sub(" ", text)))


def names_dataset(text: str) -> bool:
    """Whether the query names its own dataset with ``FROM`` or ``FROM NAMED``."""
    return mentions_keyword(text, "FROM")
