"""Adding another government's documents (the State Council reports) beside the Hohhot seeds
changes the Hohhot answers only by the added national figures (DESIGN.md, invariant 7)."""

from __future__ import annotations

import pytest

from qa.answer import Answerer
from qa.evaluate import read_questions

from .conftest import CORPORA, ROOT, SEEDS


@pytest.fixture(scope="module")
def mixed_answerer(tmp_path_factory):
    from qa.evalsets import merged_folder
    from qa.index import Settings, build_index

    national = CORPORA / "state_council_reports"
    if not national.is_dir():
        pytest.skip(f"{national} is not on this machine")
    tmp = tmp_path_factory.mktemp("mixed")
    folder = merged_folder((SEEDS, national), tmp / "seeds")
    return Answerer(build_index(tmp / "index", folder, Settings(embedder="corpus")))


@pytest.fixture(scope="module")
def pairs(answerer, mixed_answerer):
    rows = read_questions(ROOT / "eval" / "dev.jsonl")
    return [(row, answerer.answer(row["question"]), mixed_answerer.answer(row["question"])) for row in rows]


def _hohhot_facts(answer, hohhot: set[str]):
    return sorted((f.indicator, f.value, f.year, f.kind) for f in answer.facts if answer.citations[f.citation - 1].doc_id in hohhot)


def test_refusals_and_asked_figures_do_not_change(pairs):
    for row, alone, mixed in pairs:
        assert alone.abstained == mixed.abstained, (row["question"], alone.answer, mixed.answer)
        figures = row.get("figures") or []
        if alone.abstained:
            continue  # a refusal's nearest passages are not an answer
        assert all(f in alone.answer for f in figures) == all(f in mixed.answer for f in figures), (row["question"], mixed.answer)


def test_relative_years_keep_their_hohhot_meaning(pairs):
    for row, alone, mixed in pairs:
        if "今年" in row["question"] and not alone.abstained:
            assert "今年（2024年）" in mixed.answer or "今年（2024年）" not in alone.answer, mixed.answer
            assert "今年（2022年）" not in mixed.answer.split("另见")[0] or "今年（2024年）" in mixed.answer


def test_figures_of_different_jurisdictions_never_conflict(pairs, seed_index):
    hohhot = {d.id for d in seed_index.corpus.docs}
    for row, _, mixed in pairs:
        for c in mixed.conflicts:
            docs = {mixed.citations[v.citation - 1].doc_id in hohhot for v in c.values}
            assert len(docs) == 1, (row["question"], mixed.answer)


def test_hohhot_figures_are_the_same(pairs, seed_index):
    """The Hohhot figures of every answer are identical with and without the national reports."""
    hohhot = {d.id for d in seed_index.corpus.docs}
    differ = [(row["id"], alone.answer, mixed.answer) for row, alone, mixed in pairs if _hohhot_facts(alone, hohhot) != _hohhot_facts(mixed, hohhot)]
    assert differ == []
