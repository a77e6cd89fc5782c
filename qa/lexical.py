"""Keyword search: BM25 (bm25s) over jieba words plus character bigrams, with synonyms.

Words carry meaning; bigrams keep a term jieba does not know findable ("留呼", "吃水难").
A clause is scored together with its paragraph and heading path (a second BM25 index over
paragraphs), so a question whose words are spread over a paragraph still reaches the clause.

Large corpora are tokenized by a pool of processes into int32 token ids (`TokenIds`), and
the BM25 arrays are computed from those ids with numpy in bm25s's own format and formulas
(`bm25_index`), so a million clauses never become a million Python lists of strings.
"""

from __future__ import annotations

import json
import math
import multiprocessing
import os
import re
from array import array
from dataclasses import dataclass
from functools import cache, cached_property
from importlib import resources
from pathlib import Path

import numpy as np

from .lexicon import Lexicon, read_table
from .timescope import JUST_REVIEWED, RELATIVE

_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
_YEARS = re.compile(r"(?:19|20)\d{2}年?")
_TOKEN_OK = re.compile(r"[\u4e00-\u9fffA-Za-z0-9]")
STOPWORDS = frozenset(
    """的 了 是 在 和 与 及 或 有 吗 呢 啊 吧 把 被 对 为 以 等 将 要 也 都 就 并 其 之 这 那 个 年 月 日
    什么 哪些 哪个 哪里 多少 怎么 怎样 如何 几 请问 一下 关于 方面 情况 是否 有没有 打算 目标 计划 今年 明年 去年
    主要 具体 我们 我市 全市 一个 一些 进行 工作 一共 总共 分别 还要 还能 能够 可以""".split()
) | frozenset(RELATIVE) | frozenset(JUST_REVIEWED)  # time words say when, which the time prior handles
# Words a question may carry that say nothing about which clause. A corpus's own place names
# (tagged ns in its lexicon.txt) join them for that corpus (Tokenizer.generic).
GENERIC = frozenset("市里 城里 政府 市政府 家里 家门口 全区 全市 全国 新的".split())


_MISSING = object()


@cache
def _joins(ch: str) -> bool:
    import jieba

    return bool(jieba.re_han_default.match(ch) or _CJK_RUN.match(ch))


def _data(name: str) -> str:
    return resources.files("qa").joinpath("data", name).read_text(encoding="utf-8")


def read_synonyms(text: str) -> list[tuple[str, tuple[str, ...]]]:
    """Parse the synonym table: `colloquial<TAB>doc words` lines; longest colloquial first."""
    return sorted(read_table(text, "synonyms"), key=lambda kv: -len(kv[0]))


class Tokenizer:
    """The project's own jieba tokenizer with the domain dictionary, plus CJK bigrams."""

    def __init__(self, userdict: str | None = None, synonyms: str | None = None, bigrams: bool = True, lexicon: str = "", thesaurus: bool = True):
        """`lexicon` is a corpus's own lexicon.txt: `word [freq [tag]]` lines for its names and
        slogans (a place name tagged ns), and `colloquial<TAB>document words` lines for what
        people call them; it adds to the general vocabulary in qa/data (qa.lexicon). `thesaurus`
        turns the Cilin synonyms on."""
        import jieba

        jieba.setLogLevel(60)
        self._jieba = jieba.Tokenizer()
        self._jieba.initialize()
        own_words = [line for line in lexicon.splitlines() if "\t" not in line]
        own_synonyms = "\n".join(line for line in lexicon.splitlines() if "\t" in line and not line.startswith("#"))
        places = set()
        for line in (userdict if userdict is not None else _data("userdict.txt")).splitlines() + own_words:
            parts = line.split()
            if parts and not parts[0].startswith("#"):
                self._jieba.add_word(parts[0], int(parts[1]) if len(parts) > 1 else None, parts[2] if len(parts) > 2 else None)
                if line in own_words and len(parts) > 2 and parts[2] == "ns":
                    places.add(parts[0])
        table = (synonyms if synonyms is not None else _data("synonyms.tsv")) + "\n" + own_synonyms
        self.lexicon = Lexicon.default(table, thesaurus=thesaurus)
        self.synonyms = self.lexicon.phrases  # (key, document words), longest key first
        # A phrase key is matched against whole words, so jieba must know it as one: "固投" in
        # "固投要涨多少" is cut off as a word, while 覆盖 stays one word and never yields 盖.
        for key, _ in self.synonyms:
            if len(key) > 1 and not self._jieba.FREQ.get(key):
                self._jieba.add_word(key)
        # The corpus's own places say nothing about which of its clauses a question means.
        self.places = frozenset(places)
        self.generic = GENERIC | places | {key for key, targets in self.synonyms if places & set(targets)}
        self.bigrams = bigrams
        self._score_words()

    def _score_words(self) -> None:
        """jieba's word scores, log(freq) - log(total), computed once after the domain words are in."""
        log_total = math.log(self._jieba.total)
        # every dictionary word and word prefix: a word's score, or None for a prefix only
        self._logp = {w: (math.log(f) - log_total if f else None) for w, f in self._jieba.FREQ.items()}
        self._unknown = math.log(1) - log_total  # what jieba scores a character it does not know

    def words(self, text: str) -> list[str]:
        """jieba's cut_for_search: each word, preceded by its 2- and 3-character dictionary words."""
        freq = self._jieba.FREQ
        out: list[str] = []
        for w in self.cut(text):
            n = len(w)
            if n > 2:
                out.extend(g for g in (w[i : i + 2] for i in range(n - 1)) if freq.get(g))
            if n > 3:
                out.extend(g for g in (w[i : i + 3] for i in range(n - 2)) if freq.get(g))
            out.append(w)
        ok = _TOKEN_OK.search
        return [w for w in out if ok(w)]

    def cut(self, text: str) -> list[str]:
        """jieba's cut(text) (accurate mode, with HMM): the same words, about twice as fast.

        Tokenizing is most of the time an index build takes. jieba builds a dict of every
        dictionary word starting at each position, then scores it in a second pass calling
        log() for each; `_cut_block` does both in one backward pass over precomputed scores.
        Tests hold it to jieba's own `cut` and `cut_for_search`.
        """
        import jieba

        out: list[str] = []
        for block in jieba.re_han_default.split(text):
            if not block:
                continue
            if jieba.re_han_default.match(block):
                out.extend(self._cut_block(block))
            else:  # jieba gives whitespace as it is and every other character alone
                for x in jieba.re_skip_default.split(block):
                    if jieba.re_skip_default.match(x):
                        out.append(x)
                    else:
                        out.extend(x)
        return out

    def _cut_block(self, sentence: str) -> list[str]:
        """jieba's __cut_DAG (get_DAG + calc + HMM for runs of unknown characters) on one block."""
        from jieba import finalseg

        logp = self._logp.get
        n = len(sentence)
        score = [0.0] * (n + 1)
        end = [0] * n
        for k in range(n - 1, -1, -1):
            # the best last character of a word starting at k; ties go to the longer word, as in
            # jieba's max() over (score, end) pairs
            best, best_end = None, k
            i, frag = k, sentence[k]
            while (p := logp(frag, _MISSING)) is not _MISSING:
                if p is not None:
                    s = p + score[i + 1]
                    if best is None or s >= best:
                        best, best_end = s, i
                i += 1
                if i == n:
                    break
                frag = sentence[k : i + 1]
            score[k], end[k] = (best, best_end) if best is not None else (self._unknown + score[k + 1], k)
        out: list[str] = []
        buf = ""
        x = 0
        while x < n:
            y = end[x] + 1
            if y - x == 1:
                buf += sentence[x]
            else:
                if buf:
                    out.extend(self._unknown_run(buf, finalseg))
                    buf = ""
                out.append(sentence[x:y])
            x = y
        if buf:
            out.extend(self._unknown_run(buf, finalseg))
        return out

    def _unknown_run(self, buf: str, finalseg) -> list[str]:
        """Single characters in a row: the HMM cuts them unless they form a dictionary word."""
        if len(buf) == 1:
            return [buf]
        if not self._jieba.FREQ.get(buf):
            return list(finalseg.cut(buf))
        return list(buf)

    def tokens(self, text: str) -> list[str]:
        """Index tokens of a passage: words, and bigrams marked with a leading '~'."""
        out = self.words(text)
        if self.bigrams:
            for run in _CJK_RUN.findall(text):
                out.extend("~" + run[i : i + 2] for i in range(len(run) - 1))
        return out

    def separable(self, left: str, right: str) -> bool:
        """Whether tokens(left + right) is tokens(left) plus tokens(right), as a multiset.

        jieba cuts inside runs of its word characters (CJK, letters, digits, a few signs) and
        bigrams come from runs of CJK: text meeting at a character outside both runs is cut
        apart the same way whole or in pieces.
        """
        return not (left and right and _joins(left[-1]) and _joins(right[0]))

    def query_words(self, text: str) -> list[str]:
        """jieba's words of a question, years taken out (they are the time prior's business)."""
        return self.cut(_YEARS.sub(" ", text))

    def synonym_matches(self, text: str) -> list[tuple[str, tuple[str, ...]]]:
        """Phrase-table entries whose key is a word, or a run of words, of the text (never a substring:
        覆盖 does not match 盖, 工业增加值 does not match 增加)."""
        return self.lexicon.phrase_matches(self.query_words(text), self._is_word)

    def _content(self, w: str) -> bool:
        return bool(_TOKEN_OK.search(w)) and w not in STOPWORDS and w not in self.generic and (len(w) > 1 or w.isdigit())

    def _is_word(self, w: str) -> bool:
        return bool(self._jieba.FREQ.get(w))

    def content_words(self, text: str) -> list[str]:
        """The question's words that say what it is about: no stop words, question words or years.

        A word jieba's HMM guessed stays whole (碳达峰, 营改增 are the terms asked about), except
        where a phrase key was read inside it ("能涨" holds the key 涨): then its characters.
        """
        words = self.query_words(text)
        keys = {k for k, _ in self.lexicon.phrase_matches(words, self._is_word)}
        out: list[str] = []
        for w in words:
            parts = self.lexicon.units([w], self._is_word)
            out.extend(parts if len(parts) > 1 and keys & set(parts) else [w])
        return [w for w in out if self._content(w)]

    def query_tokens(self, text: str) -> list[str]:
        """Tokens of a question: content words, their bigrams, and the words its synonyms stand for.

        Bigrams come from content words and pairs of adjacent ones, never from question words
        ("多少个" gives none), so a question's phrasing does not pull in unrelated clauses.
        """
        words = self.query_words(text)
        out: list[str] = []
        prev = ""
        for w in words:
            if not self._content(w):
                prev = ""
                continue
            out.extend(self.words(w))
            if self.bigrams:
                run = prev[-1:] + w if _CJK_RUN.fullmatch(prev[-1:] + w) else w
                out.extend("~" + run[i : i + 2] for i in range(len(run) - 1))
            prev = w
        for _, targets in self.lexicon.phrase_matches(words, self._is_word):
            for t in targets:
                out.extend(self.tokens(t))
        return list(dict.fromkeys(out))

    def expansion_tokens(self, text: str, own: list[str] | None = None) -> list[str]:
        """Tokens of the thesaurus synonyms of the question's content words, minus its own tokens.

        Retrieval scores these apart and weighs them below the question's own words.
        """
        own_set = set(own if own is not None else self.query_tokens(text))
        out: list[str] = []
        for w in dict.fromkeys(self.content_words(text)):
            for syn in self.lexicon.synonyms(w):
                out.extend(t for t in self.tokens(syn) if t not in own_set)
        return list(dict.fromkeys(out))




# ---------------------------------------------------------------------------------------
# Token ids: many texts' tokens as arrays, tokenized in parallel when there are many

PARALLEL_MIN = 20_000  # texts; below this a process pool's start-up costs more than it saves
CHUNK = 8192  # texts a worker tokenizes per task


@dataclass(frozen=True)
class TokenIds:
    """Tokens of many texts as ids: text i has ids[offsets[i]:offsets[i + 1]], terms in `vocab`."""

    ids: np.ndarray  # int32
    offsets: np.ndarray  # int64, len(texts) + 1
    vocab: dict[str, int]  # term -> id, ids numbered in order of first appearance

    def __len__(self) -> int:
        return len(self.offsets) - 1

    @cached_property
    def terms(self) -> list[str]:
        out = [""] * len(self.vocab)
        for t, i in self.vocab.items():
            out[i] = t
        return out

    def tokens(self, i: int) -> list[str]:
        terms = self.terms
        return [terms[j] for j in self.ids[self.offsets[i] : self.offsets[i + 1]].tolist()]

    def gather(self, rows: np.ndarray, group_offsets: np.ndarray, block: int = 65_536) -> TokenIds:
        """New texts, each the rows rows[group_offsets[g]:group_offsets[g + 1]] joined end to end."""
        rows = np.asarray(rows, dtype=np.int64)
        lengths = np.diff(self.offsets)[rows]
        ends = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum(lengths, out=ends[1:])
        out = np.empty(int(ends[-1]), dtype=np.int32)
        for s in range(0, len(rows), block):  # in blocks: the positions array stays small
            r, n = rows[s : s + block], lengths[s : s + block]
            run_start = ends[s : s + len(r)] - ends[s]
            pos = np.arange(int(n.sum()), dtype=np.int64) + np.repeat(self.offsets[r] - run_start, n)
            out[ends[s] : ends[s] + len(pos)] = self.ids[pos]
        return TokenIds(out, ends[np.asarray(group_offsets, dtype=np.int64)], self.vocab)

    @classmethod
    def from_lists(cls, tokens: list[list[str]]) -> TokenIds:
        terms, ids, lengths = _encode_lists(tokens)
        return _merge([(terms, ids, lengths)])


def _encode_lists(token_lists) -> tuple[list[str], np.ndarray, np.ndarray]:
    vocab: dict[str, int] = {}
    ids, lengths = array("i"), array("i")
    for toks in token_lists:
        ids.extend([vocab.setdefault(t, len(vocab)) for t in toks])
        lengths.append(len(toks))
    return list(vocab), np.frombuffer(ids, dtype=np.int32), np.frombuffer(lengths, dtype=np.int32)


def _merge(chunks) -> TokenIds:
    """One TokenIds from chunks encoded apart: local ids mapped onto one vocabulary, in order."""
    vocab: dict[str, int] = {}
    parts, lengths = [], []
    for terms, ids, lens in chunks:
        remap = np.fromiter((vocab.setdefault(t, len(vocab)) for t in terms), dtype=np.int32, count=len(terms))
        parts.append(remap[ids])
        lengths.append(lens)
    lens = np.concatenate(lengths) if lengths else np.zeros(0, np.int32)
    offsets = np.zeros(len(lens) + 1, dtype=np.int64)
    np.cumsum(lens, out=offsets[1:])
    return TokenIds(np.concatenate(parts) if parts else np.zeros(0, np.int32), offsets, vocab)


_WORK: tuple | None = None  # (tokenizer, texts), set before the pool forks so workers inherit it


def _worker_start() -> None:
    """In a pool worker: end with the parent, even when it is killed (Linux), not run on as an orphan."""
    try:
        import ctypes
        import signal

        ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _tokenize_chunk(bounds: tuple[int, int]):
    tokenizer, texts = _WORK
    return _encode_lists(tokenizer.tokens(t) for t in texts[bounds[0] : bounds[1]])


def default_workers(n_texts: int) -> int:
    """Processes for tokenizing n texts: one for small corpora, else one per usable core."""
    if n_texts < PARALLEL_MIN or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


class TokenJob:
    """Tokenizes texts into TokenIds, in a pool of forked processes when workers > 1.

    The pool starts at once and works while the caller does something else (the dense
    index); `result()` collects it. Serial and parallel give the very same TokenIds: chunks
    keep their order and ids are numbered by first appearance either way.
    """

    def __init__(self, tokenizer: Tokenizer, texts: list[str], workers: int | None = None, chunk: int = CHUNK):
        global _WORK
        self.tokenizer, self.texts = tokenizer, texts
        self.workers = default_workers(len(texts)) if workers is None else max(1, int(workers))
        self.bounds = [(i, min(i + chunk, len(texts))) for i in range(0, len(texts), chunk)]
        self._pool = self._pending = None
        if self.workers > 1 and len(self.bounds) > 1:
            _WORK = (tokenizer, texts)
            self._pool = multiprocessing.get_context("fork").Pool(min(self.workers, len(self.bounds)), _worker_start)
            self._pending = self._pool.map_async(_tokenize_chunk, self.bounds, chunksize=1)

    @property
    def parallel(self) -> bool:
        return self._pool is not None

    def result(self) -> TokenIds:
        if self._pool is None:
            return _merge(_encode_lists(self.tokenizer.tokens(t) for t in self.texts[a:b]) for a, b in self.bounds)
        try:
            chunks = self._pending.get()
        finally:
            self.close()
        return _merge(chunks)

    def close(self) -> None:
        global _WORK
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None
            _WORK = None

    def __enter__(self) -> TokenJob:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def tokenize(tokenizer: Tokenizer, texts: list[str], workers: int | None = None) -> TokenIds:
    """Index tokens of every text as TokenIds (in parallel for large lists)."""
    with TokenJob(tokenizer, texts, workers) as job:
        return job.result()


# ---------------------------------------------------------------------------------------
# BM25 arrays from token ids


def bm25_index(tokens: TokenIds, k1: float, b: float, block: int = 65_536):
    """A bm25s.BM25 (method 'lucene', its default) over TokenIds, computed with numpy.

    Same arrays as `bm25s.BM25.index` on the token strings, made without its Python loop
    over documents: each block of documents' (document, term) pairs is counted by one sort,
    the scores follow bm25s's formulas, and scipy turns the rows into bm25s's column order.
    """
    import bm25s
    from scipy.sparse import csr_matrix

    # Only the terms these texts use, so vocab_dict and document frequencies match bm25s's.
    used = np.flatnonzero(np.bincount(tokens.ids, minlength=len(tokens.vocab)))
    new_id = np.full(len(tokens.vocab), -1, dtype=np.int64)
    new_id[used] = np.arange(len(used))
    n_docs, n_vocab = len(tokens), len(used)
    lengths = np.diff(tokens.offsets)
    # (document, term, count) of every distinct pair, by document then term; at most one a token
    rows = np.empty(len(tokens.ids), dtype=np.int32)
    cols = np.empty(len(tokens.ids), dtype=np.int32)
    tfs = np.empty(len(tokens.ids), dtype=np.int32)
    nnz = 0
    for start in range(0, n_docs, block):  # in blocks: the sort's temporaries stay small
        stop = min(n_docs, start + block)
        ids = new_id[tokens.ids[tokens.offsets[start] : tokens.offsets[stop]]]
        ids += np.repeat(np.arange(stop - start, dtype=np.int64) * max(n_vocab, 1), lengths[start:stop])
        cell, tf = np.unique(ids, return_counts=True)
        d, t = np.divmod(cell, max(n_vocab, 1))
        rows[nnz : nnz + len(cell)] = d + start
        cols[nnz : nnz + len(cell)] = t
        tfs[nnz : nnz + len(cell)] = tf
        nnz += len(cell)
        del ids, cell, tf, d, t
    rows, cols, tfs = rows[:nnz], cols[:nnz], tfs[:nnz]
    df = np.bincount(cols, minlength=n_vocab)
    idf = np.zeros(n_vocab, dtype=np.float32)
    for d in np.unique(df):
        if d:
            idf[df == d] = math.log(1 + (n_docs - int(d) + 0.5) / (int(d) + 0.5))
    avg_len = lengths.mean() if n_docs else 0.0
    # The arithmetic follows bm25s.scoring step by step (float64, stored as float32), so the
    # scores come out bit for bit the same.
    data = np.empty(nnz, dtype=np.float32)
    for s in range(0, nnz, 1 << 22):
        sl = slice(s, s + (1 << 22))
        tf = tfs[sl].astype(np.float64)
        data[sl] = idf[cols[sl]].astype(np.float64) * (tf / (k1 * ((1 - b) + b * lengths[rows[sl]] / avg_len) + tf))
    index_type = np.int32 if nnz < 2**31 else np.int64  # int32 keeps scipy from widening the indices
    indptr = np.zeros(n_docs + 1, dtype=index_type)
    np.cumsum(np.bincount(rows, minlength=n_docs), out=indptr[1:])
    del rows, tfs
    csc = csr_matrix((data, cols, indptr), shape=(n_docs, n_vocab), copy=False).tocsc()  # by term, then document
    del data, cols, indptr
    bm = bm25s.BM25(k1=k1, b=b, method="lucene")
    bm.scores = {
        "data": csc.data.astype(np.float32, copy=False),
        "indices": csc.indices.astype(np.int32, copy=False),
        "indptr": csc.indptr.astype(np.int64),
        "num_docs": n_docs,
    }
    bm.nonoccurrence_array = None
    terms = tokens.terms
    bm.vocab_dict = {terms[i]: j for j, i in enumerate(used.tolist())}
    bm.vocab_dict.setdefault("", n_vocab)  # bm25s's empty token, as its index() adds it
    bm.unique_token_ids_set = set(bm.vocab_dict.values())
    return bm


class LexicalIndex:
    """Two BM25 indexes: clauses, and the paragraphs (with heading paths) they stand in."""

    def __init__(self, k1: float = 1.2, b: float = 0.75, context_weight: float = 0.6):
        self.k1, self.b, self.context_weight = k1, b, context_weight
        self.clauses = None
        self.paragraphs = None
        self.para_of: np.ndarray | None = None

    def build(self, clause_tokens: TokenIds | list[list[str]], para_tokens: TokenIds | list[list[str]], para_of) -> None:
        """Both BM25 indexes, from token ids (or token lists, for small inputs)."""
        if not isinstance(clause_tokens, TokenIds):
            clause_tokens = TokenIds.from_lists(clause_tokens)
        if not isinstance(para_tokens, TokenIds):
            para_tokens = TokenIds.from_lists(para_tokens)
        self.clauses = bm25_index(clause_tokens, self.k1, self.b)
        self.paragraphs = bm25_index(para_tokens, self.k1, self.b)
        self.para_of = np.asarray(para_of, dtype=np.int64)

    def scores(self, tokens: list[str], expansion: list[str] = (), expansion_weight: float = 0.0) -> np.ndarray:
        """Score of every clause: its BM25 plus its paragraph's, each scaled to the best one.

        `expansion` (thesaurus synonyms) is scored apart and added with `expansion_weight`, so a
        synonym counts less than the question's own word: BM25(own) + w * BM25(expansion).
        """
        c, p = self.parts(tokens, expansion, expansion_weight)
        return c + self.context_weight * p if self.context_weight else c

    def parts(self, tokens: list[str], expansion: list[str] = (), expansion_weight: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
        """(clause BM25, its paragraph's BM25) of every clause, each scaled to its best one."""
        n = len(self.para_of)
        n_para = int(self.para_of.max(initial=-1)) + 1
        c = self._scores(self.clauses, tokens, n)
        p = self._scores(self.paragraphs, tokens, n_para)
        if expansion and expansion_weight:
            c = c + expansion_weight * self._scores(self.clauses, list(expansion), n)
            p = p + expansion_weight * self._scores(self.paragraphs, list(expansion), n_para)
        c = c / c.max() if c.max() > 0 else c
        p = (p / p.max() if p.max() > 0 else p)[self.para_of]
        return c, p

    def raw_clause_scores(self, tokens: list[str]) -> np.ndarray:
        return self._scores(self.clauses, tokens, len(self.para_of))

    @staticmethod
    def _scores(bm25, tokens: list[str], n: int) -> np.ndarray:
        ids = bm25.get_tokens_ids(tokens)
        if not ids:
            return np.zeros(n, dtype=np.float32)
        return np.asarray(bm25.get_scores(ids), dtype=np.float32)

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.clauses.save(str(folder / "clauses"), show_progress=False)
        self.paragraphs.save(str(folder / "paragraphs"), show_progress=False)
        np.save(folder / "para_of.npy", self.para_of, allow_pickle=False)

    @classmethod
    def load(cls, folder: Path, k1: float, b: float, context_weight: float, mmap: bool = False) -> LexicalIndex:
        import bm25s

        self = cls(k1, b, context_weight)
        self.clauses = bm25s.BM25.load(str(folder / "clauses"), mmap=mmap, show_progress=False)
        self.paragraphs = bm25s.BM25.load(str(folder / "paragraphs"), mmap=mmap, show_progress=False)
        self.para_of = np.load(folder / "para_of.npy", allow_pickle=False)
        return self

    @cached_property
    def size(self) -> int:
        return len(self.para_of)


# ---------------------------------------------------------------------------------------
# Token ids kept with a local index


def save_tokens(folder: Path, clauses, paragraphs) -> None:
    """Clause and paragraph token ids (one vocabulary) for later incremental updates."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "terms.json").write_text(json.dumps(clauses.terms, ensure_ascii=False), encoding="utf-8")
    for name, t in (("clauses", clauses), ("paragraphs", paragraphs)):
        np.save(folder / f"{name}_ids.npy", t.ids, allow_pickle=False)
        np.save(folder / f"{name}_offsets.npy", t.offsets, allow_pickle=False)


def load_tokens(folder: Path):
    terms = json.loads((folder / "terms.json").read_text(encoding="utf-8"))
    vocab = {t: i for i, t in enumerate(terms)}
    out = []
    for name in ("clauses", "paragraphs"):
        out.append(TokenIds(np.load(folder / f"{name}_ids.npy"), np.load(folder / f"{name}_offsets.npy"), vocab))
    return out


def _rows(tokens, rows: np.ndarray):
    rows = np.asarray(rows, dtype=np.int64)
    return tokens.gather(rows, np.arange(len(rows) + 1, dtype=np.int64))


def concat(a, b):
    """TokenIds of a's texts then b's, in a's vocabulary extended by b's new terms."""
    vocab = dict(a.vocab)
    remap = np.fromiter((vocab.setdefault(t, len(vocab)) for t in b.terms), dtype=np.int32, count=len(b.vocab))
    ids = np.concatenate([a.ids, remap[b.ids] if len(b.ids) else np.zeros(0, np.int32)]).astype(np.int32)
    offsets = np.concatenate([a.offsets, a.offsets[-1] + b.offsets[1:]])
    return TokenIds(ids, offsets, vocab)
