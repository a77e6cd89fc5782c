"""Retrieval: fused keyword + dense ranking of clauses, aware of the question's time frame.

Fusion is a weighted sum of the two scores, each scaled to its best candidate (weights
chosen on eval/dev.jsonl; `qa eval` reports the effect). Time works as a prior, never a
filter: a clause whose year and kind (plan/review) match what the question asks for gains,
one that contradicts it loses, and one with no year is left alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .index import Index
from .segment import Clause
from .timescope import PLAN, REVIEW

if TYPE_CHECKING:
    from .rerank import SentenceRanker

_PLAN_WORDS = re.compile(r"目标|计划|打算|预期|预计|安排|部署|将要|要求|力争|争取|准备|再添|新举措|举措|措施|怎么做|任务|今年要|明年")
_REVIEW_WORDS = re.compile(r"完成了|实现了|取得|成效|成绩|去年|过去一年|上一年|上年|已经|达到了|做了|回顾|增长了|多少了|结果|实际")
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?:年|$|\D)")


@dataclass(frozen=True)
class QueryFrame:
    """What a question says about time: the years it names and whether it asks for plans or results."""

    years: tuple[int, ...]
    kind: str | None  # plan | review | None


NEURAL_DEPTH = 30  # candidates a neural reranker reads when there is no sentence ranker


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


def query_frame(question: str, present: int | None) -> QueryFrame:
    """Years and intent of a question; 今年/明年/去年 resolve against the corpus' plan year."""
    years = [int(y) for y in _YEAR.findall(question)]
    if present is not None:
        if "今年" in question or "本年" in question:
            years.append(present)
        if "明年" in question:
            years.append(present + 1)
        if "去年" in question or "过去一年" in question or "上年" in question:
            years.append(present - 1)
    plan, review = bool(_PLAN_WORDS.search(question)), bool(_REVIEW_WORDS.search(question))
    kind = PLAN if plan and not review else REVIEW if review and not plan else None
    if kind is None and years and present is not None:
        kind = PLAN if max(years) >= present else REVIEW
    return QueryFrame(tuple(dict.fromkeys(years)), kind)


class Retriever:
    """search(question, k) -> list[Hit] over an Index."""

    def __init__(
        self,
        index: Index,
        dense_weight: float = 0.5,
        year_weight: float = 0.35,
        kind_weight: float = 0.2,
        candidates: int = 200,
        expansion_weight: float = 0.4,
        ranker: SentenceRanker | bool | None = True,
        neural="auto",
        neural_weight: float = 1.0,
    ):
        self.index = index
        self.expansion_weight = expansion_weight  # thesaurus synonyms count this much of a question's own word
        # Sentence selection over the leading candidates (qa.rerank): True for the packaged
        # weights, a SentenceRanker of one's own, or None/False for the fused order as it is.
        if ranker is True:
            from .rerank import SentenceRanker

            ranker = SentenceRanker(index)
        self.ranker = ranker or None
        # A local cross-encoder or sentence-transformers model reranks too when one is on this
        # machine ("auto": qa.rerank.RERANKER_MODELS in the Hugging Face cache), a path or name
        # picks one, None turns it off; its [0, 1] score is added with neural_weight.
        if isinstance(neural, str):
            from .rerank import local_reranker

            neural = local_reranker(neural)
        self.neural = neural
        self.neural_weight = neural_weight
        self.dense_weight = dense_weight
        self.year_weight = year_weight
        self.kind_weight = kind_weight
        self.candidates = candidates
        self.clauses = index.corpus.clauses
        years = [d.this_year for d in index.corpus.docs if d.this_year]
        # The corpus' "now": the latest year its documents plan for as their 今年.
        self.present = max(years) if years else None
        self._years = np.array([c.year if c.year is not None else -1 for c in self.clauses], dtype=np.int32)
        self._kinds = np.array([{PLAN: 1, REVIEW: -1}.get(c.scope, 0) for c in self.clauses], dtype=np.int8)

    def frame(self, question: str) -> QueryFrame:
        return query_frame(question, self.present)

    def lexical_scores(self, question: str) -> np.ndarray:
        c, p = self.lexical_parts(question)
        cw = self.index.lexical.context_weight
        return c + cw * p if cw else c

    def lexical_parts(self, question: str) -> tuple[np.ndarray, np.ndarray]:
        """(clause, paragraph) keyword scores of every clause, each scaled to its best."""
        tok = self.index.tokenizer
        own = tok.query_tokens(question)
        expansion = tok.expansion_tokens(question, own) if self.expansion_weight else []
        return self.index.lexical.parts(own, expansion, self.expansion_weight)

    def search(self, question: str, k: int = 10, frame: QueryFrame | None = None) -> list[Hit]:
        if not self.clauses:
            return []
        f = self._fused(question, frame or self.frame(question))
        order, score = f.order, f.score
        if self.ranker is not None or self.neural is not None:
            order, score = self._rerank(question, f)
        return [
            Hit(self.clauses[int(f.pool[j])], float(score[j]), float(f.lex[j]), float(f.dense[j]), float(f.time[j]))
            for j in order[:k]
        ]

    def ranker_features(self, question: str, depth: int) -> tuple[np.ndarray, np.ndarray]:
        """(clause positions, sentence-ranker features) of the first `depth` fused candidates."""
        if not self.clauses:
            return np.zeros(0, dtype=np.int64), np.zeros((0, 0))
        from .rerank import SentenceRanker

        f = self._fused(question, self.frame(question))
        if self.ranker is None and getattr(self, "_feature_ranker", None) is None:
            self._feature_ranker = SentenceRanker(self.index)
        ranker = self.ranker or self._feature_ranker
        rows, feats = self._head_features(question, f, f.order[:depth], ranker)
        return rows, feats

    def _fused(self, question: str, frame: QueryFrame) -> _Fused:
        n = len(self.clauses)
        lex_c, lex_p = self.lexical_parts(question)
        cw = self.index.lexical.context_weight
        lex = lex_c + cw * lex_p if cw else lex_c
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
        time = self._time_prior(pool, frame)
        score = lex_n + self.dense_weight * dense_n + time
        order = np.argsort(-score, kind="stable")
        return _Fused(pool, order, score, lex_pool, dense_pool, time, lex_c[pool], lex_p[pool], dense_n)

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

    def _rerank(self, question: str, f: _Fused) -> tuple[np.ndarray, np.ndarray]:
        """The leading candidates in the sentence ranker's order (plus the neural reranker's score).

        Only the order changes: the candidate put at rank r takes the fused score that rank had,
        so scores still fall with rank and keep their scale (the answer layer compares a hit's
        score with the first one's). Candidates below the depth keep their place and score.
        """
        depth = self.ranker.weights.depth if self.ranker is not None else NEURAL_DEPTH
        head = f.order[:depth]
        if self.ranker is not None:
            rows, feats = self._head_features(question, f, head, self.ranker)
            new = self.ranker.scores(feats)
        else:
            rows, new = f.pool[head], f.score[head].astype(np.float64)
        if self.neural is not None:
            new = new + self.neural_weight * self.neural.scores(question, [self.clauses[int(i)].text for i in rows])
        re_order = head[np.argsort(-new, kind="stable")]
        score = f.score.copy()
        score[re_order] = f.score[head]  # head is in fused order: its scores fall with rank
        return np.concatenate([re_order, f.order[depth:]]), score

    def _time_prior(self, pool: np.ndarray, frame: QueryFrame) -> np.ndarray:
        prior = np.zeros(len(pool), dtype=np.float32)
        if frame.years:
            y = self._years[pool]
            known = y >= 0
            match = np.isin(y, frame.years)
            prior += np.where(known & match, self.year_weight, 0.0) - np.where(known & ~match, self.year_weight, 0.0)
        if frame.kind:
            want = 1 if frame.kind == PLAN else -1
            kinds = self._kinds[pool]
            prior += np.where(kinds == want, self.kind_weight, 0.0) - np.where(kinds == -want, self.kind_weight, 0.0)
        return prior
