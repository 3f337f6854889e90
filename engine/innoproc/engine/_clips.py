"""The one place that imports clips (clipspy, the CFFI binding of CLIPS 6.4).

clipspy 1.0.6 leaks every fact it hands to Python. Its ``Fact`` wrapper retains the CLIPS fact
when it is created (``RetainFact(fact)``) and, in ``__del__``, calls ``ReleaseFact(env, fact)``;
the CLIPS 6.4 function takes the fact alone, so the call raises ``TypeError``, which that same
``__del__`` swallows. The release never happens: every fact ever returned to Python (each
``assert_fact``, each fact read back) stays retained, so retracted facts are never freed, memory
grows with every case, and ``reset`` and ``assert`` slow down as the retained list grows
(measured on a minimal template: 18 µs per reset and assert at the start, 373 µs after 40,000).

The workaround below replaces ``Fact.__del__`` with one that releases with the right arguments.
It is applied only when the binding's ``ReleaseFact`` takes one argument (the bug's condition),
so a clipspy that fixes the call gets the same, correct behaviour. The tests check that memory
and time per case stay flat over tens of thousands of cases (``tests/test_clips_backend.py``).

ruff's banned-api rule (TID251, pyproject.toml) rejects ``import clips`` anywhere else, and the
import-linter contract keeps it inside :mod:`innoproc.engine`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import clips
import clips.facts
from clips import CLIPSError, Environment
from clips._clips import ffi, lib  # the compiled binding clipspy itself calls
from clips.common import environment_builder
from clips.values import python_value

#: whether Fact.__del__ was replaced (always, with the CLIPS 6.4 binding)
RELEASE_PATCHED = False


def _release_fact(self: Any) -> None:
    """``Fact.__del__`` as clipspy means it: release the CLIPS fact this wrapper retained."""
    try:
        lib.ReleaseFact(self._fact)
    except (AttributeError, TypeError):  # interpreter shutdown: the binding may be gone
        pass


#: clipspy's own ``Fact.__del__``, kept so that a test can show the leak it causes
ORIGINAL_FACT_DEL = clips.facts.Fact.__del__

if len(ffi.typeof(lib.ReleaseFact).args) == 1:
    clips.facts.Fact.__del__ = _release_fact
    RELEASE_PATCHED = True


class FactWriter:
    """Asserts facts of one deftemplate through CLIPS's fact builder, without clipspy's wrapper.

    clipspy's ``Template.assert_fact`` allocates and converts every slot value on every call and
    wraps the new fact in a Python object (which is what leaks, above); for the one case fact per
    advice that costs about 40 µs, several times CLIPS's own matching. This writer keeps the
    encoded slot names and one converted value per string it was told to keep, and returns no
    fact object. Values still go in through the API (``FBPutSlot``), never as CLIPS text.

    The kept strings must stay alive in CLIPS for as long as the environment does: the caller
    names strings that the environment's constructs contain (rule constants), and
    :func:`keep_alive` builds one more construct naming them all, so CLIPS never frees them
    while the converted values point at them. Not for use from two threads at once (neither is
    the environment).
    """

    def __init__(self, env: Environment, template: str, kept: Iterable[str]):
        self._env = env._env  # clipspy's handle on the C environment
        self._template = template.encode()
        self._builder = environment_builder(self._env, "fact")
        self._multifield = environment_builder(self._env, "multifield")
        self._true = self._value(lib.CreateBoolean(self._env, True))
        self._false = self._value(lib.CreateBoolean(self._env, False))
        self._strings = {
            text: self._value(lib.CreateString(self._env, text.encode())) for text in kept
        }

    def _string(self, text: str) -> Any:
        return self._value(lib.CreateString(self._env, text.encode()))

    @staticmethod
    def _value(pointer: Any) -> Any:
        value = ffi.new("CLIPSValue *")
        value.value = pointer
        return value

    def _convert(self, value: Any) -> Any:
        kind = type(value)
        if kind is str:
            kept = self._strings.get(value)
            return (
                kept
                if kept is not None
                else self._value(lib.CreateString(self._env, value.encode()))
            )
        if kind is bool:
            return self._true if value else self._false
        if kind is int:
            return self._value(lib.CreateInteger(self._env, value))
        if kind is float:
            return self._value(lib.CreateFloat(self._env, value))
        if kind is tuple:
            if not value:
                return self._value(lib.EmptyMultifield(self._env))
            items = [self._convert(item) for item in value]  # converted before the builder runs
            builder = self._multifield
            lib.MBReset(builder)
            for item in items:
                lib.MBAppend(builder, item)
            return self._value(lib.MBCreate(builder))
        raise TypeError(f"a value of type {kind.__name__} cannot be put in a CLIPS slot")

    def assert_fact(self, slots: Iterable[tuple[bytes, Any]]) -> None:
        """Assert one fact; ``slots`` are (encoded slot name, value): str, bool, int (64-bit),
        float, or a tuple of those; unnamed slots take their defaults."""
        builder = self._builder
        ret = lib.FBSetDeftemplate(builder, self._template)  # also clears the builder
        if ret != lib.FBE_NO_ERROR:
            raise CLIPSError(self._env, code=ret)
        # the commonest values, the strings of the rules and true/false, converted here
        # without a call: a case has some twenty slots
        put, strings, convert = lib.FBPutSlot, self._strings, self._convert
        true, false = self._true, self._false
        for name, value in slots:
            kind = type(value)
            if kind is str:
                converted = strings.get(value)
                if converted is None:
                    converted = convert(value)
            elif kind is bool:
                converted = true if value else false
            else:
                converted = convert(value)
            ret = put(builder, name, converted)
            if ret != 0:
                raise CLIPSError(
                    self._env, f"slot {name.decode()}: cannot put {value!r} (error {ret})"
                )
        if lib.FBAssert(builder) == ffi.NULL:
            raise CLIPSError(self._env, code=lib.FBError(self._env))

    def call(self, function: str) -> Any:
        """Call a deffunction without arguments; its value in Python."""
        value = ffi.new("CLIPSValue *")
        builder = environment_builder(self._env, "function")
        lib.FCBReset(builder)
        ret = lib.FCBCall(builder, function.encode(), value)
        if ret != lib.FCBE_NO_ERROR:
            raise CLIPSError(self._env, code=ret)
        return python_value(self._env, value)


class _ErrorText(clips.Router):  # type: ignore[misc]  # clipspy has no type hints
    """Keeps what CLIPS writes as an error, and shows it nowhere."""

    def __init__(self) -> None:
        super().__init__("innoproc-error-text", 50)
        self.text = ""

    def query(self, name: str) -> bool:
        return name == "stderr"

    def write(self, name: str, message: str) -> None:
        self.text += message


def build_constructs(env: Environment, constructs: Iterable[str]) -> None:
    """Build ``constructs`` in ``env``, quickly.

    clipspy routes CLIPS's error output through a router written in Python, and CLIPS asks
    every router, through a callback, whether it takes each character it reads while parsing a
    construct: that callback was nine tenths of the time of building a knowledge base (0.22 s
    for 239 constructs, 0.02 s without it). The router is switched off while building. Should a
    construct fail, CLIPS has then written its message to standard error itself (as clipspy's
    router also does), and the build is done again in a new environment whose errors are only
    kept, so that the error raised carries CLIPS's message as it always did.
    """
    constructs = list(constructs)
    routers = list(env._routers.routers())
    for router in routers:
        router.deactivate()
    try:
        for construct in constructs:
            env.build(construct)
    except CLIPSError:
        failed = True
    else:
        failed = False
    finally:
        for router in routers:
            router.activate()
    if not failed:
        return
    checked = Environment()
    for router in list(checked._routers.routers()):
        router.deactivate()
    kept = _ErrorText()
    checked._routers.add_router(kept)
    try:
        for construct in constructs:
            checked.build(construct)
    except CLIPSError:
        message = kept.text.lstrip("\n").rstrip("\n").replace("\n", " ")
        raise CLIPSError(env._env, message) from None
    raise CLIPSError(env._env, "the constructs built only with clipspy's error router off")


def string_literal(text: str) -> str:
    """``text`` as a CLIPS string literal: inside double quotes, CLIPS reads a backslash as
    escaping the next character, so backslashes and quotes are escaped; nothing else is special.
    """
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def keep_alive(strings: Iterable[str]) -> str:
    """A construct that holds a reference to each string for the environment's lifetime (see
    :class:`FactWriter`)."""
    return f"(deffunction kept-strings () (create$ {' '.join(map(string_literal, strings))}))"


__all__ = [
    "ORIGINAL_FACT_DEL",
    "build_constructs",
    "RELEASE_PATCHED",
    "CLIPSError",
    "Environment",
    "FactWriter",
    "ffi",
    "keep_alive",
    "lib",
    "string_literal",
]
