"""Retrieval: fused keyword + dense ranking of clauses, aware of the question's time frame.

Fusion is a weighted sum of the two scores, each scaled to its best candidate (weights in
RetrievalConfig; `qa eval` records them). Time works as a prior, never a filter: a clause
whose year and kind (plan/review) match what the question asks for gains, one that
contradicts it loses, and one with no year is left alone. A question's relative years are
resolved for each clause in its own jurisdiction's frame (qa.query), so adding another
government's documents never moves what 今年 means for the first.

The leading candidates of the fused ranking of a question that sets no time frame and names no
document are reordered by the sentence ranker (qa.rerank; `ranker=None` turns it off), and on
request (`neural="auto"` or a model) by a local neural reranker; only the order changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .index import Index
from .query import QueryAnalysis, analyze
from .segment import Clause
from .store import Where
from .timescope import PLAN, REVIEW

if TYPE_CHECKING:
    from .rerank import SentenceRanker


@dataclass(frozen=True)
class RetrievalConfig:
    """Fusion weights and priors (chosen on eval/dev.jsonl; recorded with every `qa eval` result)."""

    dense_weight: float = 0.5
    year_weight: float = 0.35  # a clause of an asked year gains this much, one of another year loses it
    kind_weight: float = 0.2  # the same for plan (target) against review (result)
    document_weight: float = 0.3  # a clause of the document the question names gains this much
    candidates: int = 200
    # A thesaurus synonym (qa.lexicon) counts this much of a question's own word. Off by default:
    # at 0.4 it raised recall on the State Council set but cost one answered cpc question.
    expansion_weight: float = 0.0
    neural_weight: float = 1.0  # the neural reranker's [0, 1] score is added with this weight
    neural_depth: int = 30  # candidates a neural reranker reads when there is no sentence ranker


@dataclass(frozen=True)
class _Fused:
    """The fused ranking of a question's candidate pool (positions into the clause list)."""

    pool: np.ndarray
    order: np.ndarray  # indices into pool, best first
    score: np.ndarray
    lex: np.ndarray
    dense: np.ndarray
    time: np.ndarray
    clause_lex: np.ndarray
    para_lex: np.ndarray
    dense_n: np.ndarray


@dataclass(frozen=True)
class Hit:
    clause: Clause
    score: float
    lexical: float
    dense: float
    time: float


class Retriever:
    """search(question, k) -> list[Hit] over an Index."""

    def __init__(self, index: Index, config: RetrievalConfig | None = None, ranker: SentenceRanker | bool | None = True, neural=None):
        self.index = index
        self.config = config = config or RetrievalConfig()
        self.expansion_weight = config.expansion_weight
        # Sentence selection over the leading candidates (qa.rerank): True (the default) for the
        # packaged weights, a SentenceRanker of one's own, or None/False for the fused order.
        # It reorders only questions that set no time frame and name no document (`reranks`).
        if ranker is True:
            from .rerank import SentenceRanker

            ranker = SentenceRanker(index)
        self.ranker = ranker or None
        # A local cross-encoder or sentence-transformers model reranks too: "auto" takes the first
        # of qa.rerank.RERANKER_MODELS in the Hugging Face cache, a path or name picks one, None (the
        # default) turns it off; its [0, 1] score is added with config.neural_weight.
        if isinstance(neural, str):
            from .rerank import local_reranker

            neural = local_reranker(neural)
        self.neural = neural
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
        return analyze(question, self.corpus, tok.synonym_matches, getattr(tok, "places", frozenset()), tok.cut)

    def query_tokens(self, question: str) -> tuple[list[str], list[str]]:
        """The question's own keyword tokens and, when expansion is on, its thesaurus synonyms."""
        tok = self.index.tokenizer
        own = tok.query_tokens(question)
        return own, (tok.expansion_tokens(question, own) if self.expansion_weight else [])

    def search(self, question: str, k: int = 10, analysis: QueryAnalysis | None = None, where: Where | None = None) -> list[Hit]:
        """The k best clauses; `where` keeps only clauses of the given years, documents or places."""
        if not self.clauses:
            return []
        analysis = analysis or self.analyze(question)
        # The words that name a document ("十九大报告说…") find its title line, not the answer: the
        # document is a prior (document_weight), the rest of the question is what is searched.
        question = analysis.content or question
        f = self._fused(question, analysis, where)
        if f is None:
            return []
        order, score = f.order, f.score
        ranker = self.ranker if self.ranker is not None and self.reranks(analysis) else None
        if ranker is not None or self.neural is not None:
            order, score = self._rerank(question, f, ranker)
        return [
            Hit(self.clauses[int(f.pool[j])], float(score[j]), float(f.lex[j]), float(f.dense[j]), float(f.time[j]))
            for j in order[:k]
        ]

    @staticmethod
    def reranks(analysis: QueryAnalysis) -> bool:
        """Whether the sentence ranker reorders this question's candidates: only when it sets no
        time frame (years, 今年, "十四五"时期 …) and names no document. Its weights were fitted on
        prose without dates or catalogued documents, so it has not learned how much a year or a
        named document counts; where they decide, the fused order with its time and document
        priors (RetrievalConfig) stands. On the policy sets the ranker moved evidence of such
        questions down (README, "Measured")."""
        return not analysis.times and analysis.document is None and not analysis.missing_document

    def ranker_features(self, question: str, depth: int) -> tuple[np.ndarray, np.ndarray]:
        """(clause positions, sentence-ranker features) of the first `depth` fused candidates."""
        empty = np.zeros(0, dtype=np.int64), np.zeros((0, 0))
        if not self.clauses:
            return empty
        from .rerank import FEATURES, SentenceRanker, Weights

        analysis = self.analyze(question)
        question = analysis.content or question
        f = self._fused(question, analysis)
        if f is None:
            return empty
        if self.ranker is None and getattr(self, "_feature_ranker", None) is None:
            # features only: no weights needed (a fit computes them before any weights exist)
            self._feature_ranker = SentenceRanker(self.index, Weights((0.0,) * len(FEATURES)))
        ranker = self.ranker or self._feature_ranker
        return self._head_features(question, f, f.order[:depth], ranker)

    def _fused(self, question: str, analysis: QueryAnalysis, where: Where | None = None) -> _Fused | None:
        own, expansion = self.query_tokens(question)
        qvec = self.index.embedder.encode_queries([question])
        cand = self.index.store.candidates(own, qvec, self.candidates, where, expansion, self.expansion_weight)
        pool, lex_pool, dense_pool = cand.rows, cand.lexical, cand.dense
        if len(pool) == 0:
            return None
        lex_max = float(lex_pool.max())
        lex_n = lex_pool / lex_max if lex_max > 0 else lex_pool
        d_max = float(dense_pool.max())
        dense_n = np.clip(dense_pool / d_max, 0, None) if d_max > 0 else np.zeros_like(dense_pool)
        time = self._time_prior(pool, analysis)
        score = lex_n + self.dense_weight * dense_n + time
        order = np.argsort(-score, kind="stable")
        return _Fused(pool, order, score, lex_pool, dense_pool, time, cand.clause_lex, cand.para_lex, dense_n)

    def _head_features(self, question: str, f: _Fused, head: np.ndarray, ranker) -> tuple[np.ndarray, np.ndarray]:
        c, p = f.clause_lex[head], f.para_lex[head]
        parts = {
            "fused": f.score[head],
            "time": f.time[head],
            "clause_lex": c / c.max() if len(c) and c.max() > 0 else c,
            "para_lex": p / p.max() if len(p) and p.max() > 0 else p,
            "dense": f.dense_n[head],
        }
        rows = f.pool[head]
        return rows, ranker.features(question, rows, parts)

    def _rerank(self, question: str, f: _Fused, ranker: SentenceRanker | None) -> tuple[np.ndarray, np.ndarray]:
        """The leading candidates in the sentence ranker's order (plus the neural reranker's score).

        Only the order changes: the candidate put at rank r takes the fused score that rank had,
        so scores still fall with rank and keep their scale (the answer layer compares a hit's
        score with the first one's). Candidates below the depth keep their place and score.
        """
        depth = ranker.weights.depth if ranker is not None else self.config.neural_depth
        head = f.order[:depth]
        if ranker is not None:
            rows, feats = self._head_features(question, f, head, ranker)
            new = ranker.scores(feats)
        else:
            rows, new = f.pool[head], f.score[head].astype(np.float64)
        if self.neural is not None:
            new = new + self.config.neural_weight * self.neural.scores(question, [self.clauses[int(i)].text for i in rows])
        re_order = head[np.argsort(-new, kind="stable")]
        score = f.score.copy()
        score[re_order] = f.score[head]  # head is in fused order: its scores fall with rank
        return np.concatenate([re_order, f.order[depth:]]), score

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
