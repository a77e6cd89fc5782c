"""Retrieval: fused keyword + dense ranking of clauses, aware of the question's time frame.

Fusion is a weighted sum of the two scores, each scaled to its best candidate (weights in
RetrievalConfig; `qa eval` records them). Time works as a prior, never a filter: a clause
whose year and kind (plan/review) match what the question asks for gains, one that
contradicts it loses, and one with no year is left alone. A question's relative years are
resolved for each clause in its own jurisdiction's frame (qa.query), so adding another
government's documents never moves what 今年 means for the first.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .index import Index
from .query import QueryAnalysis, analyze
from .segment import Clause
from .timescope import PLAN, REVIEW


@dataclass(frozen=True)
class RetrievalConfig:
    """Fusion weights and priors (chosen on eval/dev.jsonl; recorded with every `qa eval` result)."""

    dense_weight: float = 0.5
    year_weight: float = 0.35  # a clause of an asked year gains this much, one of another year loses it
    kind_weight: float = 0.2  # the same for plan (target) against review (result)
    document_weight: float = 0.3  # a clause of the document the question names gains this much
    candidates: int = 200


@dataclass(frozen=True)
class Hit:
    clause: Clause
    score: float
    lexical: float
    dense: float
    time: float


class Retriever:
    """search(question, k) -> list[Hit] over an Index."""

    def __init__(self, index: Index, config: RetrievalConfig | None = None):
        self.index = index
        self.config = config = config or RetrievalConfig()
        self.dense_weight = config.dense_weight
        self.candidates = config.candidates
        self.corpus = index.corpus
        self.clauses = index.corpus.clauses
        regions = sorted({d.region for d in self.corpus.docs})
        self._region_names = regions
        region_no = {r: i for i, r in enumerate(regions)}
        self._regions = np.array([region_no[self.corpus.by_doc[c.doc_id].region] for c in self.clauses], dtype=np.int32)
        docs = {d.id: i for i, d in enumerate(self.corpus.docs)}
        self._docs = np.array([docs[c.doc_id] for c in self.clauses], dtype=np.int32)
        self._years = np.array([c.year if c.year is not None else -1 for c in self.clauses], dtype=np.int32)
        self._kinds = np.array([{PLAN: 1, REVIEW: -1}.get(c.scope, 0) for c in self.clauses], dtype=np.int8)

    def analyze(self, question: str) -> QueryAnalysis:
        tok = self.index.tokenizer
        return analyze(question, self.corpus, tok.synonyms, getattr(tok, "places", frozenset()))

    def lexical_scores(self, question: str) -> np.ndarray:
        return self.index.lexical.scores(self.index.tokenizer.query_tokens(question))

    def search(self, question: str, k: int = 10, analysis: QueryAnalysis | None = None) -> list[Hit]:
        n = len(self.clauses)
        if n == 0:
            return []
        analysis = analysis or self.analyze(question)
        # The words that name a document ("十九大报告说…") find its title line, not the answer: the
        # document is a prior (document_weight), the rest of the question is what is searched.
        question = analysis.content or question
        lex = self.lexical_scores(question)
        m = min(self.candidates, n)
        cand = np.argpartition(-lex, m - 1)[:m] if m < n else np.arange(n)
        qvec = self.index.embedder.encode_queries([question])
        dsim, didx = self.index.vectors.search(qvec, m)
        dsim, didx = dsim[0], didx[0]
        keep = didx >= 0
        dense = {int(i): float(s) for i, s in zip(didx[keep], dsim[keep])}
        pool = np.unique(np.concatenate([cand, didx[keep].astype(np.int64)]))
        lex_pool = lex[pool]
        lex_max = float(lex_pool.max()) if len(pool) else 0.0
        lex_n = lex_pool / lex_max if lex_max > 0 else lex_pool
        dense_pool = np.array([dense.get(int(i), 0.0) for i in pool], dtype=np.float32)
        missing = [j for j, i in enumerate(pool) if int(i) not in dense]
        if missing:  # candidates the dense top-m did not reach get their exact similarity
            dense_pool[missing] = self.index.vectors.reconstruct(pool[missing]) @ qvec[0]
        d_max = float(dense_pool.max()) if len(pool) else 0.0
        dense_n = np.clip(dense_pool / d_max, 0, None) if d_max > 0 else np.zeros_like(dense_pool)
        time = self._time_prior(pool, analysis)
        score = lex_n + self.dense_weight * dense_n + time
        order = np.argsort(-score, kind="stable")[:k]
        return [
            Hit(self.clauses[int(pool[j])], float(score[j]), float(lex_pool[j]), float(dense_pool[j]), float(time[j]))
            for j in order
        ]

    def _time_prior(self, pool: np.ndarray, analysis: QueryAnalysis) -> np.ndarray:
        """Year, kind and named-document priors; relative years resolve per jurisdiction."""
        cfg = self.config
        prior = np.zeros(len(pool), dtype=np.float32)
        regions = self._regions[pool]
        y = self._years[pool]
        kinds = self._kinds[pool]
        for r, region in enumerate(self._region_names):
            here = regions == r
            if not here.any():
                continue
            years = analysis.years_for(region)
            if years:
                known = here & (y >= 0)
                match = np.isin(y, years)
                prior += np.where(known & match, cfg.year_weight, 0.0) - np.where(known & ~match, cfg.year_weight, 0.0)
            kind = analysis.want_kind(region)
            if kind:
                want = 1 if kind == "target" else -1
                prior += np.where(here & (kinds == want), cfg.kind_weight, 0.0) - np.where(here & (kinds == -want), cfg.kind_weight, 0.0)
        if analysis.document is not None:
            doc = next(i for i, d in enumerate(self.corpus.docs) if d.id == analysis.document.id)
            prior += np.where(self._docs[pool] == doc, cfg.document_weight, 0.0)
        return prior
