"""Answers: grounded, cited, time-correct, built only from quoted clauses.

A figure question gets the figure first — with its year, target or result, and a citation —
and every other document's figure for the same indicator and year beside it, saying whether
they agree. A policy question gets its key clauses, grouped by document. A question the
documents do not cover gets `abstained` and the nearest passages. Before an answer is
returned, every figure in its text is checked against the quotes it cites (`verify`); an
answer that fails is never shown.
"""

from __future__ import annotations

import math
import re
import time
import unicodedata
from dataclasses import asdict, dataclass, field
from functools import cached_property

from .corpus import Citation
from .errors import InputError
from .facts import BASE_UNITS, QUANTITY, Fact, classify, to_base
from .index import Index
from .retrieve import Hit, QueryFrame, Retriever
from .segment import Clause
from .timescope import PLAN, REVIEW

# How figures of several documents for one measure and year relate (qa.audit.conflicts).
CONTRADICTION, MEASURE, AGREEMENT = "contradiction", "measure", "agreement"

MAX_QUESTION = 1000
_FIGURE_Q = re.compile(r"多少|几[个家所项条处万亿]|几成|多大|多长|多高|多快|目标是|指标|增长|增速|比重|比例|占比|规模|数量|第几|排名|排第|名次|率|\d")
_ASKS_NUMBER = re.compile(r"多少|几[个家所项条处万亿位名]|第几|多大|多长|多高")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_LATIN = re.compile(r"[A-Za-z]{2,}")
_LEADING_VERB = re.compile(r"^(?:新增|新建|建成|完成|实施|建设|打造|实现|开展|推进|累计|全年|力争|争取)+")
KIND_LABEL = {"target": "目标", "result": "完成情况", "other": ""}
# The unit a question asks for: "多少户", "几所", "多少万人". 个 is every count's word, so it asks nothing.
_ASKED_UNIT = re.compile(r"(?:多少|几)((?:万|亿)?(?:" + "|".join(re.escape(u) for u in BASE_UNITS if u != "个") + "))")
_PEOPLE = {"人", "名"}
_PART = re.compile(r"[，,；;？?]|以及|并且|同时")


@dataclass(frozen=True)
class AnswerFact:
    indicator: str
    value: str
    year: int | None
    kind: str
    citation: int


@dataclass(frozen=True)
class ConflictValue:
    value: str
    citation: int


@dataclass(frozen=True)
class Conflict:
    indicator: str
    year: int | None
    values: tuple[ConflictValue, ...]


@dataclass(frozen=True)
class Answer:
    question: str
    answer: str
    abstained: bool
    citations: tuple[Citation, ...]
    facts: tuple[AnswerFact, ...] = ()
    conflicts: tuple[Conflict, ...] = ()
    elapsed_ms: float = 0.0
    # Not part of the JSON contract: what the answer was made with, for people reading it.
    embedder: str = field(default="", compare=False)
    hits: tuple[Hit, ...] = field(default=(), compare=False, repr=False)

    def to_dict(self) -> dict:
        """The `qa ask --json` object, field for field as DESIGN.md specifies."""
        return {
            "question": self.question,
            "answer": self.answer,
            "abstained": self.abstained,
            "citations": [c.to_dict() for c in self.citations],
            "facts": [asdict(f) for f in self.facts],
            "conflicts": [
                {"indicator": c.indicator, "year": c.year, "values": [asdict(v) for v in c.values]} for c in self.conflicts
            ],
            "elapsed_ms": self.elapsed_ms,
        }


def normalize_question(question: str, what: str = "问题") -> str:
    """Full-/half-width forms unified, traditional characters simplified, whitespace trimmed.

    Raises InputError for an empty, over-long or non-Chinese question (or, with
    what="说法", a claim to check).
    """
    example = "2024年新增停车位4.4万个" if what == "说法" else "2024年新增停车位目标"
    if not isinstance(question, str):
        raise InputError(f"{what}必须是文本")
    q = unicodedata.normalize("NFKC", question).strip()
    q = re.sub(r"\s+", " ", q)
    if not q:
        hint = "要核查的说法" if what == "说法" else "要查询的内容"
        raise InputError(f"{what}为空，请输入{hint}，例如：{example}")
    if len(q) > MAX_QUESTION:
        raise InputError(f"{what}太长（{len(q)} 个字符），请控制在 {MAX_QUESTION} 个字符以内")
    if not _CJK.search(q):
        if _LATIN.search(q):
            raise InputError(f"文档是中文的，请用中文输入{what}，例如：“{example}”")
        raise InputError(f"{what}里没有可以检索的文字，请用中文描述要查的内容")
    return _t2s(q)


_OPENCC = None


def _t2s(text: str) -> str:
    global _OPENCC
    if _OPENCC is None:
        from opencc import OpenCC

        _OPENCC = OpenCC("t2s")
    return _OPENCC.convert(text)


def indicator_key(indicator: str) -> str:
    """An indicator without the verbs documents vary on (新建充电桩 ~ 充电桩)."""
    key = _LEADING_VERB.sub("", re.sub(r"[“”\"、，]", "", indicator))
    return key or indicator


def same_measure(a: Fact, b: Fact) -> bool:
    """Two facts measure the same thing: same base unit, same indicator up to verbs."""
    if a.type != b.type or a.base()[1] != b.base()[1]:
        return False
    return indicator_key(a.indicator) == indicator_key(b.indicator)


def figure_text(f: Fact) -> str:
    """The value with its qualifiers, in the order the source writes them."""
    pre = "" if not f.qualifier else re.match(r"(累计|超过|突破|达到|争取达到|力争达到|争取|力争|不低于|不少于|至少|约|近|超|达|共)?", f.qualifier).group()
    post = f.qualifier[len(pre) :]
    return f"{pre}{f.value}{post}"


def verify(answer: Answer) -> list[str]:
    """Figures in the answer text that none of its citations quote (empty when all are grounded)."""
    text = re.sub(r"\[\d+\]", " ", answer.answer)
    quotes = "\n".join(c.quote for c in answer.citations)
    missing = []
    for m in QUANTITY.finditer(text):
        labels = {label for a, b, label in classify(text[m.start() : m.end() + 1])}
        if "quantity" not in labels:
            continue
        value = m.group("num") + m.group("unit")
        if value not in quotes:
            missing.append(value)
    return missing


class Answerer:
    """answer(question) -> Answer, over a Retriever.

    `abstain_below` is the share (idf-weighted) of the question's content words that the best
    passage and its context must hold. Calibrated with `qa eval --calibrate` on eval/dev.jsonl:
    every threshold from 0.20 to 0.50 abstains on all 13 unanswerable questions and on none of
    the 122 answerable ones; below 0.20 an unanswerable one slips through, from 0.55 up answerable
    ones are refused (7%). 0.35 stands in the middle of that band.
    """

    def __init__(self, index: Index, retriever: Retriever | None = None, abstain_below: float = 0.35, k: int = 8):
        self.index = index
        self.retriever = retriever or Retriever(index)
        self.corpus = index.corpus
        self.abstain_below = abstain_below
        self.k = k

    @cached_property
    def _df(self):
        """Document frequency of each clause-index token, for weighting a question's words."""
        import numpy as np

        bm25 = self.index.lexical.clauses
        indptr = np.asarray(bm25.scores["indptr"])
        return bm25.vocab_dict, np.diff(indptr), int(bm25.scores["num_docs"])

    def coverage(self, question: str, hit: Hit) -> float:
        """Share (idf-weighted) of the question's content words found in a hit and its context."""
        vocab, df, n = self._df
        context = hit.clause.text + "".join(c.text for c in self.corpus.neighbours(hit.clause)) + "".join(hit.clause.heading_path)
        total = got = 0.0
        for concept in self._concepts(question):
            word = concept[0]
            j = vocab.get(word)
            idf = math.log((n + 1) / ((df[j] if j is not None else 0) + 0.5))
            total += idf
            if any(w in context for w in concept):
                got += idf
        return got / total if total else 0.0

    def _concepts(self, question: str) -> list[tuple[str, ...]]:
        """Content words of a question, each with the document words its synonyms give."""
        tok = self.index.tokenizer
        concepts: list[tuple[str, ...]] = []
        taken: set[str] = set()
        for key, targets in tok.synonym_matches(question):
            if len(key) > 1 and not any(key in k for k in taken):
                concepts.append((key,) + targets)
                taken.add(key)
        for w in tok.content_words(question):
            if _CJK.search(w) and not _FIGURE_Q.fullmatch(w) and not any(w in k for k in taken):
                # a word also counts as found where the lexicon's synonym of it stands
                concepts.append((w,) + tok.lexicon.synonyms(w))
        return concepts

    def answer(self, question: str) -> Answer:
        t0 = time.perf_counter()
        q = normalize_question(question)
        frame = self.retriever.frame(q)
        hits = self.retriever.search(q, self.k, frame)
        result = self._compose(q, frame, hits)
        missing = verify(result)
        if missing:  # never show a figure that no citation quotes
            result = self._abstain(q, hits, f"（内部校验未通过：{'、'.join(missing)}）")
        elapsed = round((time.perf_counter() - t0) * 1000, 1)
        return Answer(
            question=question,
            answer=result.answer,
            abstained=result.abstained,
            citations=result.citations,
            facts=result.facts,
            conflicts=result.conflicts,
            elapsed_ms=elapsed,
            embedder=self.index.embedder_description,
            hits=tuple(hits),
        )

    # -- composing --------------------------------------------------------------------

    def _compose(self, q: str, frame: QueryFrame, hits: list[Hit]) -> Answer:
        if not hits or self.coverage(q, hits[0]) < self.abstain_below:
            return self._abstain(q, hits)
        if _FIGURE_Q.search(q):
            figure = self._figure_answer(q, frame, hits)
            if figure is not None:
                return figure
            if _ASKS_NUMBER.search(q):  # a number was asked for and none of the passages gives it
                return self._abstain(q, hits)
        return self._policy_answer(q, hits)

    def _abstain(self, q: str, hits: list[Hit], suffix: str = "") -> Answer:
        cites = tuple(self.corpus.cite(h.clause, n, h.score) for n, h in enumerate(hits[:3], 1))
        text = "文件中没有找到能回答这个问题的内容。" + suffix
        if cites:
            text += "以下是最接近的段落，仅供参考：" + "；".join(f"{c.title}“{_brief(c.quote)}”[{c.n}]" for c in cites)
        return Answer(q, text, True, cites)

    def _expanded(self, q: str) -> str:
        """The question with the document words its synonyms stand for appended."""
        extra = [" ".join(t) for key, t in self.index.tokenizer.synonym_matches(q)]
        return q + " " + " ".join(extra)

    def _relevant_facts(self, q: str, hits: list[Hit]) -> list[tuple[int, Fact, Clause]]:
        """(relevance, fact, clause) for facts of the leading hits whose indicator the question names.

        Relevance is the longest run of characters the indicator shares with the question, or
        a document word the question's synonyms stand for (暖气 → 供热), counted as the
        question's word and one more;
        plus 2 when it shares three characters with what is asked (the words at 多少/几).
        A fact needs three (two for an indicator of at most three characters): "收入" alone
        does not make 营业总收入 an answer about 一般公共预算收入.
        """
        q_targets = [(key, t) for key, targets in self.index.tokenizer.synonym_matches(q) for t in targets]
        qx = self._expanded(q)
        focus = "".join(m.group(1) for m in re.finditer(r"([\u4e00-\u9fff]{1,6}?)(?:的?(?:目标|计划)?是?多少|几)", q))
        focus += "".join(m.group(1) for m in re.finditer(r"(?:多少|几)[个所家项条处户名]([\u4e00-\u9fff]{2,6})", q))
        unit = _asked_unit(q)
        top = hits[0].score
        out = []
        for h in hits[:5]:
            if h.score < 0.6 * top:
                break
            for f in h.clause.facts:
                if unit and not _unit_fits(f, unit):
                    continue
                rel = max([_lcs(f.indicator, q)] + [len(key) + 1 for key, t in q_targets if t in f.indicator])
                key = indicator_key(f.indicator)
                if len(key) >= 2 and key in q:  # the question names the whole measure, not a piece of it
                    rel = max(rel, len(key) + 2)
                if focus and _lcs(f.indicator, focus) >= 3:
                    rel += 2
                if rel >= 3 or (rel >= 2 and len(indicator_key(f.indicator)) <= 3):
                    out.append((rel, f, h.clause))
        if not out:
            return []
        best = max(r for r, _, _ in out)
        return [x for x in out if x[0] >= max(2, best - 2)]

    def _figure_answer(self, q: str, frame: QueryFrame, hits: list[Hit]) -> Answer | None:
        want_kind = {PLAN: "target", REVIEW: "result"}.get(frame.kind or "")

        def fits(f: Fact) -> bool:
            return (not frame.years or f.year in frame.years) and (not want_kind or f.kind == want_kind)

        # A question in several parts ("…多少个，要完成多少投资？") asks for a figure in each.
        parts = [p for p in _PART.split(q) if p.strip()]
        asks = [p for p in parts if _FIGURE_Q.search(p)] if len(parts) > 1 else [q]
        per_part = 4 if len(asks) == 1 else 2
        primaries: list[tuple[Fact, Clause]] = []
        fitting_any = False
        for part in asks or [q]:  # a question no part of which asks for a figure is asked whole
            relevant = self._relevant_facts(part, hits)
            ranked = sorted(relevant, key=lambda x: (-x[0], not fits(x[1])))
            fitting = [x for x in ranked if fits(x[1])]
            fitting_any |= bool(fitting)
            taken = 0
            for _, f, c in fitting or ranked[:1]:
                if taken < per_part and not any(same_measure(f, p) and f.year == p.year for p, _ in primaries):
                    primaries.append((f, c))
                    taken += 1
        if not primaries:
            return None
        cites: list[Citation] = []
        facts: list[AnswerFact] = []
        conflicts: list[Conflict] = []
        sentences = []
        cited: dict[str, int] = {}
        shown: set[tuple[str, int]] = set()

        def cite(c: Clause) -> int:
            if c.id not in cited:
                cited[c.id] = len(cites) + 1
                cites.append(self.corpus.cite(c, cited[c.id], next((h.score for h in hits if h.clause.id == c.id), 0.0)))
            return cited[c.id]

        for primary, p_clause in primaries:
            if (p_clause.id, primary.start) in shown:
                continue  # already shown beside another document's figure
            entry = self._entries.get((p_clause.id, primary.start))
            chosen = [(fig.fact, self.corpus.by_id[fig.fact.clause_id]) for fig in entry.figures] if entry else [(primary, p_clause)]
            year_text = f"{primary.year}年" if primary.year else ""
            label = KIND_LABEL.get(primary.kind, "")
            head = f"{year_text}{label}" if (year_text or label) else "文件中的数字"
            items = []
            values = []
            for f, c in chosen:
                shown.add((c.id, f.start))
                n = cite(c)
                facts.append(AnswerFact(f.indicator, f.value, f.year, f.kind, n))
                values.append(ConflictValue(f.value, n))
                items.append(f"{f.indicator}{figure_text(f)}[{n}]（{self.corpus.by_doc[c.doc_id].title}）")
            sentence = f"{head}：" + "；".join(items) + "。"
            if entry is not None:
                docs = len({c.doc_id for _, c in chosen})
                if entry.group == CONTRADICTION:
                    sentence += f"{docs}份文件给出的数字不一致，请以原文为准。"
                    conflicts.append(Conflict(primary.indicator, primary.year, tuple(values)))
                elif entry.group == AGREEMENT:
                    sentence += f"{docs}份文件给出的数字相同。"
                else:
                    sentence += f"两者口径不同，不是矛盾：{entry.reason}"
            sentences.append(sentence)
        sentences += self._related(primaries, hits, cited, cite)
        text = "".join(sentences)
        if not fitting_any:
            # What the question asks for is not in the documents; say so, and show what is.
            asked = "、".join(f"{y}年" for y in frame.years) if frame.years else ""
            what = f"{asked}的{KIND_LABEL[want_kind]}" if want_kind else f"{asked}的数字"
            f0 = primaries[0][0]
            got = f"{f0.year}年的{KIND_LABEL.get(f0.kind) or '数字'}" if f0.year else "其他年份的数字"
            text = f"文件中没有找到这项{what}。最接近的是{got}，不能当作{asked or '所问'}的数字：" + text
            return Answer(q, text, True, tuple(cites), tuple(facts), tuple(conflicts))
        return Answer(q, text, False, tuple(cites), tuple(facts), tuple(conflicts))

    @cached_property
    def _entries(self) -> dict:
        """(clause id, fact start) → the cross-document entry (qa.audit.conflicts) the fact is in."""
        from .audit import conflicts

        return {(fig.fact.clause_id, fig.fact.start): e for e in conflicts(self.corpus) for fig in e.figures}

    def _related(self, primaries, hits: list[Hit], cited: dict[str, int], cite) -> list[str]:
        """A leading passage of each document the figures did not come from, when it speaks of
        the same thing in words ("实施'五万大学生留呼专项行动'" beside "5万名以上")."""
        docs = {self.corpus.by_id[cid].doc_id for cid in cited}
        top = hits[0].score if hits else 0.0
        out = []
        for h in hits[:5]:
            d = h.clause.doc_id
            if d in docs or h.score < 0.8 * top or h.clause.id in cited:
                continue
            if any(_lcs(indicator_key(f.indicator), h.clause.text) >= 3 for f, _ in primaries):
                docs.add(d)
                out.append(f"另见{self.corpus.by_doc[d].title}：“{h.clause.text.rstrip('，；。')}”[{cite(h.clause)}]。")
        return out

    def _policy_answer(self, q: str, hits: list[Hit]) -> Answer:
        top = hits[0].score
        chosen = [h for h in hits if h.score >= 0.7 * top][:5]
        by_doc: dict[str, list[Hit]] = {}
        for h in chosen:
            by_doc.setdefault(h.clause.doc_id, []).append(h)
        cites: list[Citation] = []
        parts = []
        n = 0
        for doc_id, doc_hits in by_doc.items():
            title = self.corpus.by_doc[doc_id].title
            items = []
            for h in sorted(doc_hits, key=lambda h: self.corpus.position[h.clause.id]):
                n += 1
                cites.append(self.corpus.cite(h.clause, n, h.score))
                items.append(f"{h.clause.text.rstrip('，；。')}[{n}]")
            parts.append(f"【{title}】" + "；".join(items) + "。")
        return Answer(q, "\n".join(parts), False, tuple(cites))


def _asked_unit(q: str) -> str | None:
    """The base unit a question asks its figure in ("多少户" → 户), or None."""
    m = _ASKED_UNIT.search(q)
    return to_base(1, m.group(1))[1] if m else None


def _unit_fits(f: Fact, unit: str) -> bool:
    base = f.base()[1]
    return base == unit or {base, unit} <= _PEOPLE


def _lcs(a: str, b: str) -> int:
    """Length of the longest common substring."""
    best = 0
    prev = [0] * (len(b) + 1)
    for ca in a:
        cur = [0] * (len(b) + 1)
        for j, cb in enumerate(b, 1):
            if ca == cb:
                cur[j] = prev[j - 1] + 1
                best = max(best, cur[j])
        prev = cur
    return best


def _brief(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[:limit] + "…"
