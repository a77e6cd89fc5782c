"""Where the searchable form of the clauses lives: the Store protocol and the local store.

A store answers one question for the retriever: given a question's tokens and its dense
vector, which clauses are candidates, and what are their lexical score (clause BM25 plus its
paragraph's, each scaled to the best clause) and dense similarity. The retriever fuses them
with the time prior the same way whatever the store, so two stores holding the same arrays
rank the same.

- `LocalStore` (the default): BM25 postings and FAISS indexes in the index folder.
- `MilvusStore` (qa/milvus_store.py): one Milvus collection, Milvus Lite or a server.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

import numpy as np

BACKENDS = ("local", "milvus")


@dataclass(frozen=True)
class Where:
    """Hard filters on candidates (empty: no filter): years, documents, jurisdictions."""

    years: tuple[int, ...] = ()
    doc_ids: tuple[str, ...] = ()
    jurisdictions: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.years or self.doc_ids or self.jurisdictions)


@dataclass(frozen=True)
class Candidates:
    """Candidate clauses (positions in the corpus, ascending) with their two scores."""

    rows: np.ndarray  # int64
    lexical: np.ndarray  # float32: clause_lex + context_weight · para_lex
    dense: np.ndarray  # float32: inner product of normalized vectors
    clause_lex: np.ndarray  # float32: clause BM25 / the best clause's
    para_lex: np.ndarray  # float32: the clause's paragraph's BM25 / the best paragraph's

    @classmethod
    def empty(cls) -> Candidates:
        z = np.zeros(0, np.float32)
        return cls(np.zeros(0, np.int64), z, z, z, z)


class Store(Protocol):
    backend: str

    def candidates(
        self, tokens: list[str], qvec: np.ndarray, m: int, where: Where | None = None, expansion: list[str] = (), expansion_weight: float = 0.0
    ) -> Candidates: ...

    def term_stats(self) -> tuple[dict[str, int], np.ndarray, int]: ...

    def describe(self) -> dict: ...


_PLACE = re.compile(r"^(?:中国共产党|中共)?(.+?(?:特别行政区|自治区|自治州|自治县|省|市|县|区|州|盟|旗))")
_NATIONAL = ("国务院", "中央", "全国人民代表大会", "全国")


def jurisdiction_of(doc) -> str:
    """The place a document speaks for: its catalog region when given, else read from its issuer.

    "呼和浩特市人民政府" and "中共呼和浩特市委员会" → 呼和浩特市; "国务院" → 全国; unknown → "".
    """
    region = getattr(doc, "region", None)
    if region:
        return str(region)
    issuer = (getattr(doc, "issuer", "") or "").strip()
    if any(issuer.startswith((w, "中国共产党" + w, "中共" + w)) for w in _NATIONAL):
        return "全国"
    m = _PLACE.match(issuer)
    return m.group(1) if m else ""


def clause_mask(clauses, docs, where: Where) -> np.ndarray:
    """Which clauses pass a filter, as a boolean array over the corpus."""
    jur = {d.id: jurisdiction_of(d) for d in docs}
    years, doc_ids, places = set(where.years), set(where.doc_ids), set(where.jurisdictions)
    return np.fromiter(
        (
            (not years or c.year in years) and (not doc_ids or c.doc_id in doc_ids) and (not places or jur.get(c.doc_id) in places)
            for c in clauses
        ),
        dtype=bool,
        count=len(clauses),
    )


class LocalStore:
    """BM25 postings (clauses and paragraphs) and FAISS indexes, in this process (one of each per segment)."""

    backend = "local"

    def __init__(self, lexical, vectors, corpus=None):
        self.lexical, self.vectors, self.corpus = lexical, vectors, corpus

    def __len__(self) -> int:
        return len(self.lexical.para_of)

    def candidates(
        self, tokens: list[str], qvec: np.ndarray, m: int, where: Where | None = None, expansion: list[str] = (), expansion_weight: float = 0.0
    ) -> Candidates:
        """The top m clauses by keyword score and by dense similarity, with both scores.

        `expansion` (thesaurus synonyms) is scored apart and added with `expansion_weight`.
        """
        if where:
            return self._filtered(tokens, qvec, m, where, expansion, expansion_weight)
        n = len(self)
        c, p = self.lexical.parts(tokens, expansion, expansion_weight)
        lex = c + self.lexical.context_weight * p if self.lexical.context_weight else c
        m = min(m, n)
        cand = np.argpartition(-lex, m - 1)[:m] if m < n else np.arange(n)
        dsim, didx = self.vectors.search(qvec, m)
        return self._pool(c, p, lex, cand, dsim[0], didx[0], qvec)

    def _pool(self, c, p, lex: np.ndarray, cand: np.ndarray, dsim: np.ndarray, didx: np.ndarray, qvec: np.ndarray) -> Candidates:
        keep = didx >= 0
        dense = {int(i): float(s) for i, s in zip(didx[keep], dsim[keep])}
        pool = np.unique(np.concatenate([cand, didx[keep].astype(np.int64)]))
        dense_pool = np.array([dense.get(int(i), 0.0) for i in pool], dtype=np.float32)
        missing = [j for j, i in enumerate(pool) if int(i) not in dense]
        if missing:  # candidates the dense top-m did not reach get their exact similarity
            dense_pool[missing] = self.vectors.reconstruct(pool[missing]) @ qvec[0]
        f32 = lambda a: np.asarray(a[pool], dtype=np.float32)
        return Candidates(pool.astype(np.int64), f32(lex), dense_pool, f32(c), f32(p))

    def _filtered(self, tokens: list[str], qvec: np.ndarray, m: int, where: Where, expansion: list[str] = (), expansion_weight: float = 0.0) -> Candidates:
        """As `candidates`, over the clauses that pass the filter only (scores scaled to the best of them)."""
        allowed = np.flatnonzero(clause_mask(self.corpus.clauses, self.corpus.docs, where))
        if len(allowed) == 0:
            return Candidates.empty()
        lx = self.lexical
        c_all, p_all = lx.raw("clauses", tokens), lx.raw("paragraphs", tokens)
        if expansion and expansion_weight:
            c_all = c_all + expansion_weight * lx.raw("clauses", list(expansion))
            p_all = p_all + expansion_weight * lx.raw("paragraphs", list(expansion))
        c, p = c_all[allowed], p_all[lx.para_of[allowed]]
        c = c / c.max() if c.max() > 0 else c
        p = p / p.max() if p.max() > 0 else p
        lex = c + lx.context_weight * p if lx.context_weight else c
        full = [np.zeros(len(self), dtype=np.float32) for _ in range(3)]
        for arr, part in zip(full, (c, p, lex)):
            arr[allowed] = part
        m = min(m, len(allowed))
        cand = allowed[np.argpartition(-lex, m - 1)[:m]] if m < len(allowed) else allowed
        dsim, didx = self.vectors.search(qvec, m, allowed)
        return self._pool(full[0], full[1], full[2], cand, dsim[0], didx[0], qvec)

    def term_stats(self) -> tuple[dict[str, int], np.ndarray, int]:
        """Clause-index vocabulary (term → column), document frequency per column, clause count."""
        return self.lexical.term_stats()

    def describe(self) -> dict:
        return {"backend": self.backend, **self.vectors.describe()}
