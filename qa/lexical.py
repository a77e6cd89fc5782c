"""Keyword search: BM25 (bm25s) over jieba words plus character bigrams, with synonyms.

Words carry meaning; bigrams keep a term jieba does not know findable ("留呼", "吃水难").
A clause is scored together with its paragraph and heading path (a second BM25 index over
paragraphs), so a question whose words are spread over a paragraph still reaches the clause.

Large corpora are tokenized by a pool of processes into int32 token ids (`TokenIds`), and
the BM25 postings are counted from those ids with numpy, so a million clauses never become a
million Python lists of strings. An index is stored as postings (rows and term counts by term,
row lengths: `Postings`), one set per segment, and `BM25` scores them with the statistics of
all segments' live rows, bit for bit as bm25s scores an index of those rows (`bm25_index`
makes bm25s's own object, for the tests that hold it to bm25s).
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

from .facts import BASE_UNITS
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
# Characters that stand alone in a question's grammar, read apart from a word jieba's HMM guessed
# (Tokenizer._reread): adverbs and modal verbs before a verb (多养 → 多 养: "more"), and modal
# verbs and particles after a subject (流量费要降 → 费 要 降).
_BEFORE_VERB = frozenset("多少再还更又也都就才要将")
_AFTER_SUBJECT = frozenset("要将的了吗呢吧啊")
_HOW_MANY = frozenset(("多少", "几"))


_MISSING = object()
_ASKED_UNITS = tuple(u for u in BASE_UNITS if _CJK_RUN.fullmatch(u))  # longest first: 平方米 before 米


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
        """jieba's words of a question, years taken out (they are the time prior's business), with
        the function characters jieba's HMM glued onto a guessed word read apart (`_reread`)."""
        return self._reread(self.cut(_YEARS.sub(" ", text)))

    def _reread(self, words: list[str]) -> list[str]:
        """A word jieba's HMM guessed (not a dictionary word) is read apart where it holds a
        character that stands alone in the sentence's grammar:

        - the unit asked, right after 多少/几 ("多少|头产奶" → 头 产奶): a measure word counts
          what follows, it is never the first character of the thing counted;
        - an adverb or modal verb before the verb it modifies, at the guess's start ("多养" → 多 养,
          as in 多养多少头: how many more) or its end ("流量费要|降" → 费 要).

        Dictionary words are never split: only a guess, which nothing but jieba's HMM joined, is.
        """
        out: list[str] = []
        for w in words:
            if len(w) < 2 or self._is_word(w) or not _CJK_RUN.fullmatch(w):
                out.append(w)
                continue
            unit = next((u for u in _ASKED_UNITS if w.startswith(u)), "") if out and out[-1] in _HOW_MANY else ""
            if unit and len(w) > len(unit):
                out.append(unit)
                out.extend(self._reread(self.cut(w[len(unit) :])))
            elif w[0] in _BEFORE_VERB:
                out.append(w[0])
                out.extend(self._reread(self.cut(w[1:])))
            elif w[-1] in _AFTER_SUBJECT:
                out.extend(self._reread(self.cut(w[:-1])))
                out.append(w[-1])
            else:
                out.append(w)
        return out

    def contractions(self, text: str) -> list[tuple[str, str, tuple[str, ...]]]:
        """(modifier, phrase, words) for each "X的Y" of a question, Y one character ending the
        phrase, with the dictionary words a character of X makes with Y: 产奶的牛 → 奶牛,
        旅游的人 → 游人 旅人, 工作的人 → 工人. Chinese names a kind by its distinguishing
        character and the head; a question spells it out, a document uses the word. Only a
        word the documents hold can count (`Planner.concepts`; retrieval finds no other), so a
        possessive "X的Y" (朝代的人 → 代人) finds nothing where the documents do not use it.
        """
        words = self.query_words(text)
        out = []
        for i in range(1, len(words) - 1):
            x, de, y = words[i - 1], words[i], words[i + 1]
            if de != "的" or len(y) != 1 or not _CJK_RUN.fullmatch(y) or y in STOPWORDS or not self._is_word(y):
                continue
            after = words[i + 2] if i + 2 < len(words) else ""
            if _CJK_RUN.fullmatch(after) and after not in STOPWORDS:
                continue  # the phrase runs on (…的主唱歌曲, …的面叫): Y is not its head
            if len(x) < 2 or not _CJK_RUN.fullmatch(x) or not self._content(x):
                continue
            found = tuple(dict.fromkeys(c + y for c in x if self._is_word(c + y) and self._content(c + y)))
            if found:
                out.append((x, x + de + y, found))
        return out

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
        for _, _, found in self.contractions(text):  # the words only: a bigram of 代人 is in 时代人物
            out.extend(found)
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
# BM25 over segments of postings


@dataclass
class Postings:
    """One segment's BM25 inputs, by term: the rows holding each term and how often, and each row's length.

    Scores are not stored: a BM25 score depends on the whole index's row count, average
    length and document frequencies, which change when an update adds a segment or deletes
    rows. `BM25` computes them at query time from these arrays, as Lucene does.
    """

    terms: dict[str, int]  # term -> column
    indptr: np.ndarray  # int64, len(terms) + 1: column c holds postings indptr[c]:indptr[c + 1]
    rows: np.ndarray  # int32, ascending within a column
    tf: np.ndarray  # int32
    lengths: np.ndarray  # int32, tokens per row

    def __len__(self) -> int:
        return len(self.lengths)

    @classmethod
    def from_tokens(cls, tokens: TokenIds, block: int = 65_536) -> Postings:
        """Counted without a Python loop over rows: each block's (row, term) pairs by one sort."""
        from scipy.sparse import csr_matrix

        # only the terms these texts use, so document frequencies and the vocabulary match bm25s's
        used = np.flatnonzero(np.bincount(tokens.ids, minlength=len(tokens.vocab)))
        new_id = np.full(len(tokens.vocab), -1, dtype=np.int64)
        new_id[used] = np.arange(len(used))
        n_docs, n_vocab = len(tokens), len(used)
        lengths = np.diff(tokens.offsets)
        cols = np.empty(len(tokens.ids), dtype=np.int32)
        tfs = np.empty(len(tokens.ids), dtype=np.int32)
        per_row = np.zeros(n_docs, dtype=np.int64)
        nnz = 0
        for start in range(0, n_docs, block):  # in blocks: the sort's temporaries stay small
            stop = min(n_docs, start + block)
            ids = new_id[tokens.ids[tokens.offsets[start] : tokens.offsets[stop]]]
            ids += np.repeat(np.arange(stop - start, dtype=np.int64) * max(n_vocab, 1), lengths[start:stop])
            cell, tf = np.unique(ids, return_counts=True)
            d, t = np.divmod(cell, max(n_vocab, 1))
            per_row[start:stop] = np.bincount(d, minlength=stop - start)
            cols[nnz : nnz + len(cell)] = t
            tfs[nnz : nnz + len(cell)] = tf
            nnz += len(cell)
            del ids, cell, tf, d, t
        index_type = np.int32 if nnz < 2**31 else np.int64
        indptr = np.zeros(n_docs + 1, dtype=index_type)
        np.cumsum(per_row, out=indptr[1:])
        csc = csr_matrix((tfs[:nnz], cols[:nnz], indptr), shape=(n_docs, n_vocab), copy=False).tocsc()  # by term, then row
        del cols, tfs
        terms = tokens.terms
        return cls(
            {terms[i]: j for j, i in enumerate(used.tolist())},
            csc.indptr.astype(np.int64),
            csc.indices.astype(np.int32, copy=False),
            csc.data.astype(np.int32, copy=False),
            lengths.astype(np.int32),
        )

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        terms = [""] * len(self.terms)
        for t, c in self.terms.items():
            terms[c] = t
        (folder / "terms.json").write_text(json.dumps(terms, ensure_ascii=False), encoding="utf-8")
        for name in ("indptr", "rows", "tf", "lengths"):
            np.save(folder / f"{name}.npy", getattr(self, name), allow_pickle=False)

    @classmethod
    def load(cls, folder: Path, mmap: bool = False) -> Postings:
        terms = json.loads((folder / "terms.json").read_text(encoding="utf-8"))
        arrays = [np.load(folder / f"{name}.npy", mmap_mode="r" if mmap else None, allow_pickle=False) for name in ("indptr", "rows", "tf", "lengths")]
        self = cls({t: c for c, t in enumerate(terms)}, *arrays)
        if len(self.indptr) != len(terms) + 1 or len(self.rows) != len(self.tf) or int(self.indptr[-1]) != len(self.rows):
            raise ValueError(f"postings in {folder} do not match their vocabulary")
        return self


class BM25:
    """BM25 (bm25s's "lucene" variant and arithmetic) over segments of postings, some rows deleted.

    Row count, average length and document frequencies are those of the live rows of all the
    segments together, so a row's score is bit for bit the one an index built over the live
    rows alone gives it (bm25s's float64 formula stored as float32, summed over the query's
    tokens in order in float32). Rows are numbered through the segments in order.
    """

    def __init__(self, segments: list[Postings], k1: float, b: float, dead: np.ndarray | None = None):
        self.segments, self.k1, self.b = segments, k1, b
        self.offsets = np.cumsum([0] + [len(s) for s in segments]).astype(np.int64)
        self.total = int(self.offsets[-1])
        dead = np.unique(np.asarray(dead if dead is not None else (), dtype=np.int64))
        self.n = self.total - len(dead)
        self.df, total_len = [], 0
        for k, s in enumerate(segments):
            df = np.diff(np.asarray(s.indptr)).astype(np.int64)
            local = dead[(dead >= self.offsets[k]) & (dead < self.offsets[k + 1])] - self.offsets[k]
            total_len += int(np.asarray(s.lengths, dtype=np.int64).sum()) - int(np.asarray(s.lengths)[local].sum())
            if len(local):  # a deleted row no longer counts in its terms' document frequencies
                gone = np.zeros(len(s), dtype=bool)
                gone[local] = True
                hit = np.flatnonzero(gone[s.rows])
                df -= np.bincount(np.searchsorted(s.indptr, hit, side="right") - 1, minlength=len(df))
            self.df.append(df)
        avg = total_len / self.n if self.n else 1.0  # as numpy's mean of the lengths: exact integer sum, one division
        # the length part of each row's denominator, in bm25s's order of operations
        self.norm = [k1 * ((1 - b) + b * np.asarray(s.lengths, dtype=np.int64) / avg) for s in segments]
        self.idf = self._idf()
        self.data = [self._data(k) for k in range(len(segments))]

    def _idf(self) -> list[np.ndarray]:
        """float32 idf of each segment's terms, from the document frequencies over all segments."""
        if len(self.segments) == 1:
            total = [self.df[0]]
        else:
            vocab: dict[str, int] = {}
            cols = [np.fromiter((vocab.setdefault(t, len(vocab)) for t in s.terms), dtype=np.int64, count=len(s.terms)) for s in self.segments]
            df = np.zeros(len(vocab), dtype=np.int64)
            for c, d in zip(cols, self.df):
                np.add.at(df, c, d)
            total = [df[c] for c in cols]
        out = []
        for df in total:
            idf = np.zeros(len(df), dtype=np.float32)
            for d in np.unique(df):  # bm25s's loop: one log per distinct frequency
                if d:
                    idf[df == d] = math.log(1 + (self.n - int(d) + 0.5) / (int(d) + 0.5))
            out.append(idf)
        return out

    def _data(self, k: int, block: int = 1 << 22) -> np.ndarray:
        """Each posting's score as bm25s stores it: float64 arithmetic, kept as float32.

        Computed when the index is read, from the statistics of all segments; a query then only
        adds these up, as bm25s does.
        """
        s, idf, norm = self.segments[k], self.idf[k], self.norm[k]
        indptr = np.asarray(s.indptr)
        out = np.empty(len(s.rows), dtype=np.float32)
        for a in range(0, len(s.rows), block):  # in blocks: the temporaries stay small
            z = min(a + block, len(s.rows))
            c0, c1 = (int(np.searchsorted(indptr, x, side="right")) - 1 for x in (a, z - 1))
            cols = np.repeat(np.arange(c0, c1 + 1), np.diff(np.clip(indptr[c0 : c1 + 2], a, z)))
            tf = np.asarray(s.tf[a:z], dtype=np.float64)
            out[a:z] = idf[cols].astype(np.float64) * (tf / (norm[np.asarray(s.rows[a:z])] + tf))
        return out

    def doc_freq(self, term: str) -> int:
        return sum(int(self.df[k][c]) for k, s in enumerate(self.segments) if (c := s.terms.get(term)) is not None)

    def scores(self, tokens: list[str]) -> np.ndarray:
        """Score of every row (deleted ones included: the caller keeps the live rows), summed
        over the tokens in order in float32, as bm25s sums them."""
        out = np.zeros(self.total, dtype=np.float32)
        for t in tokens:
            for k, s in enumerate(self.segments):
                c = s.terms.get(t)
                if c is not None:
                    a, z = int(s.indptr[c]), int(s.indptr[c + 1])
                    out[self.offsets[k] + np.asarray(s.rows[a:z])] += self.data[k][a:z]
        return out


class LexicalIndex:
    """Two BM25 indexes: clauses, and the paragraphs (with heading paths) they stand in.

    Each may be made of segments (the build's, then one per incremental update) with deleted
    rows; scores are over the live clauses in order (the corpus's positions), and `para_of`
    maps each to its live paragraph.
    """

    def __init__(self, k1: float = 1.2, b: float = 0.75, context_weight: float = 0.6):
        self.k1, self.b, self.context_weight = k1, b, context_weight
        self.clauses: BM25 | None = None
        self.paragraphs: BM25 | None = None
        self.para_of: np.ndarray | None = None
        self._rows = self._paras = None  # live rows of each, when some are deleted

    def build(self, clause_tokens: TokenIds | list[list[str]], para_tokens: TokenIds | list[list[str]], para_of) -> None:
        """One segment, from token ids (or token lists, for small inputs)."""
        if not isinstance(clause_tokens, TokenIds):
            clause_tokens = TokenIds.from_lists(clause_tokens)
        if not isinstance(para_tokens, TokenIds):
            para_tokens = TokenIds.from_lists(para_tokens)
        self.set_segments([Postings.from_tokens(clause_tokens)], [Postings.from_tokens(para_tokens)], [para_of])

    def set_segments(self, clauses: list[Postings], paragraphs: list[Postings], para_ofs: list, order=None) -> None:
        """Segments in order, each with its clauses' paragraph numbers (rows are numbered through
        the segments). `order`: the live rows in the corpus's order (default: every row, in row
        order); a row not in it is deleted, and so is a paragraph with no live row."""
        p_off = np.cumsum([0] + [len(p) for p in paragraphs])
        para_of = np.concatenate([np.asarray(po, dtype=np.int64) + p_off[k] for k, po in enumerate(para_ofs)]) if para_ofs else np.zeros(0, np.int64)
        total, n_para = len(para_of), int(p_off[-1])
        rows = np.arange(total) if order is None else np.asarray(order, dtype=np.int64)
        by_position = para_of[rows]
        first, at = np.unique(by_position, return_index=True)
        paras = first[np.argsort(at, kind="stable")]  # live paragraphs, numbered as the corpus meets them
        self.clauses = BM25(clauses, self.k1, self.b, np.setdiff1d(np.arange(total), rows))
        self.paragraphs = BM25(paragraphs, self.k1, self.b, np.setdiff1d(np.arange(n_para), paras))
        if len(rows) == total and len(paras) == n_para and np.array_equal(rows, np.arange(total)) and np.array_equal(paras, np.arange(n_para)):
            self.para_of, self._rows, self._paras = para_of, None, None
        else:
            remap = np.full(n_para, -1, dtype=np.int64)
            remap[paras] = np.arange(len(paras))
            self.para_of, self._rows, self._paras = remap[by_position], rows, paras

    def raw(self, which: str, tokens: list[str]) -> np.ndarray:
        """Unscaled BM25 of every live clause ("clauses") or live paragraph ("paragraphs")."""
        bm, live = (self.clauses, self._rows) if which == "clauses" else (self.paragraphs, self._paras)
        s = bm.scores(list(tokens))
        return s if live is None else s[live]

    def scores(self, tokens: list[str], expansion: list[str] = (), expansion_weight: float = 0.0) -> np.ndarray:
        """Score of every clause: its BM25 plus its paragraph's, each scaled to the best one.

        `expansion` (thesaurus synonyms) is scored apart and added with `expansion_weight`, so a
        synonym counts less than the question's own word: BM25(own) + w * BM25(expansion).
        """
        c, p = self.parts(tokens, expansion, expansion_weight)
        return c + self.context_weight * p if self.context_weight else c

    def parts(self, tokens: list[str], expansion: list[str] = (), expansion_weight: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
        """(clause BM25, its paragraph's BM25) of every clause, each scaled to its best one."""
        c = self.raw("clauses", tokens)
        p = self.raw("paragraphs", tokens)
        if expansion and expansion_weight:
            c = c + expansion_weight * self.raw("clauses", expansion)
            p = p + expansion_weight * self.raw("paragraphs", expansion)
        c = c / c.max() if c.max() > 0 else c
        p = (p / p.max() if p.max() > 0 else p)[self.para_of]
        return c, p

    def raw_clause_scores(self, tokens: list[str]) -> np.ndarray:
        return self.raw("clauses", tokens)

    @cached_property
    def _term_stats(self) -> tuple[dict[str, int], np.ndarray, int]:
        segs, dfs = self.clauses.segments, self.clauses.df
        if len(segs) == 1:
            return segs[0].terms, dfs[0], self.clauses.n
        vocab = dict(segs[0].terms)
        parts = [(np.arange(len(dfs[0])), dfs[0])]
        for s, df in zip(segs[1:], dfs[1:]):
            parts.append((np.fromiter((vocab.setdefault(t, len(vocab)) for t in s.terms), dtype=np.int64, count=len(s.terms)), df))
        out = np.zeros(len(vocab), dtype=np.int64)
        for cols, df in parts:
            np.add.at(out, cols, df)
        return vocab, out, self.clauses.n

    def term_stats(self) -> tuple[dict[str, int], np.ndarray, int]:
        """Clause vocabulary (term → column), live document frequency per column, live clause count."""
        return self._term_stats

    def save(self, folder: Path) -> None:
        """One segment's files (a built index, or an update's new segment)."""
        if len(self.clauses.segments) != 1 or self._rows is not None:
            raise ValueError("only a single segment without deleted rows is saved")
        self.clauses.segments[0].save(folder / "clauses")
        self.paragraphs.segments[0].save(folder / "paragraphs")
        np.save(folder / "para_of.npy", self.para_of, allow_pickle=False)

    @classmethod
    def load(cls, folders, k1: float, b: float, context_weight: float, order=None, mmap: bool = False) -> LexicalIndex:
        """The segments saved in `folders` (one folder or a list, in order); `order` as in set_segments."""
        folders = [Path(folders)] if isinstance(folders, (str, Path)) else [Path(f) for f in folders]
        self = cls(k1, b, context_weight)
        self.set_segments(
            [Postings.load(f / "clauses", mmap) for f in folders],
            [Postings.load(f / "paragraphs", mmap) for f in folders],
            [np.load(f / "para_of.npy", allow_pickle=False) for f in folders],
            order,
        )
        return self

    @property
    def size(self) -> int:
        return len(self.para_of)


def bm25_index(tokens: TokenIds, k1: float, b: float, block: int = 65_536):
    """A bm25s.BM25 (method "lucene") over TokenIds, its score arrays computed with numpy.

    The reference `BM25` is held to: the same arrays as `bm25s.BM25.index` on the token
    strings, made without its Python loop over documents.
    """
    import bm25s

    p = Postings.from_tokens(tokens, block)
    scorer = BM25([p], k1, b)
    col = np.repeat(np.arange(len(p.terms)), np.diff(p.indptr))
    idf = np.zeros(len(p.terms), dtype=np.float32)
    for d in np.unique(scorer.df[0]):
        idf[scorer.df[0] == d] = math.log(1 + (scorer.n - int(d) + 0.5) / (int(d) + 0.5))
    tf = p.tf.astype(np.float64)
    bm = bm25s.BM25(k1=k1, b=b, method="lucene")
    bm.scores = {
        "data": (idf[col].astype(np.float64) * (tf / (scorer.norm[0][p.rows] + tf))).astype(np.float32),
        "indices": p.rows,
        "indptr": p.indptr,
        "num_docs": len(p),
    }
    bm.nonoccurrence_array = None
    bm.vocab_dict = dict(p.terms)
    bm.vocab_dict.setdefault("", len(p.terms))  # bm25s's empty token, as its index() adds it
    bm.unique_token_ids_set = set(bm.vocab_dict.values())
    return bm


def _rows(tokens, rows: np.ndarray):
    rows = np.asarray(rows, dtype=np.int64)
    return tokens.gather(rows, np.arange(len(rows) + 1, dtype=np.int64))
