"""Command-line values turned into Python values without building pydantic adapters.

typer converts every value given to a command (a path, a format, a number ...) through a pydantic
``TypeAdapter`` built for each parameter when the command runs: importing pydantic and building
the adapters costs about a tenth of a second, a fifth of ``innoproc advise`` on one case, for
conversions as plain as ``Path(text)``. This module gives each parameter of innoproc's commands
a conversion of its own for the plain cases (text, flags, paths, lists of them, choices of an
enum, whole numbers within bounds) and hands anything else to typer's own conversion, which then
builds its adapter as before. So a value converts to exactly what typer would give, and a value
that is refused is refused by typer, with typer's message.

It relies on how typer 0.2x converts values (``_TyperParameter._runtime_param``, a lazily built
``RuntimeParam``); with a typer that converts another way it does nothing and typer converts
everything itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any, get_args, get_origin

from typer import BadParameter

try:  # typer's conversion layer (typer >= 0.2x); absent in other versions
    from typer._coercion import RuntimeParam, build_runtime_param
    from typer._param_types import coerce_cli_choice, coerce_cli_path
except ImportError:  # pragma: no cover - another typer: it converts everything itself
    RuntimeParam = None  # type: ignore[assignment,misc]


class _NotPlain(Exception):
    """The value is not one of the plain cases: typer converts it."""


#: a whole number as typed: no sign but minus, no spaces, no underscores, not too long
_WHOLE = re.compile(r"-?(0|[1-9][0-9]{0,17})")

Convert = Callable[[Any, Any, Any], Any]

if RuntimeParam is not None:

    @dataclass(frozen=True)
    class PlainParam(RuntimeParam):
        """Converts the plain values itself; hands the others to typer's own conversion."""

        convert: Convert
        descriptor: Any

        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            try:
                return self.convert(value, param, ctx)
            except _NotPlain:
                typer_own = build_runtime_param(self.descriptor)
                return typer_own._coerce_value(value, param=param, ctx=ctx)


def _text(value: Any, param: Any, ctx: Any) -> Any:
    if not isinstance(value, str):
        raise _NotPlain
    return value


def _flag(value: Any, param: Any, ctx: Any) -> Any:
    if not isinstance(value, bool):
        raise _NotPlain
    return value


def _path(info: Any, annotation: Any) -> Convert | None:
    path_type = info.path_type
    if path_type is None and isinstance(annotation, type) and issubclass(annotation, Path):
        path_type = annotation
    if path_type is not Path:
        return None

    def convert(value: Any, param: Any, ctx: Any) -> Any:
        if isinstance(value, str) and value:
            value = Path(value)  # what pydantic makes of a non-empty text for a Path
        if not isinstance(value, Path):
            raise _NotPlain
        try:
            return coerce_cli_path(value, info, path_type=path_type, param=param, ctx=ctx)
        except BadParameter:
            raise _NotPlain from None  # refused: by typer, naming the path as it was given

    return convert


def _choice(annotation: type[Enum], info: Any) -> Convert:
    choices = list(annotation)

    def convert(value: Any, param: Any, ctx: Any) -> Any:
        try:
            return coerce_cli_choice(
                value, choices=choices, case_sensitive=info.case_sensitive, ctx=ctx
            )
        except ValueError:
            raise _NotPlain from None

    return convert


def _whole(info: Any) -> Convert | None:
    if info.clamp:
        return None
    low, high = info.min, info.max

    def convert(value: Any, param: Any, ctx: Any) -> Any:
        if isinstance(value, str) and _WHOLE.fullmatch(value):
            number = int(value)
        elif isinstance(value, int) and not isinstance(value, bool):
            number = value
        else:
            raise _NotPlain
        if (low is not None and number < low) or (high is not None and number > high):
            raise _NotPlain  # typer says what the bounds are
        return number

    return convert


def _leaf(annotation: Any, info: Any) -> Convert | None:
    if info.parser is not None:
        return None
    if annotation is str:
        return _text
    if annotation is bool:
        return _flag
    if annotation is int:
        return _whole(info)
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return _choice(annotation, info)
    if isinstance(annotation, type) and issubclass(annotation, Path):
        return _path(info, annotation)
    return None


def _conversion(annotation: Any, info: Any) -> Convert | None:
    """The plain conversion for a parameter's annotation, or None (typer converts it)."""
    if get_origin(annotation) is list:
        (item_type,) = get_args(annotation)
        item = _leaf(item_type, info)
        if item is None:
            return None

        def convert(value: Any, param: Any, ctx: Any) -> Any:
            items = value if isinstance(value, list | tuple) else [value]
            return [item(v, param, ctx) for v in items]

        return convert
    return _leaf(annotation, info)


def plain_conversions(command: Any) -> None:
    """Give every parameter of ``command`` (and of its subcommands) that takes plain values a
    conversion that needs no pydantic; the others keep typer's. The ``--help`` option, which
    click makes only when a command is parsed, gets one as it is made."""
    if RuntimeParam is None or getattr(command, "_plain_conversions", False):
        return  # pragma: no cover
    for param in getattr(command, "params", ()):
        _plain(param)
    make_help_option = getattr(command, "get_help_option", None)
    if make_help_option is not None:

        def get_help_option(ctx: Any) -> Any:
            option = make_help_option(ctx)
            if option is not None:
                _plain(option)
            return option

        command.get_help_option = get_help_option
    command._plain_conversions = True
    for sub in getattr(command, "commands", {}).values():
        plain_conversions(sub)


def _plain(param: Any) -> None:
    descriptor = getattr(param, "type_descriptor", None)
    if descriptor is None or getattr(param, "_runtime_param", True) is not None:
        return  # not typer's, or already converting
    if descriptor.file_annotation is not None:
        return  # files are typer's
    convert = _conversion(descriptor.annotation, descriptor.parameter_info)
    if convert is not None:
        param._runtime_param = PlainParam(
            parameter_info=descriptor.parameter_info,
            annotation=descriptor.annotation,
            convert=convert,
            descriptor=descriptor,
        )
