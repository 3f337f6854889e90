"""The interview (innoproc.Interview): which questions it asks and in what order, when it stops,
undo, answers checked as the case form checks them, the saved case, and on every library case
the same advice as the full case. Question texts and value help come from the ontology."""

from __future__ import annotations

import pytest

from conftest import CASES, case_files

#: a small partial case from the library, to keep the scripted tests quick
PARTIAL = CASES / "constructed-sparse-beamline-mirror.json"
SEVERITY = {"high": 3, "medium": 2, "low": 1}


def _items(advice) -> list[str]:
    return sorted(i.id for i in advice.all_items())


def _conclusions(kb, facts) -> frozenset[str]:
    from innoproc.rules.semantics import forward_chain

    return frozenset(forward_chain(kb.rules, facts))


def _interview_from(path, kb, script=None):
    """Run an interview from only the case's id, answering from the case file (or ``script``);
    returns the interview, the keys asked in order, and the loaded full case."""
    from innoproc import Interview

    full = kb.load_case(path)
    answers = dict(full.facts) if script is None else script
    interview = Interview({"id": full.id}, kb=kb)
    asked = []
    while (question := interview.next_question()) is not None:
        asked.append(question.key)
        assert len(asked) <= len(kb.vocabulary.keys), "the interview asks a key twice"
        interview.answer(question.key, answers.get(question.key))
    return interview, asked, full


# -- the ontology gives every key a question and every value its help -----------------------------
def test_every_case_key_is_put_as_a_question_and_every_value_has_a_definition(kb):
    from rdflib import OWL, RDF, SKOS

    from innoproc.ontology import IPO

    vocab = kb.vocabulary
    assert (IPO.question, RDF.type, OWL.AnnotationProperty) in vocab.graph
    assert vocab.graph.value(IPO.question, SKOS.definition) is not None
    texts = set()
    for name, key in vocab.keys.items():
        assert key.question, f"{name} has no ipo:question"
        assert key.question.endswith("?") and key.question.count("?") == 1, key.question
        assert len(key.question) <= 150, f"{name}: the question is long ({len(key.question)})"
        assert "_" not in key.question, f"{name}: the question names a key, not the fact"
        texts.add(key.question)
        for notation, individual in key.values.items():
            definition = vocab.graph.value(individual, SKOS.definition)
            assert definition is not None and str(definition).strip(), f"{name}: {notation}"
    assert len(texts) == len(vocab.keys), "two keys share a question"


# -- what is asked, and in which order -----------------------------------------------------------
def test_only_open_questions_are_asked_most_decisive_first_each_with_a_verified_witness(kb):
    from innoproc import Interview
    from innoproc.rules.semantics import forward_chain

    interview = Interview({"id": "order"}, kb=kb)
    order = list(kb.vocabulary.keys)
    remaining = interview.open_questions
    assert remaining, "a case with nothing stated has questions"
    # the order rule: gravest severity touched, then number of items, then the form's order
    for first, second in zip(remaining, remaining[1:], strict=False):
        assert first.weight >= second.weight
        if first.weight == second.weight:
            assert order.index(first.key) < order.index(second.key)
    for question in remaining:
        gravest = max(SEVERITY.get(i.severity or "", 0) for i in question.items)
        assert question.weight == (gravest, len(question.items))
        # the witness: answers under which stating this key changes what the rules conclude
        witness = dict(question.witness)
        assert question.key in witness
        others = {k: v for k, v in witness.items() if k != question.key}
        with_key = forward_chain(kb.rules, {"id": "order", **witness})
        without = forward_chain(kb.rules, {"id": "order", **others})
        assert set(with_key) != set(without), question.key
    asked = interview.next_question()
    assert asked is not None and asked.key == remaining[0].key
    assert asked.weight == remaining[0].weight
    # why it is asked: the items it can still decide, with the titles their rules give them
    titles = {rule.then.id: rule.title for rule in kb.rules}
    assert asked.reasons and all(item.title == titles[item.id] for item in asked.reasons)


def test_answered_unknown_and_given_facts_are_never_asked(kb, library):
    from innoproc import Interview

    start = library["constructed-sparse-beamline-mirror"]
    interview = Interview(PARTIAL, kb=kb)
    stated = set(start.facts)
    seen = []
    while (question := interview.next_question()) is not None:
        assert question.key not in stated, "a fact the partial case states was asked"
        assert question.key not in seen, "a question was asked twice"
        seen.append(question.key)
        interview.answer(question.key, "unknown" if len(seen) % 2 else None)
        assert question.key in interview.unknown and question.key not in interview.case
    assert seen and interview.settled
    assert interview.unknown == frozenset(seen)
    assert [a.key for a in interview.asked] == seen
    assert all(a.value is None for a in interview.asked)
    # the partial case is unchanged: unknown answers add nothing to it
    assert {k: v for k, v in interview.case.items()} == {
        k: list(v) if isinstance(v, tuple) else v for k, v in start.facts.items()
    }


def test_a_fact_that_matters_only_through_one_answered_unknown_is_no_longer_asked(kb):
    """With the procedure unknown for good, the legal regime cannot change the advice on an
    empty case (it only matters through the procedure), so it is not asked."""
    from innoproc import Interview

    sensitivity = kb.sensitivity
    facts = {"id": "empty"}
    assert "legal_regime" in sensitivity.open_facts(facts)
    assert "legal_regime" not in sensitivity.open_facts(facts, unknown={"procedure"})
    interview = Interview({"id": "empty"}, kb=kb)
    assert "legal_regime" in {q.key for q in interview.open_questions}
    interview.answer("procedure", "unknown")
    assert "legal_regime" not in {q.key for q in interview.open_questions}
    # and for every fact so dropped, no answer to it alone changes what the rules conclude
    base = _conclusions(kb, facts)
    for staying in ("procedure", "sourcing", "competence_uniqueness"):
        remaining = sensitivity.open_facts(facts, unknown={staying})
        assert staying not in remaining
        assert all(staying not in effect.witness for effect in remaining.values())
        for dropped in set(sensitivity.open_facts(facts)) - set(remaining) - {staying}:
            for value in sensitivity.answers(dropped):
                assert _conclusions(kb, {**facts, dropped: value}) == base, (staying, dropped)


def test_the_interview_stops_exactly_when_the_advice_is_settled(kb):
    path = CASES / "cern-lhc-yoke-steel.yaml"
    interview, asked, full = _interview_from(path, kb)
    assert interview.settled and interview.next_question() is None and not interview.undecided
    # not too late: one answer before the end, a question with a verified witness was open
    last = interview.undo()
    assert last is not None and last.key == asked[-1]
    assert not interview.settled and interview.next_question().key == asked[-1]
    interview.answer(last.key, full.facts.get(last.key))
    assert interview.settled
    # not too early: no answer to any fact still unstated (and not answered unknown) changes it
    facts = dict(interview.loaded.facts)
    base = _conclusions(kb, facts)
    for key in kb.sensitivity.tests:
        if key in facts or key in interview.unknown:
            continue
        for value in kb.sensitivity.answers(key):
            assert _conclusions(kb, {**facts, key: value}) == base, key


def test_undo_takes_back_one_answer_at_a_time(kb):
    from innoproc import Interview

    interview = Interview({"id": "undo"}, kb=kb)
    assert interview.undo() is None
    first = interview.next_question()
    interview.answer(first.key, first.choices[0].value)
    second = interview.next_question()
    assert second.key != first.key
    interview.answer(second.key, "unknown")
    assert [a.key for a in interview.asked] == [first.key, second.key]
    taken = interview.undo()
    assert taken.key == second.key and taken.value is None
    assert second.key not in interview.unknown
    assert interview.next_question().key == second.key
    interview.undo()
    assert interview.case == {"id": "undo"} and interview.asked == ()
    assert interview.next_question().key == first.key


# -- answers are checked as the case form checks them --------------------------------------------
@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("trl", 12),
        ("legal_regime", "own-rulez"),
        ("phases", []),
        ("in_house_capacity", "perhaps"),
        ("estimated_value_eur", -5),
        ("award_basis", ["lowest-price", "best-value"]),
        ("colour", "blue"),
        ("id", None),
    ],
)
def test_a_bad_answer_is_refused_with_the_case_forms_problems_and_changes_nothing(kb, key, value):
    from innoproc import CaseError, Interview, load_case

    interview = Interview({"id": "bad"}, kb=kb)
    before = (interview.case, interview.next_question(), interview.asked)
    with pytest.raises(CaseError) as refused:
        interview.answer(key, value)
    form = {"id": "bad", key: value} if value is not None else {}
    with pytest.raises(CaseError) as expected:
        load_case(form, kb.vocabulary)
    assert [(p.key, p.message, p.code) for p in refused.value.problems] == [
        (p.key, p.message, p.code) for p in expected.value.problems
    ]
    assert (interview.case, interview.next_question(), interview.asked) == before


def test_questions_carry_the_allowed_answers_with_their_labels_and_help(kb):
    from innoproc import Interview

    interview = Interview({"id": "words"}, kb=kb)
    vocab = kb.vocabulary
    procedure = interview.question("procedure")
    assert procedure.text == vocab.keys["procedure"].question
    assert [c.value for c in procedure.choices] == list(vocab.keys["procedure"].values)
    assert all(c.label and c.help and "\n" not in c.help for c in procedure.choices)
    assert procedure.allowed == "one of " + ", ".join(vocab.keys["procedure"].values)
    trl = interview.question("trl")
    assert trl.choices == () and trl.allowed == "an integer from 1 to 9"
    flag = interview.question("in_house_capacity")
    assert [c.value for c in flag.choices] == [True, False]
    incentives = interview.question("innovation_incentives")
    assert incentives.multi and incentives.allows_empty
    data = procedure.to_dict()
    assert data["unknown_allowed"] and data["question"] == procedure.text
    # a typed reply read as the case form would take it
    assert trl.read("7") == 7 and trl.read("") is None and trl.read("seven") == "seven"
    assert flag.read("yes") is True and flag.read("n") is False and flag.read("?") is None
    assert procedure.read("Open procedure") == "open"
    assert incentives.read("bonus, variants") == ("bonus", "variants")
    assert incentives.read("none") == ()
    for text, value in [("7", 7), ("seven", None)]:
        if value is None:
            with pytest.raises(Exception):  # noqa: B017 - CaseError, as the form says
                interview.answer("trl", trl.read(text))
        else:
            interview.answer("trl", trl.read(text))
    assert interview.case["trl"] == 7


# -- starting points and the saved case ----------------------------------------------------------
def test_start_from_a_path_a_mapping_or_a_case_and_save_a_case_that_gives_the_same_advice(
    kb, tmp_path
):
    from innoproc import Interview, advise, load_case

    loaded = load_case(PARTIAL)
    mapping = {k: list(v) if isinstance(v, tuple) else v for k, v in loaded.facts.items()}
    starts = [Interview(PARTIAL, kb=kb), Interview(mapping, kb=kb), Interview(loaded, kb=kb)]
    assert len({tuple(sorted(map(str, s.case.items()))) for s in starts}) == 1
    assert len({s.next_question().key for s in starts}) == 1
    interview = starts[0]
    for _ in range(3):
        question = interview.next_question()
        interview.answer(question.key, question.choices[0].value if question.choices else None)
    target = tmp_path / "saved.yaml"
    interview.save(target)
    text = target.read_text(encoding="utf-8")
    assert text.startswith("# Case written by an innoproc interview on ")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["saved.yaml"]  # no temporary left
    again = load_case(target)
    assert dict(again.facts) == dict(interview.loaded.facts)
    assert _items(advise(again)) == _items(interview.advice)


def test_answers_report_what_they_settled(kb):
    from innoproc import Interview

    interview = Interview({"id": "settle"}, kb=kb)
    before = interview.undecided
    question = interview.next_question()
    progress = interview.answer(question.key, question.choices[0].value)
    settled = {i.id for i in progress.settled}
    assert settled == before - interview.undecided
    concluded = {i.id for i in interview.advice.all_items()}
    assert all((i.id in concluded) == i.concluded for i in progress.settled)


# -- every library case: the interview reaches the full case's advice ----------------------------
@pytest.mark.parametrize("path", case_files(), ids=lambda p: p.stem)
def test_from_only_its_id_the_interview_reaches_the_advice_on_the_full_case(kb, path):
    interview, asked, full = _interview_from(path, kb)
    assert interview.settled
    assert _items(interview.advice) == _items(kb.advise(full))
    # everything stated in the interview is what the case states
    assert all(full.facts[k] == v for k, v in interview.loaded.facts.items())
    assert len(asked) == len(set(asked))


def test_wrong_arguments_say_what_was_found_and_what_is_wanted(kb):
    from innoproc import ArgumentError, Interview

    with pytest.raises(ArgumentError, match="Interview\\(kb\\): found int 3"):
        Interview(kb=3)
    interview = Interview({"id": "args"}, kb=kb)
    with pytest.raises(ArgumentError, match="a key of the case form"):
        interview.answer(3, "x")  # type: ignore[arg-type]
    with pytest.raises(ArgumentError, match="a key of the case form"):
        interview.question("colour")
