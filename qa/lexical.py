"""Keyword search: BM25 (bm25s) over jieba words plus character bigrams, with synonyms.

Words carry meaning; bigrams keep a term jieba does not know findable ("留呼", "吃水难").
A clause is scored together with its paragraph and heading path (a second BM25 index over
paragraphs), so a question whose words are spread over a paragraph still reaches the clause.
"""

from __future__ import annotations

import re
from functools import cached_property
from importlib import resources
from pathlib import Path

import numpy as np

_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
_TOKEN_OK = re.compile(r"[\u4e00-\u9fffA-Za-z0-9]")
STOPWORDS = frozenset(
    """的 了 是 在 和 与 及 或 有 吗 呢 啊 吧 把 被 对 为 以 等 将 要 也 都 就 并 其 之 这 那 个 年 月 日
    什么 哪些 哪个 哪里 多少 怎么 怎样 如何 几 请问 一下 关于 方面 情况 是否 有没有 打算 目标 计划 今年 明年 去年
    主要 具体 我们 我市 全市 一个 一些 进行 工作 一共 总共 分别 还要 还能 能够 可以""".split()
)
# Words every question about these documents may carry that say nothing about which clause.
GENERIC = frozenset("呼和浩特 呼市 首府 市里 城里 政府 市政府 家里 家门口 全区 新的".split())


def _data(name: str) -> str:
    return resources.files("qa").joinpath("data", name).read_text(encoding="utf-8")


def read_synonyms(text: str) -> list[tuple[str, tuple[str, ...]]]:
    """Parse the synonym table: `colloquial<TAB>doc words` lines; longest colloquial first."""
    out = []
    for n, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, _, targets = line.partition("\t")
        if not targets.strip():
            raise ValueError(f"synonyms line {n}: expected 'word<TAB>words', got {line!r}")
        out.append((key.strip(), tuple(targets.split())))
    return sorted(out, key=lambda kv: -len(kv[0]))


class Tokenizer:
    """The project's own jieba tokenizer with the domain dictionary, plus CJK bigrams."""

    def __init__(self, userdict: str | None = None, synonyms: str | None = None, bigrams: bool = True):
        import jieba

        jieba.setLogLevel(60)
        self._jieba = jieba.Tokenizer()
        self._jieba.initialize()
        for line in (userdict if userdict is not None else _data("userdict.txt")).splitlines():
            parts = line.split()
            if parts and not parts[0].startswith("#"):
                self._jieba.add_word(parts[0], int(parts[1]) if len(parts) > 1 else None, parts[2] if len(parts) > 2 else None)
        self.synonyms = read_synonyms(synonyms if synonyms is not None else _data("synonyms.tsv"))
        self.bigrams = bigrams

    def words(self, text: str) -> list[str]:
        return [w for w in self._jieba.cut_for_search(text) if _TOKEN_OK.search(w)]

    def tokens(self, text: str) -> list[str]:
        """Index tokens of a passage: words, and bigrams marked with a leading '~'."""
        out = self.words(text)
        if self.bigrams:
            for run in _CJK_RUN.findall(text):
                out.extend("~" + run[i : i + 2] for i in range(len(run) - 1))
        return out

    def query_tokens(self, text: str) -> list[str]:
        """Tokens of a question: content words, their bigrams, and the words its synonyms stand for.

        Bigrams come from content words and pairs of adjacent ones, never from question words
        ("多少个" gives none), so a question's phrasing does not pull in unrelated clauses.
        """
        text = re.sub(r"(?:19|20)\d{2}年?", " ", text)
        expanded, rest = [], text
        for key, targets in self.synonyms:
            if key in rest:
                expanded.extend(targets)
                rest = rest.replace(key, " " + key + " ")
        out: list[str] = []
        prev = ""
        for w in self._jieba.cut(rest):
            keep = _TOKEN_OK.search(w) and w not in STOPWORDS and w not in GENERIC and (len(w) > 1 or w.isdigit())
            if not keep:
                prev = ""
                continue
            out.extend(self.words(w))
            if self.bigrams:
                run = prev[-1:] + w if _CJK_RUN.fullmatch(prev[-1:] + w) else w
                out.extend("~" + run[i : i + 2] for i in range(len(run) - 1))
            prev = w
        for t in expanded:
            out.extend(self.tokens(t))
        return list(dict.fromkeys(out))


class LexicalIndex:
    """Two BM25 indexes: clauses, and the paragraphs (with heading paths) they stand in."""

    def __init__(self, k1: float = 1.2, b: float = 0.75, context_weight: float = 0.6):
        self.k1, self.b, self.context_weight = k1, b, context_weight
        self.clauses = None
        self.paragraphs = None
        self.para_of: np.ndarray | None = None

    def build(self, clause_tokens: list[list[str]], para_tokens: list[list[str]], para_of: list[int]) -> None:
        import bm25s

        self.clauses = bm25s.BM25(k1=self.k1, b=self.b)
        self.clauses.index(clause_tokens, show_progress=False)
        self.paragraphs = bm25s.BM25(k1=self.k1, b=self.b)
        self.paragraphs.index(para_tokens, show_progress=False)
        self.para_of = np.asarray(para_of, dtype=np.int64)

    def scores(self, tokens: list[str]) -> np.ndarray:
        """Score of every clause: its BM25 plus its paragraph's, each scaled to the best one."""
        n = len(self.para_of)
        c = self._scores(self.clauses, tokens, n)
        p = self._scores(self.paragraphs, tokens, int(self.para_of.max(initial=-1)) + 1)
        out = c / c.max() if c.max() > 0 else c
        if self.context_weight and p.max() > 0:
            out = out + self.context_weight * (p / p.max())[self.para_of]
        return out

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
    def load(cls, folder: Path, k1: float, b: float, context_weight: float, mmap: bool = False) -> "LexicalIndex":
        import bm25s

        self = cls(k1, b, context_weight)
        self.clauses = bm25s.BM25.load(str(folder / "clauses"), mmap=mmap, show_progress=False)
        self.paragraphs = bm25s.BM25.load(str(folder / "paragraphs"), mmap=mmap, show_progress=False)
        self.para_of = np.load(folder / "para_of.npy", allow_pickle=False)
        return self

    @cached_property
    def size(self) -> int:
        return len(self.para_of)
