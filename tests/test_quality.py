"""Retrieval quality on eval/dev.jsonl gates the suite (deterministic, so it can)."""

from __future__ import annotations

from qa.evaluate import evaluate, read_questions

from .conftest import ROOT


def test_dev_set_retrieval_targets(seed_index, answerer):
    questions = read_questions(ROOT / "eval" / "dev.jsonl")
    assert len(questions) >= 60
    m = evaluate(seed_index, questions, answerer)["metrics"]
    assert m["recall@1"] >= 0.85, m
    assert m["recall@3"] >= 0.95, m
    assert m["false_abstention"] <= 0.03, m
