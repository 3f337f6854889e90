"""An interview: the case built one answer at a time, asking only what can still change the advice.

A procurement officer rarely has the whole case form filled in. :class:`Interview` holds a case
in the making (empty but for its ``id``, or any partial case) and asks for one fact at a time,
the way a consultant would. It is the whole interface a front end needs: a terminal, a web form
or a chat calls :meth:`Interview.next_question`, shows the :class:`Question` (its text, its
allowed answers with their help, and why it is asked), passes the reply to
:meth:`Interview.answer`, and reads :attr:`Interview.advice` when :attr:`Interview.settled`.

**Which question comes next.** The order rule, in full:

1. Only *open* questions are asked: unstated facts for which the sensitivity analysis
   (:class:`innoproc.rules.sensitivity.Sensitivity`, the same one behind the open questions
   printed with the advice) has found a verified witness, that is answers under which stating the
   fact changes what the rules conclude. A fact that no still-undecided rule reads, or whose every
   answer leaves the advice unchanged, is never asked.
2. A fact answered "unknown" is never asked again, and no other fact is asked merely because it
   would matter once that one were answered (the analysis treats it as staying unstated).
3. A fact already answered (or stated by the partial case the interview started from) is never
   asked.
4. Among the open questions, the most decisive comes first: the gravest severity among the items
   it can still add or remove (high, medium, low), then the number of such items
   (:attr:`~innoproc.explain.questions.OpenQuestion.weight`); ties go in the order of the case
   form.

The interview is *settled* when nothing is left to ask: no unstated fact, other than those
answered "unknown", can change the advice. Its advice is then what :func:`~innoproc.advise` gives
on the full case, whatever the facts it never asked for turn out to be, as far as the analysis
finds witnesses (every witness it lists is verified; that it misses none is checked, not proved:
on every library case, from only its id, the tests reach the full case's advice).

**Answers are checked exactly as the case form checks them**: each answer is merged into the
case-form mapping, which is loaded through :meth:`KnowledgeBase.load_case` (the same parser,
shapes and messages as a case file), so a bad answer raises the same
:class:`~innoproc.errors.CaseError` a case file would, and leaves the interview unchanged.
"""

from __future__ import annotations

import math
import os
import tempfile
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from innoproc.case import Case, CaseSource
from innoproc.case.validation import describe_allowed
from innoproc.errors import wrong_argument
from innoproc.ontology import CaseKey, FactValue, Vocabulary
from innoproc.ontology.vocabulary import KeyKind

from .advice import Advice
from .knowledge_base import KnowledgeBase, default_kb
from .questions import AffectedItem, OpenQuestion, questions_from

#: the answer that says "I don't know" (``None`` says the same)
UNKNOWN = "unknown"
#: the id given to a case started from nothing
NEW_CASE_ID = "interview"
#: typed replies read as "I don't know"
_UNKNOWN_WORDS = frozenset({"", "unknown", "?", "don't know", "dont know", "i don't know"})
_YES = frozenset({"yes", "y", "true"})
_NO = frozenset({"no", "n", "false"})


@dataclass(frozen=True)
class Choice:
    """One allowed answer: the value the case form takes, its label and a line of help."""

    value: FactValue
    label: str
    help: str

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value, "label": self.label, "help": self.help}


@dataclass(frozen=True)
class Question:
    """A question to put to the officer: everything a front end shows, and why it is asked."""

    key: str
    #: the question as the ontology words it (``ipo:question``)
    text: str
    label: str
    #: the key's definition in the ontology, for a longer help text
    definition: str
    kind: KeyKind
    #: the answer is a list of values (any number of ``choices``)
    multi: bool
    #: the answers allowed, for a choice or a yes/no key; empty for numbers and text
    choices: tuple[Choice, ...]
    #: what the case form accepts, in words ("one of ...", "an integer from 1 to 9")
    allowed: str
    #: whether an empty list is an answer ("none of them"); only for some list keys
    allows_empty: bool
    #: the items of advice an answer can still bring in or take out, with their titles
    reasons: tuple[AffectedItem, ...]
    #: how decisive the question is (gravest severity touched, number of items touched)
    weight: tuple[int, int]

    def read(self, text: str) -> FactValue | None:
        """The case-form value for a typed reply (a chat or a terminal without arrow keys).

        Returns None for "I don't know" (an empty reply, ``unknown`` or ``?``). For a choice, a
        value or its label is accepted; for a list, values separated by commas (``none`` or
        ``[]`` for the empty list); for yes/no, ``yes``/``no``/``y``/``n``/``true``/``false``; for
        numbers, digits. Anything else is passed on as text, for :meth:`Interview.answer` to
        refuse with the case form's message.
        """
        reply = text.strip()
        if reply.lower() in _UNKNOWN_WORDS:
            return None
        if self.kind == "boolean":
            if reply.lower() in _YES:
                return True
            if reply.lower() in _NO:
                return False
            return reply
        if self.kind in ("integer", "number"):
            return _number(reply.replace("_", "").replace(" ", ""))
        if self.kind == "choice" and self.multi:
            if reply.lower() in ("[]", "none") and "none" not in self._by_word():
                return ()
            parts = [p.strip() for p in reply.strip("[]").split(",")]
            return tuple(self._choice(p) for p in parts if p)
        if self.kind == "choice":
            return self._choice(reply)
        return reply

    def _by_word(self) -> dict[str, str]:
        words: dict[str, str] = {}
        for choice in self.choices:
            words[str(choice.value).lower()] = str(choice.value)
            words.setdefault(choice.label.lower(), str(choice.value))
        return words

    def _choice(self, reply: str) -> str:
        return self._by_word().get(reply.lower(), reply)

    def to_dict(self) -> dict[str, Any]:
        """The question as plain data (JSON), for a front end in another language."""
        return {
            "key": self.key,
            "question": self.text,
            "label": self.label,
            "definition": self.definition,
            "kind": self.kind,
            "multi": self.multi,
            "choices": [c.to_dict() for c in self.choices],
            "allowed": self.allowed,
            "allows_empty": self.allows_empty,
            "unknown_allowed": True,
            "because": [
                {
                    "id": i.id,
                    "kind": i.kind,
                    "title": i.title,
                    "could_add": i.adds,
                    "could_remove": i.removes,
                    "severity": i.severity,
                }
                for i in self.reasons
            ],
        }


@dataclass(frozen=True)
class Answer:
    """One answer given in the interview (``value`` None: "I don't know")."""

    key: str
    value: FactValue | None


@dataclass(frozen=True)
class SettledItem:
    """An item of advice that no remaining question can change any more."""

    id: str
    kind: str
    title: str
    #: True: it is in the advice for good; False: it is ruled out for good
    concluded: bool


@dataclass(frozen=True)
class Progress:
    """What one answer settled: the items that were still open before it and no longer are."""

    answer: Answer
    settled: tuple[SettledItem, ...]

    @property
    def concluded(self) -> tuple[SettledItem, ...]:
        return tuple(i for i in self.settled if i.concluded)

    @property
    def ruled_out(self) -> tuple[SettledItem, ...]:
        return tuple(i for i in self.settled if not i.concluded)


@dataclass
class _State:
    """The interview at one moment: the case-form mapping, its loaded case, the keys answered
    "unknown", and what is derived from them (computed on first use)."""

    mapping: dict[str, Any]
    case: Case
    unknown: frozenset[str]
    answer: Answer | None = None
    _open: tuple[OpenQuestion, ...] | None = field(default=None, repr=False)
    _advice: Advice | None = field(default=None, repr=False)


class Interview:
    """A case built by questions and answers (see the module docstring for the order rule).

    ``case`` is where to start: None (a new case whose id is ``interview``), a case file path,
    a case-form mapping, an rdflib Graph or a loaded :class:`~innoproc.case.Case`. ``kb`` is a
    :class:`KnowledgeBase`, a KB folder, or None for the bundled KB.
    """

    def __init__(
        self,
        case: Case | CaseSource | None = None,
        kb: KnowledgeBase | str | Path | None = None,
    ):
        if kb is None:
            self.kb = default_kb()
        elif isinstance(kb, KnowledgeBase):
            self.kb = kb
        elif isinstance(kb, str | Path):
            self.kb = KnowledgeBase.load(kb)
        else:
            raise wrong_argument("Interview(kb)", kb, "a KnowledgeBase, a KB folder path, or None")
        loaded = self.kb.load_case({"id": NEW_CASE_ID} if case is None else case)
        mapping = case_form(loaded.facts, self.vocabulary)
        self._states: list[_State] = [_State(mapping, loaded, frozenset())]

    # -- what a front end reads --------------------------------------------------------------
    @property
    def vocabulary(self) -> Vocabulary:
        return self.kb.vocabulary

    @property
    def case(self) -> dict[str, Any]:
        """The case so far in the case form (keys in the form's order, lists as lists): what
        a case file would hold. Facts answered "unknown" are not in it (absent means unknown)."""
        return dict(self._now.mapping)

    @property
    def loaded(self) -> Case:
        """The case so far, loaded and validated."""
        return self._now.case

    @property
    def unknown(self) -> frozenset[str]:
        """The keys answered "I don't know"."""
        return self._now.unknown

    @property
    def asked(self) -> tuple[Answer, ...]:
        """Every answer given so far, in order (an undone answer is no longer listed)."""
        return tuple(s.answer for s in self._states if s.answer is not None)

    @property
    def advice(self) -> Advice:
        """The advice on the case so far."""
        state = self._now
        if state._advice is None:
            state._advice = self.kb.advise(state.case)
        return state._advice

    @property
    def open_questions(self) -> tuple[OpenQuestion, ...]:
        """Every question still worth asking, the next one first (the order rule above)."""
        return self._open(self._now)

    @property
    def settled(self) -> bool:
        """True when nothing is left to ask: no unstated fact, apart from those answered
        "unknown", can change the advice."""
        return not self.open_questions

    @property
    def undecided(self) -> frozenset[str]:
        """The ids of the items of advice that some question still open could add or remove."""
        return frozenset(i.id for q in self.open_questions for i in q.items)

    def next_question(self) -> Question | None:
        """The next question to ask, or None when the interview is settled."""
        remaining = self.open_questions
        return self.question(remaining[0].key, remaining[0]) if remaining else None

    def question(self, key: str, open_question: OpenQuestion | None = None) -> Question:
        """Any key of the case form as a :class:`Question` (why it is asked: the items it can
        still decide, empty if none), for a front end that lets the officer pick what to answer."""
        spec = self.vocabulary.keys.get(key)
        if spec is None:
            raise wrong_argument("Interview.question(key)", key, "a key of the case form")
        if open_question is None:
            open_question = next((q for q in self.open_questions if q.key == key), None)
        reasons = open_question.items if open_question is not None else ()
        weight = open_question.weight if open_question is not None else (0, 0)
        return Question(
            key=key,
            text=spec.question or f"What is the {spec.label}?",
            label=spec.label,
            definition=spec.definition,
            kind=spec.kind,
            multi=spec.multi,
            choices=_choices(spec, self.vocabulary),
            allowed=describe_allowed(self.vocabulary, key),
            allows_empty=spec.allows_empty,
            reasons=reasons,
            weight=weight,
        )

    # -- what a front end does ---------------------------------------------------------------
    def answer(self, key: str, value: FactValue | list[str] | None) -> Progress:
        """Record an answer, checked as the case form checks it.

        ``value`` is what a case file would hold for ``key`` (a value's notation, a list of
        them, true/false, a number, text); None or ``"unknown"`` says "I don't know", which is
        always allowed for an optional key and stops the key from being asked again. A bad
        answer raises :class:`~innoproc.errors.CaseError` with the case form's problems and
        changes nothing. Returns the items this answer settled.
        """
        if not isinstance(key, str):
            raise wrong_argument("Interview.answer(key)", key, "a key of the case form (text)")
        before = self._now
        mapping = dict(before.mapping)
        if key not in self.vocabulary.keys:  # refused by the form, with its message
            self.kb.load_case({**mapping, key: value})
        unknown = set(before.unknown)
        if value is None or value == UNKNOWN:
            mapping.pop(key, None)
            unknown.add(key)
            given: FactValue | None = None
        else:
            mapping[key] = list(value) if isinstance(value, tuple | list) else value
            unknown.discard(key)
            given = tuple(value) if isinstance(value, list) else value
        if mapping == before.mapping:  # "unknown" to an unstated fact: the same case
            loaded = before.case
        else:
            loaded = self.kb.load_case(_ordered(mapping, self.vocabulary))
        recorded = Answer(key, loaded.facts.get(key) if given is not None else None)
        state = _State(
            case_form(loaded.facts, self.vocabulary), loaded, frozenset(unknown), recorded
        )
        was_open = {i.id: i for q in self._open(before) for i in q.items}
        self._states.append(state)
        still_open = self.undecided
        concluded = {i.id for i in self.advice.all_items()}
        settled = tuple(
            SettledItem(item.id, item.kind, item.title, item.id in concluded)
            for item_id, item in was_open.items()
            if item_id not in still_open
        )
        return Progress(recorded, settled)

    def undo(self) -> Answer | None:
        """Take back the last answer; returns it (None when there was nothing to undo)."""
        if len(self._states) == 1:
            return None
        return self._states.pop().answer

    # -- the case as a file ------------------------------------------------------------------
    def to_yaml(self, header: str | None = None) -> str:
        """The case so far as a YAML case file, with a comment header saying when and how it
        was made (or ``header``, each line turned into a comment)."""
        import yaml

        if header is None:
            header = self.default_header()
        lines = [f"# {line}".rstrip() for line in header.splitlines()]
        body = yaml.safe_dump(
            self.case, sort_keys=False, allow_unicode=True, default_flow_style=False, width=100
        )
        return "\n".join(lines) + ("\n" if lines else "") + body

    def default_header(self) -> str:
        """When and how the case was made, what was answered "I don't know", and whether the
        interview had settled the advice."""
        when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        answered = [a for a in self.asked if a.value is not None]
        text = [
            f"Case written by an innoproc interview on {when}.",
            f"{len(answered)} question(s) answered"
            + (f", {len(self.unknown)} answered 'I don't know'" if self.unknown else "")
            + "; "
            + ("the advice was settled." if self.settled else "the advice was not settled yet."),
        ]
        source = self._states[0].case.source
        if not source.startswith("<"):
            text.append(f"Started from {source}.")
        if self.unknown:
            text += textwrap.wrap(
                "Answered 'I don't know': " + ", ".join(sorted(self.unknown)) + ".", 96
            )
        text.append("A key that is absent is unknown.")
        return "\n".join(text)

    def save(self, path: str | Path, header: str | None = None) -> Path:
        """Write the case so far to ``path`` as YAML, atomically (a temporary file in the same
        folder, then renamed over the target: a reader never sees half a case)."""
        target = Path(path)
        write_atomically(target, self.to_yaml(header))
        return target

    # -- internals ---------------------------------------------------------------------------
    @property
    def _now(self) -> _State:
        return self._states[-1]

    def _open(self, state: _State) -> tuple[OpenQuestion, ...]:
        if state._open is None:
            effects = self.kb.sensitivity.open_facts(state.case.facts, state.unknown)
            state._open = questions_from(effects, self.kb.rules, self.vocabulary)
        return state._open


def case_form(facts: Mapping[str, FactValue], vocab: Vocabulary) -> dict[str, Any]:
    """Facts as a case-form mapping: the form's key order, lists for list keys."""
    return _ordered({k: list(v) if isinstance(v, tuple) else v for k, v in facts.items()}, vocab)


def _ordered(mapping: Mapping[str, Any], vocab: Vocabulary) -> dict[str, Any]:
    order = {name: index for index, name in enumerate(vocab.keys)}
    return dict(sorted(mapping.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0])))


def _choices(spec: CaseKey, vocab: Vocabulary) -> tuple[Choice, ...]:
    if spec.kind == "boolean":
        return (Choice(True, "yes", "It is so."), Choice(False, "no", "It is not so."))
    if not spec.is_choice:
        return ()
    return tuple(
        Choice(notation, vocab.label(iri), _first_sentence(_definition(vocab, iri)))
        for notation, iri in spec.value_iris.items()
    )


def _definition(vocab: Vocabulary, term: str) -> str:
    return vocab.definition(term)


def _first_sentence(text: str) -> str:
    """The first sentence of a definition: help that fits on one line."""
    end = text.find(". ")
    return text if end < 0 else text[: end + 1]


def _number(reply: str) -> FactValue:
    try:
        return int(reply)
    except ValueError:
        pass
    try:
        value = float(reply)
    except ValueError:
        return reply
    return value if math.isfinite(value) else reply


def write_atomically(target: Path, text: str) -> None:
    """Write ``text`` to ``target`` through a temporary file in the same folder, renamed into
    place, so that an interrupted write never leaves half a file."""
    folder = target.parent if str(target.parent) else Path(".")
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, target)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise
