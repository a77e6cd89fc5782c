"""Answers: grounded, cited, time-correct, built only from quoted clauses.

The flow is analysis → retrieval → plan → text: `qa.query.analyze` reads the question once
(years, intent, parts, jurisdiction, document named), the Retriever ranks clauses,
`qa.plan.Planner` decides what to show from typed data only, and `qa.render` writes it.
Before an answer is returned, every figure in its text is checked against the quotes it
cites (`verify`); an answer that fails is never shown.
"""

from __future__ import annotations

import re
import time
from dataclasses import asdict, dataclass, field

from .corpus import Citation
from .facts import QUANTITY, classify
from .index import Index
from .measure import AGREEMENT, CONTRADICTION, KIND_LABEL, MEASURE, figure_text, indicator_key
from .plan import AnswerConfig, AnswerPlan, Planner
from .query import MAX_QUESTION, QueryAnalysis, normalize_question
from .render import render
from .retrieve import Hit, Retriever

__all__ = [
    "AGREEMENT", "CONTRADICTION", "KIND_LABEL", "MAX_QUESTION", "MEASURE", "Answer", "AnswerConfig", "AnswerFact",
    "Answerer", "Conflict", "ConflictValue", "figure_text", "indicator_key", "normalize_question", "verify",
]


@dataclass(frozen=True)
class AnswerFact:
    indicator: str
    value: str
    year: int | None
    kind: str
    citation: int


@dataclass(frozen=True)
class ConflictValue:
    value: str
    citation: int


@dataclass(frozen=True)
class Conflict:
    indicator: str
    year: int | None
    values: tuple[ConflictValue, ...]


@dataclass(frozen=True)
class Answer:
    question: str
    answer: str
    abstained: bool
    citations: tuple[Citation, ...]
    facts: tuple[AnswerFact, ...] = ()
    conflicts: tuple[Conflict, ...] = ()
    elapsed_ms: float = 0.0
    # Not part of the JSON contract: what the answer was made with, for people reading it.
    embedder: str = field(default="", compare=False)
    hits: tuple[Hit, ...] = field(default=(), compare=False, repr=False)
    plan: AnswerPlan | None = field(default=None, compare=False, repr=False)

    def to_dict(self) -> dict:
        """The `qa ask --json` object, field for field as DESIGN.md specifies, plus `resolved_years`."""
        out = {
            "question": self.question,
            "answer": self.answer,
            "abstained": self.abstained,
            "citations": [c.to_dict() for c in self.citations],
            "facts": [asdict(f) for f in self.facts],
            "conflicts": [
                {"indicator": c.indicator, "year": c.year, "values": [asdict(v) for v in c.values]} for c in self.conflicts
            ],
            "elapsed_ms": self.elapsed_ms,
        }
        if self.plan is not None:
            out["resolved_years"] = list(self.plan.analysis.years)
        return out


def verify(answer: Answer) -> list[str]:
    """Figures in the answer text that none of its citations quote (empty when all are grounded)."""
    text = re.sub(r"\[\d+\]", " ", answer.answer)
    text = re.sub(r"（(?:19|20)\d{2}年）|(?:19|20)\d{2}—(?:19|20)\d{2}年", " ", text)  # resolved years stated
    # a policy answer names each document it quotes (【title】): a figure of the title is quoted too
    quotes = "\n".join(f"{c.title}\n{c.quote}" for c in answer.citations)
    missing = []
    for m in QUANTITY.finditer(text):
        labels = {label for a, b, label in classify(text[m.start() : m.end() + 1])}
        if "quantity" not in labels:
            continue
        value = m.group("num") + m.group("unit")
        if value not in quotes:
            missing.append(value)
    return missing


class Answerer:
    """answer(question) -> Answer, over a Retriever."""

    def __init__(self, index: Index, retriever: Retriever | None = None, config: AnswerConfig | None = None, abstain_below: float | None = None):
        self.index = index
        self.retriever = retriever or Retriever(index)
        self.corpus = index.corpus
        config = config or AnswerConfig()
        if abstain_below is not None:
            from dataclasses import replace

            config = replace(config, abstain_below=abstain_below)
        self.config = config
        self.planner = Planner(index, config)

    @property
    def abstain_below(self) -> float:
        return self.config.abstain_below

    def analyze(self, question: str) -> QueryAnalysis:
        return self.retriever.analyze(normalize_question(question))

    def coverage(self, question: str, hit: Hit) -> float:
        return self.planner.coverage(question, hit)

    def _concepts(self, question: str) -> list[tuple[str, ...]]:
        return self.planner.concepts(question)

    def answer(self, question: str) -> Answer:
        t0 = time.perf_counter()
        q = normalize_question(question)
        analysis = self.retriever.analyze(q)
        hits = self.retriever.search(q, self.config.k, analysis)
        plan = self.planner.plan(analysis, hits)
        out = render(plan, self.corpus)
        result = _answer(q, out, plan)
        missing = verify(result)
        if missing:  # never show a figure that no citation quotes
            plan = AnswerPlan(analysis, "abstain", passages=tuple(hits[:3]), hits=tuple(hits))
            result = _answer(q, render(plan, self.corpus, f"（内部校验未通过：{'、'.join(missing)}）"), plan)
        elapsed = round((time.perf_counter() - t0) * 1000, 1)
        return Answer(
            question=question,
            answer=result.answer,
            abstained=result.abstained,
            citations=result.citations,
            facts=result.facts,
            conflicts=result.conflicts,
            elapsed_ms=elapsed,
            embedder=self.index.embedder_description,
            hits=tuple(hits),
            plan=plan,
        )


def _answer(q: str, out: dict, plan: AnswerPlan) -> Answer:
    return Answer(
        q,
        out["answer"],
        out["abstained"],
        tuple(out["citations"]),
        tuple(AnswerFact(**f) for f in out["facts"]),
        tuple(Conflict(c["indicator"], c["year"], tuple(ConflictValue(**v) for v in c["values"])) for c in out["conflicts"]),
        plan=plan,
    )
