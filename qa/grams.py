"""Which clauses hold a character bigram: postings over every clause, for the sentence ranker.

The sentence ranker (qa.rerank) weighs a question's bigrams by how many clauses of the
candidate's document and paragraph hold them. Scanning those clauses for every question costs
about as much as the rest of a search; these postings answer the same counts with two binary
searches per bigram and document.

A clause holds what `qa.rerank._bigrams` finds in it: every two run characters side by side
(a run is CJK ideographs and ASCII letters and digits) and every run of one character. Both are
kept as one integer code: run characters are all below U+10000, so a bigram is
first * 65536 + second (at least 48 * 65536) and a lone character its code point (below 65536).
Built with numpy in slices of clauses when the ranker is made: at 1M clauses (30M clause-bigram
pairs) ~4 CPU-s, 120 MB kept (4 bytes a pair) and ~460 MB at most while building.
"""

from __future__ import annotations

import re

import numpy as np

_GRAM = re.compile(r"[\u4e00-\u9fffA-Za-z0-9]{1,2}")
_SLICE = 1 << 16  # clauses read at a time while building (bounds the build's working memory)


def _is_run(a: np.ndarray) -> np.ndarray:
    """The code points of _RUN's characters: [\\u4e00-\\u9fffA-Za-z0-9]."""
    return ((a >= 0x4E00) & (a <= 0x9FFF)) | ((a >= 0x41) & (a <= 0x5A)) | ((a >= 0x61) & (a <= 0x7A)) | ((a >= 0x30) & (a <= 0x39))


def gram_code(gram: str) -> int:
    """The code of a bigram of two run characters or of one run character; -1 for anything else."""
    if not _GRAM.fullmatch(gram):
        return -1
    return ord(gram[0]) * 65536 + ord(gram[1]) if len(gram) == 2 else ord(gram)


def _slice_keys(texts: list[str], first: int) -> np.ndarray:
    """Sorted distinct (code << 32 | clause) keys (unsigned: a code takes up to 32 bits) of the
    clauses first, first + 1, …"""
    lens = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    a = np.frombuffer("\n".join(texts).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    clause = np.repeat(np.arange(first, first + len(texts), dtype=np.uint64), lens + 1)[: len(a)]  # "\n" is no run character: no bigram crosses clauses
    run = _is_run(a)
    pairs = np.flatnonzero(run[:-1] & run[1:])
    alone = np.flatnonzero(run & ~np.concatenate(([False], run[:-1])) & ~np.concatenate((run[1:], [False])))
    codes = np.concatenate((a[pairs] * np.uint32(65536) + a[pairs + 1], a[alone]))  # run characters are below U+A000: fits
    key = (codes.astype(np.uint64) << np.uint64(32)) | np.concatenate((clause[pairs], clause[alone]))
    key.sort()  # (np.unique is many times slower on these keys)
    return key[np.concatenate(([True], key[1:] != key[:-1]))] if len(key) else key


class GramPostings:
    """For each bigram code, the sorted positions of the clauses holding it."""

    def __init__(self, texts):
        texts = list(texts)
        keys = [_slice_keys(texts[i : i + _SLICE], i) for i in range(0, len(texts), _SLICE)]
        key = np.concatenate(keys) if keys else np.zeros(0, dtype=np.uint64)
        del keys
        key.sort(kind="stable")  # sorted runs, one per slice: merged
        self.clauses = key.astype(np.uint32).view(np.int32)  # the low 32 bits
        key >>= np.uint64(32)
        codes = key.astype(np.uint32)
        del key
        heads = np.flatnonzero(np.concatenate(([True], codes[1:] != codes[:-1]))) if len(codes) else np.zeros(0, dtype=np.int64)
        self.codes = codes[heads]
        self.offsets = np.append(heads, len(codes)).astype(np.int64)

    @property
    def nbytes(self) -> int:
        return self.clauses.nbytes + self.codes.nbytes + self.offsets.nbytes

    def holding(self, gram: str) -> np.ndarray:
        """The positions of the clauses holding a gram (sorted)."""
        code = gram_code(gram)
        j = int(np.searchsorted(self.codes, code)) if code >= 0 else len(self.codes)
        if j == len(self.codes) or int(self.codes[j]) != code:
            return self.clauses[:0]
        return self.clauses[self.offsets[j] : self.offsets[j + 1]]

    def count(self, gram: str, a: int, b: int) -> int:
        """How many of the clauses at positions [a, b) hold the gram."""
        p = self.holding(gram)
        return int(np.searchsorted(p, b) - np.searchsorted(p, a))
