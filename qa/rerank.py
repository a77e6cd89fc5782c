"""Sentence selection: rerank the leading candidates by what a person reading them would check.

Keyword and dense scores find the right paragraph far more often than the right sentence in it
(a question's words are spread over the paragraph; the answer sentence holds few of them). The
ranker looks again at the first `depth` candidates with features a reader uses:

- the fused retrieval score, its keyword (clause, paragraph) and dense parts, the rank, and the
  time prior once more on its own (CMRC has no dates to learn its weight from, so it is given
  the fused score's weight: a year or plan/result mismatch keeps the weight it has in fusion);
- how much of the question (idf-weighted) the clause holds, and its window (previous, it, next);
- answer type: a question asking 多少/几 wants a quantity, 哪一年/何时 a date, 谁 a person,
  哪里 a place, 为什么 a reason — does the clause hold one the question does not already name?
- whether the clause says anything beyond the question's words, its length, first in paragraph;
- the question's words again without those of the document's title, in the clause, its window
  and its sentence: the title names the topic, which the sentence holding the answer often leaves
  out (它…, 本鱼…, 体长可达…), while the sentence that introduces the topic repeats it.

The score is a weighted sum with weights fitted on CMRC 2018 trial questions (listwise softmax,
`python -m qa.cmrc FILE --fit`), stored as plain JSON in qa/data/sentence_ranker.json. The
Retriever applies it by default to questions that set no time frame and name no document
(`Retriever.reranks`).
An optional neural reranker (a local cross-encoder or sentence-transformers model) adds its
scaled score on top.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np

from .facts import BASE_UNITS
from .grams import GramPostings
from .measure import lcs

FEATURES = (
    "fused",
    "time",
    "clause_lex",
    "para_lex",
    "best_paragraph",
    "dense",
    "reciprocal_rank",
    "cover",
    "cover_window",
    "local",
    "local_window",
    "local_sentence",
    "local_paragraph",
    "pronoun_start",
    "common_run",
    "type_match",
    "type_miss",
    "figure",
    "definition",
    "listing",
    "purpose",
    "novelty",
    "first_in_paragraph",
    "log_length",
    "aside_title",
    "aside_title_window",
    "aside_title_sentence",
    "names_title",
)

_NUMBER_Q = re.compile(r"多少|几[个名位人岁倍种项座家所条只头部本届次场年天月周级层公米千万亿]|多[大高长重远久宽深厚]|第几|几成|百分之几|什么数")
_DATE_Q = re.compile(r"哪一?年|何年|哪一?天|何时|什么时候|什么时间|几月|几号|哪个时期|什么时期|哪个朝代|什么朝代|哪个世纪|什么年代|多久以前|哪一日")
_PERSON_Q = re.compile(r"谁|哪一?位|何人|什么人|哪个人|哪些人")
_PLACE_Q = re.compile(r"哪里|哪儿|何处|何地|什么地方|哪个地方|哪个国家|哪国|哪座城市|哪个城市|哪个省|在哪|哪个地区|位于")
_WHY_Q = re.compile(r"为什么|为何|原因|怎么会|何故|为啥")
_NUMBER = re.compile(r"[0-9０-９]+(?:[.．][0-9]+)?|[零〇一二两三四五六七八九十百千万亿]+(?=[个名位人岁倍种项座家所条只头部本届次场年天月周级层米公里元吨亩%％余多])")
_DATE = re.compile(r"[0-9０-９]{1,4}年|[0-9０-９]{1,2}月|[0-9０-９]{1,2}日|[零〇一二三四五六七八九十]{2,4}年|[一二三四五六七八九十]{1,3}月|世纪|年代|年间|时期|朝|初年|末年|年初|年底")
_WHY = re.compile(r"因为|由于|所以|因此|为了|原因|导致|以便|使得|因而|从而|故")
# "什么是X" / "X是什么" / "X的定义" / "X指什么": the answer defines X, in a clause that begins with it
_DEFINE_Q = re.compile(r"^(?:请问)?(?:什么是|何谓|何为)[“\"「]?(?P<a>[^？?，,]{1,20}?)[”\"」]?[？?]?$|^(?P<b>[^？?，,]{1,20}?)(?:的定义是什么|是什么意思|指的是什么|是指什么|指什么|是什么)[？?]?$")
_DEFINES = re.compile(r"^.{0,3}(?:[（(][^）)]*[)）])?[，,]?(?:是|指|为|乃|即|，是|,是)")
_LIST_Q = re.compile(r"哪些|哪几")
_LISTING = re.compile(r"[、；]|以及|等[。，；]?$|等人|等地")
_PURPOSE_Q = re.compile(r"作用|用途|目的|功能|功效|用来|干什么|用处")
_PURPOSE = re.compile(r"用来|用于|用作|作为|为了|以便|可以|能够|可用|具有|起到")
_CJK_OR_ALNUM = re.compile(r"[\u4e00-\u9fffA-Za-z0-9]")
_UNIT_Q = re.compile(
    r"(?:多少|几)(?:万|亿)?("
    + "|".join(sorted({re.escape(u) for u in BASE_UNITS if u not in ("个", "年", "％", "%")} | {"厘米", "英尺", "英里", "公分", "美元", "集"}, key=len, reverse=True))
    + ")"
)
_PEOPLE = ("人", "名", "人次", "位")
_SAME_UNIT = {u: _PEOPLE for u in _PEOPLE}
_PRONOUN = re.compile(r"^(?:<[^>]*>)?(?:它|他|她|牠|其|该|此|这)")
# Question words and particles: the words a question is made of, not what it is about.
_ASKING = re.compile(
    r"什么|哪些|哪个|哪一|哪里|哪儿|哪位|哪年|哪国|多少|多[大高长重远久宽深厚]|为什么|为何|怎么|怎样|如何|何时|何地|何人|是否|有没有|请问|"
    r"[谁几吗呢吧啊是的了有在和与及或被把对为以之其这那个么哪何]"
)
TAGGED_KEPT = 50_000  # texts whose part-of-speech tags the ranker keeps
_RUN = re.compile(r"[\u4e00-\u9fffA-Za-z0-9]+")
# Words that name the document asked about, not what is asked in it ("二十大报告说…", "公报提出…"):
# rare in the document's own text, they would pull in the one sentence that names it.
_DOC_NAMING = re.compile(r"(?:第?[一二三四五六七八九十]+(?:次全国代表)?大|政府工作|全会|党代会)(?:的|上的)?报告|[一二三四五六七八九十]+大|政府工作报告|工作报告|公报|全会|报告")


def _bigrams(text: str) -> set[str]:
    return {r[i : i + 2] for r in _RUN.findall(text) for i in range(len(r) - 1)} | {r for r in _RUN.findall(text) if len(r) == 1}


def question_bigrams(question: str) -> set[str]:
    """Character bigrams of what a question is about (question words, particles and words that
    name the document cut out)."""
    return _bigrams(_ASKING.sub(" ", _DOC_NAMING.sub(" ", question)))


def question_type(question: str) -> str | None:
    """What kind of answer the question asks for: date, number, person, place, reason or None."""
    if _DATE_Q.search(question):
        return "date"
    if _NUMBER_Q.search(question):
        return "number"
    if _PERSON_Q.search(question):
        return "person"
    if _PLACE_Q.search(question):
        return "place"
    if _WHY_Q.search(question):
        return "reason"
    return None


def _holds_number(text: str, q_numbers: set[str], unit: str = "") -> bool:
    """Whether the text holds a number the question does not name, in the asked unit when it names one."""
    if unit:  # 多少厘米 asks for 厘米; 多少人 is answered in 名 or 人次 as well
        units = "|".join(map(re.escape, _SAME_UNIT.get(unit, (unit,))))
        return any(m.group(1) not in q_numbers for m in re.finditer(r"([0-9０-９.．]+|[零〇一二两三四五六七八九十百千万亿]+)[万亿]?(?:" + units + ")", text))
    return any(n not in q_numbers for n in _NUMBER.findall(text))


def answers_number(question: str, text: str) -> bool:
    """Whether the question asks for a number (多少, 几个, 第几 …) and the text holds one it does not
    name itself, in the unit asked for when it names one (多少公分 → 80公分)."""
    if question_type(question) != "number":
        return False
    u = _UNIT_Q.search(question)
    return _holds_number(text, set(_NUMBER.findall(question)), u.group(1) if u else "")


@dataclass(frozen=True)
class Weights:
    """A linear ranker: one weight per feature, and where the weights came from."""

    weights: tuple[float, ...]
    depth: int = 30
    source: str = ""

    @classmethod
    def load(cls, path: Path | None = None) -> Weights:
        text = Path(path).read_text(encoding="utf-8") if path else resources.files("qa").joinpath("data", "sentence_ranker.json").read_text(encoding="utf-8")
        data = json.loads(text)
        if tuple(data.get("features", ())) != FEATURES:
            raise ValueError(f"sentence ranker weights are for features {data.get('features')}, expected {list(FEATURES)}")
        return cls(tuple(float(data["weights"][f]) for f in FEATURES), int(data.get("depth", 30)), str(data.get("source", "")))

    def to_dict(self, **extra) -> dict:
        return {"features": list(FEATURES), "weights": dict(zip(FEATURES, self.weights)), "depth": self.depth, "source": self.source, **extra}


@lru_cache(maxsize=1)
def default_weights() -> Weights:
    return Weights.load()


def _gram_postings(corpus) -> tuple[GramPostings, np.ndarray]:
    """The bigram postings of a corpus's clauses and each clause's paragraph (Corpus.derived)."""
    clauses = corpus.clauses
    return GramPostings(c.text for c in clauses), np.fromiter((c.para for c in clauses), dtype=np.int64, count=len(clauses))


class SentenceRanker:
    """features(...) and rank(...) over a retriever's leading candidates."""

    def __init__(self, index, weights: Weights | None = None):
        self.index = index
        self.weights = weights or default_weights()
        self.clauses = index.corpus.clauses
        self.position = index.corpus.position
        self._vocab, self._df, self._n = index.store.term_stats()  # the local postings or Milvus statistics
        self._pos = None
        self._doc_range: dict[str, tuple[int, int]] | None = None
        self._titles: dict[str, set[str]] = {}
        self._tags: dict[str, tuple[tuple[str, str], ...]] = {}
        # Which clauses hold each bigram (qa.grams) and each clause's paragraph: read when the first
        # ranker of a corpus is made (at 1M clauses ~4 s and 120 MB), not at the first question it
        # reorders, and kept with the corpus, so that every ranker over it (the app's answerer and
        # auditor each have one) shares them.
        self._grams, self._paras = index.corpus.derived(_gram_postings)

    def idf(self, word: str) -> float:
        j = self._vocab.get(word)
        return math.log((self._n + 1) / ((self._df[j] if j is not None else 0) + 0.5))

    def _posseg(self):
        if self._pos is None:
            import jieba.posseg

            self._pos = jieba.posseg.POSTokenizer(self.index.tokenizer._jieba)
        return self._pos

    def _names(self, text: str, flags: tuple[str, ...]) -> list[str]:
        return [w for w, f in self._tagged(text) if f.startswith(flags) and len(w) > 1]

    def _tagged(self, text: str) -> tuple[tuple[str, str], ...]:
        """(word, part of speech) of a text, kept on the ranker (a cache on the method would keep
        every ranker and its index alive after the index is replaced)."""
        got = self._tags.get(text)
        if got is None:
            if len(self._tags) >= TAGGED_KEPT:
                self._tags.clear()
            got = self._tags[text] = tuple((w, f) for w, f in self._posseg().lcut(text))
        return got

    def _range(self, doc_id: str) -> tuple[int, int]:
        """The positions [a, b) of a document's clauses."""
        if self._doc_range is None:
            self._doc_range = {}
            for i, c in enumerate(self.clauses):
                a, _ = self._doc_range.get(c.doc_id, (i, i))
                self._doc_range[c.doc_id] = (a, i + 1)
        return self._doc_range[doc_id]

    def _gram_stats(self, rows: list[int], grams: list[str]) -> tuple[dict, dict]:
        """How common each of the question's bigrams is where the candidates come from:
        (document → (clauses, clauses holding each gram), (document, paragraph) → the same).
        A gram holds in a clause as _bigrams finds it; counts of zero are left out."""
        post = self._grams
        docs = list(dict.fromkeys(self.clauses[i].doc_id for i in rows))
        paras = list(dict.fromkeys((self.clauses[i].doc_id, self.clauses[i].para) for i in rows))
        spans = [self._range(d) for d in docs]  # a document's clauses are [a, b)
        scattered = {}  # a paragraph whose clauses are not side by side: its document's span
        for d, p in paras:
            a, b = self._range(d)
            members = np.flatnonzero(self._paras[a:b] == p) + a
            if len(members) and members[-1] - members[0] + 1 == len(members):
                spans.append((int(members[0]), int(members[-1]) + 1))
            else:
                scattered[d, p] = len(members)
                spans.append((a, b))
        bounds = np.array(spans, dtype=np.int64).reshape(-1, 2)
        counts: list[dict[str, int]] = [{} for _ in spans]
        for g in grams:
            held = post.holding(g)
            if not len(held):
                continue
            lo, hi = np.searchsorted(held, bounds[:, 0]), np.searchsorted(held, bounds[:, 1])
            for k in np.flatnonzero(hi > lo).tolist():
                if k >= len(docs) and paras[k - len(docs)] in scattered:
                    n = int(np.count_nonzero(self._paras[held[lo[k] : hi[k]]] == paras[k - len(docs)][1]))
                    if n:
                        counts[k][g] = n
                else:
                    counts[k][g] = int(hi[k] - lo[k])
        size = [b - a for a, b in spans]
        for k, key in enumerate(paras, len(docs)):
            size[k] = scattered.get(key, size[k])
        by_doc = {d: (size[k], counts[k]) for k, d in enumerate(docs)}
        by_para = {key: (size[k], counts[k]) for k, key in enumerate(paras, len(docs))}
        return by_doc, by_para

    def _title_grams(self, doc_id: str) -> set[str]:
        """Character bigrams of a document's title (its topic)."""
        got = self._titles.get(doc_id)
        if got is None:
            got = self._titles[doc_id] = _bigrams(self.index.corpus.by_doc[doc_id].title)
        return got

    def _sentence(self, i: int) -> str:
        c = self.clauses[i]
        lo = hi = i
        while lo > 0 and (self.clauses[lo - 1].doc_id, self.clauses[lo - 1].para, self.clauses[lo - 1].sent) == (c.doc_id, c.para, c.sent):
            lo -= 1
        while hi + 1 < len(self.clauses) and (self.clauses[hi + 1].doc_id, self.clauses[hi + 1].para, self.clauses[hi + 1].sent) == (c.doc_id, c.para, c.sent):
            hi += 1
        return "".join(x.text for x in self.clauses[lo : hi + 1])

    def _window(self, i: int) -> str:
        c = self.clauses[i]
        out = [c.text]
        for j in (i - 1, i + 1):
            if 0 <= j < len(self.clauses) and self.clauses[j].doc_id == c.doc_id and self.clauses[j].para == c.para:
                out.append(self.clauses[j].text)
        return "".join(out)

    def features(self, question: str, rows: np.ndarray, parts: dict[str, np.ndarray]) -> np.ndarray:
        """One feature row per candidate (clause positions `rows`, in fused order)."""
        tok = self.index.tokenizer
        words = [w for w in dict.fromkeys(tok.content_words(question)) if len(w) > 1 or w.isdigit()]
        idf = np.array([self.idf(w) for w in words]) if words else np.zeros(0)
        total = float(idf.sum())
        kind = question_type(question)
        q_chars = set(question)
        q_numbers = set(_NUMBER.findall(question))
        # the documents' words the lexicon's phrase tables give for the question's (GDP → 地区生产总值)
        targets = " ".join(t for _, ts in tok.synonym_matches(question) for t in ts)
        q_grams = sorted(question_bigrams(question + " " + targets))
        q_core = _ASKING.sub("", _DOC_NAMING.sub("", question))
        m = _DEFINE_Q.search(question.strip())
        defined = (m.group("a") or m.group("b")).strip(" “”\"「」") if m else ""
        listing, purpose = bool(_LIST_Q.search(question)), bool(_PURPOSE_Q.search(question))
        u = _UNIT_Q.search(question) if kind == "number" else None
        unit = u.group(1) if u else ""
        out = np.zeros((len(rows), len(FEATURES)), dtype=np.float64)
        doc_stats, para_stats = self._gram_stats(rows.tolist(), q_grams)
        for r, i in enumerate(rows.tolist()):
            c = self.clauses[i]
            text, window = c.text, self._window(i)
            has = np.array([w in text for w in words], dtype=bool)
            near = np.array([w in window for w in words], dtype=bool)
            match = self._type_match(kind, text, q_chars, q_numbers, unit) if kind else False
            body = [ch for ch in text if _CJK_OR_ALNUM.match(ch)]
            first = i == 0 or self.clauses[i - 1].doc_id != c.doc_id or self.clauses[i - 1].para != c.para
            # bigrams of the question weighed by how rare they are in the clause's own document:
            # the topic's name is in every sentence of it and does not tell them apart
            n_doc, df = doc_stats[c.doc_id]
            g_idf = np.array([math.log((n_doc + 1) / (df.get(g, 0) + 0.5)) for g in q_grams]) if q_grams else np.zeros(0)
            g_total = float(g_idf.sum())
            sentence = self._sentence(i)
            n_para, pdf = para_stats[c.doc_id, c.para]
            p_idf = np.array([math.log((n_para + 1) / (pdf.get(g, 0) + 0.5)) for g in q_grams]) if q_grams else np.zeros(0)
            p_has = np.array([g in text for g in q_grams], dtype=bool)

            def local(t: str, g_idf=g_idf, g_total=g_total) -> float:
                return float(g_idf[[g in t for g in q_grams]].sum()) / g_total if g_total else 0.0

            # the same without the bigrams of the document's title: the title names the topic,
            # which the sentence holding the answer often leaves out (它…, 本鱼…, 体长可达…)
            in_title = self._title_grams(c.doc_id)
            aside = np.array([g not in in_title for g in q_grams], dtype=bool)
            a_idf = g_idf * aside if len(q_grams) else g_idf
            a_total = float(a_idf.sum())

            def aside_title(t: str, a_idf=a_idf, a_total=a_total) -> float:
                return float(a_idf[[g in t for g in q_grams]].sum()) / a_total if a_total else 0.0
            out[r] = (
                parts["fused"][r],
                parts["time"][r],
                parts["clause_lex"][r],
                parts["para_lex"][r],
                float(parts["para_lex"][r] >= 1.0),
                parts["dense"][r],
                1.0 / (r + 1),
                float(idf[has].sum()) / total if total else 0.0,
                float(idf[near].sum()) / total if total else 0.0,
                local(text),
                local(window),
                local(sentence),
                float(p_idf[p_has].sum()) / float(p_idf.sum()) if p_idf.sum() > 0 else 0.0,
                float(bool(_PRONOUN.match(text))),
                lcs(q_core, text) / max(len(q_core), 1),
                float(match),
                float(bool(kind) and not match),
                float(kind == "number" and any(f.type == "quantity" and (not unit or any(u in f.unit for u in _SAME_UNIT.get(unit, (unit,)))) for f in c.facts)),
                float(bool(defined) and self._defines(defined, text)),
                float(listing and bool(_LISTING.search(text))),
                float(purpose and bool(_PURPOSE.search(text))),
                sum(ch not in q_chars for ch in body) / len(body) if body else 0.0,
                float(first),
                math.log1p(len(text)) / 5.0,
                aside_title(text),
                aside_title(window),
                aside_title(sentence),
                float(not aside.all()) if len(q_grams) else 0.0,
            )
        return out

    def _type_match(self, kind: str, text: str, q_chars: set[str], q_numbers: set[str], unit: str = "") -> bool:
        """Whether the clause holds an answer of the asked kind that the question does not name."""
        if kind == "number":
            return _holds_number(text, q_numbers, unit)
        if kind == "date":
            return any(not set(m) <= q_chars for m in _DATE.findall(text))
        if kind == "reason":
            return bool(_WHY.search(text))
        flags = ("nr",) if kind == "person" else ("ns",)
        return any(not set(n) <= q_chars for n in self._names(text, flags))

    @staticmethod
    def _defines(term: str, text: str) -> bool:
        """Whether the clause begins with the term and goes on to say what it is (X是…, X（…）是…, X指…)."""
        body = re.sub(r"^(?:<[^>]*>|\s)+", "", text)
        return body.startswith(term) and bool(_DEFINES.match(body[len(term) :]))

    def scores(self, features: np.ndarray) -> np.ndarray:
        return features @ np.asarray(self.weights.weights)


def fit_listwise(groups: list[tuple[np.ndarray, np.ndarray]], l2: float = 1.0) -> np.ndarray:
    """Weights of a linear ranker by a listwise softmax (conditional logit): for each question,
    maximize the probability that the relevant candidates come first among its candidates,
    with an L2 penalty; the objective of hit@1, made smooth. Solved with scipy's L-BFGS."""
    from scipy.optimize import minimize

    data = [(f, labels > 0) for f, labels in groups if len(f) and labels.any() and not labels.all()]
    if not data:
        raise ValueError("no question has both a relevant and an irrelevant candidate to learn from")
    dim = data[0][0].shape[1]

    def loss(w):
        total, grad = l2 * float(w @ w), 2 * l2 * w
        for f, pos in data:
            s = f @ w
            m = s.max()
            e = np.exp(s - m)
            z, zp = e.sum(), e[pos].sum()
            total -= math.log(zp / z)
            grad = grad - (e[pos] @ f[pos]) / zp + (e @ f) / z
        return total, grad

    return minimize(loss, np.zeros(dim), jac=True, method="L-BFGS-B").x


def fit_pairwise(groups: list[tuple[np.ndarray, np.ndarray]], c: float = 1.0) -> np.ndarray:
    """Weights of a linear ranker from (features, labels) per question: logistic regression on the
    differences of each relevant candidate's features and each other candidate's (RankSVM-style
    pairs, both orders), no intercept."""
    from sklearn.linear_model import LogisticRegression

    xs, ys = [], []
    for feats, labels in groups:
        pos, neg = feats[labels > 0], feats[labels <= 0]
        if not len(pos) or not len(neg):
            continue
        d = (pos[:, None, :] - neg[None, :, :]).reshape(-1, feats.shape[1])
        xs += [d, -d]
        ys += [np.ones(len(d)), np.zeros(len(d))]
    if not xs:
        raise ValueError("no question has both a relevant and an irrelevant candidate to learn from")
    model = LogisticRegression(fit_intercept=False, C=c, max_iter=2000)
    model.fit(np.concatenate(xs), np.concatenate(ys))
    return model.coef_[0]


def hit_at_1(groups: list[tuple[np.ndarray, np.ndarray]], weights: np.ndarray) -> float:
    """Share of questions whose best-scored candidate is relevant (questions with no candidates count as misses)."""
    if not groups:
        return 0.0
    return sum(bool(len(f)) and labels[int(np.argmax(f @ weights))] > 0 for f, labels in groups) / len(groups)


# ---------------------------------------------------------------------------------------
# Neural reranking, when a model is on this machine

RERANKER_MODELS = ("BAAI/bge-reranker-base", "BAAI/bge-reranker-v2-m3", "BAAI/bge-reranker-large", "BAAI/bge-small-zh-v1.5")


class NeuralReranker:
    """Scores (question, clause) pairs with a local model: a cross-encoder (bge-reranker-*) reads
    the pair together; a sentence-transformers model compares their embeddings. Nothing is ever
    downloaded. Scores are scaled to [0, 1] over the candidates, so they add to the ranker's."""

    def __init__(self, name_or_path: str):
        import os

        from .errors import ModelError

        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        self.name = name_or_path
        self.cross = _is_cross_encoder(name_or_path)
        try:
            if self.cross:
                from sentence_transformers import CrossEncoder

                self.model = CrossEncoder(name_or_path, device="cpu", local_files_only=True)
            else:
                from sentence_transformers import SentenceTransformer

                self.model = SentenceTransformer(name_or_path, device="cpu", local_files_only=True)
        except Exception as e:  # the library raises OSError, ValueError, HF errors …
            raise ModelError(f"无法加载重排序模型 {name_or_path}：本地路径或缓存中没有它（{type(e).__name__}）") from e

    @property
    def description(self) -> str:
        return f"{'cross-encoder' if self.cross else 'bi-encoder'} {self.name}"

    def scores(self, question: str, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros(0)
        if self.cross:
            raw = np.asarray(self.model.predict([(question, t) for t in texts], show_progress_bar=False), dtype=np.float64)
        else:
            q, d = self.model.encode([question], normalize_embeddings=True), self.model.encode(texts, normalize_embeddings=True)
            raw = (np.asarray(d) @ np.asarray(q)[0]).astype(np.float64)
        lo, hi = float(raw.min()), float(raw.max())
        return (raw - lo) / (hi - lo) if hi > lo else np.zeros_like(raw)


def _is_cross_encoder(name_or_path: str) -> bool:
    """A model folder (or cached model) whose config names a sequence-classification head."""
    path = Path(name_or_path)
    if not path.is_dir():
        path = _cached(name_or_path) or path
    try:
        config = json.loads((path / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "reranker" in name_or_path.lower()
    return any(a.endswith("ForSequenceClassification") for a in config.get("architectures", ()))


def _cached(name: str) -> Path | None:
    """The newest snapshot folder of a model in the local Hugging Face cache, if there is one."""
    import os

    hub = Path(os.environ.get("HF_HUB_CACHE") or Path(os.environ.get("HF_HOME", Path.home() / ".cache" / "huggingface")) / "hub")
    snaps = hub / f"models--{name.replace('/', '--')}" / "snapshots"
    found = sorted(snaps.glob("*/config.json"), key=lambda p: p.stat().st_mtime) if snaps.is_dir() else []
    return found[-1].parent if found else None


def local_reranker(spec: str | None = "auto") -> NeuralReranker | None:
    """A NeuralReranker for `spec`: a model path or name, or "auto" for the first of
    RERANKER_MODELS in the local cache; None when spec is None/"none" or auto finds nothing."""
    if spec in (None, "", "none"):
        return None
    if spec != "auto":
        return NeuralReranker(spec)
    for name in RERANKER_MODELS:
        if _cached(name) is not None:
            return NeuralReranker(name)
    return None
