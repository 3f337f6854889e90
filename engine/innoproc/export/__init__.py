"""Export formats for advice: text, JSON, Markdown, Turtle with PROV-O; a registry by name.

May import :mod:`innoproc.explain` and every layer below it.
"""

from .registry import ExportOptions, Format, export, exporter, formats, register

__all__ = ["ExportOptions", "Format", "export", "exporter", "formats", "register"]
