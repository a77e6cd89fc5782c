"""Auditing: check a claim against the documents, list cross-document conflicts and commitments.

A claim is analyzed like a question (qa.query: years, intent, jurisdiction) and its figures
read like the documents' (qa.facts: action, polarity, value kind, Chinese numerals). Each
figure is compared measure to measure (qa.measure): the indicator (up to the verbs documents
vary on, and the synonym table), jurisdiction, year, kind, and the value in base units with
qualifiers read as ranges (以上/超过 a floor, 以内/不足 a ceiling, 左右/约 ±5%). A negated or
opposite action (不新建, 拆除, 减少, a minus sign) against the document's is a contradiction; a
different action, value kind or period (新建 against 新建续建, a delta against a level) is a
difference of scope (口径不同), never support. Each document speaks for itself, so one claim
can be supported by one document and contradicted by another (部分支持).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

from .answer import Answerer
from .corpus import Citation, Corpus
from .facts import Fact, extract
from .index import Index
from .measure import (  # noqa: F401  (re-exported: the audit API)
    AGREEMENT,
    CONTRADICTION,
    GROUP_LABELS,
    KIND_LABEL,
    MEASURE,
    ConflictEntry,
    Figure,
    agrees,
    conflicts,
    figure_text,
    measure_key,
    opposite,
    scope_difference,
    shown,
    similarity,
    value_range,
)
from .query import analyze, normalize_question
from .segment import Clause
from .timescope import PLAN, REVIEW, Scope

SUPPORTED, CONTRADICTED, PARTLY, SCOPE, NOT_FOUND = "supported", "contradicted", "partly", "scope", "not_found"
LABELS = {SUPPORTED: "支持", CONTRADICTED: "矛盾", PARTLY: "部分支持", SCOPE: "口径不同", NOT_FOUND: "未找到"}

# -- claim check ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    claim: str
    verdict: str  # supported | contradicted | partly | scope | not_found
    label: str  # 支持 | 矛盾 | 部分支持 | 口径不同 | 未找到
    reason: str
    evidence: tuple[Citation, ...]

    def to_dict(self) -> dict:
        return {
            "claim": self.claim,
            "verdict": self.verdict,
            "label": self.label,
            "reason": self.reason,
            "evidence": [c.to_dict() for c in self.evidence],
        }


class _Evidence:
    """Numbered citations, each clause once, in the order the reason mentions them."""

    def __init__(self, corpus: Corpus):
        self.corpus = corpus
        self.cites: list[Citation] = []
        self._n: dict[str, int] = {}

    def __call__(self, clause: Clause, score: float = 0.0) -> int:
        if clause.id not in self._n:
            self._n[clause.id] = len(self.cites) + 1
            self.cites.append(self.corpus.cite(clause, self._n[clause.id], score))
        return self._n[clause.id]


class Auditor:
    """check(claim) -> Verdict, over an Index."""

    def __init__(self, index: Index, min_similarity: float = 0.6, text_support: float = 0.85):
        self.index = index
        self.corpus = index.corpus
        self.min_similarity = min_similarity
        self.text_support = text_support

    @cached_property
    def answerer(self) -> Answerer:
        return Answerer(self.index)

    @cached_property
    def _facts(self) -> list[tuple[Fact, Clause]]:
        return self.corpus.facts()

    def claim_facts(self, claim: str) -> tuple[list[Fact], tuple[int, ...], str | None]:
        """The figures a claim states, the years it names and the kind its words say (or None)."""
        facts, years, kind, _ = self._read(claim)
        return facts, years, kind

    def _read(self, claim: str):
        tok = self.index.tokenizer
        analysis = analyze(claim, self.corpus, tok.synonym_matches, getattr(tok, "places", frozenset()), tok.cut)
        years = analysis.years
        words_kind = analysis.kind
        if words_kind is None and re.search(r"(?<![要将])(?:已经|已|完成|实现|建成)", claim):
            words_kind = REVIEW  # a claim that something was done states a result
        kind = {PLAN: "target", REVIEW: "result"}.get(words_kind or "")
        scope = Scope(years[0] if len(years) == 1 else None, words_kind or "other")
        facts = [f for f in extract(claim, 0, len(claim), lambda pos: scope) if f.indicator != "（未标明）"]
        return facts, years, kind, analysis

    def candidates(self, fact: Fact, region: str | None = None) -> list[tuple[float, Fact, Clause]]:
        """The documents' facts (of the jurisdiction named, if any) that may measure what a claim's fact measures, best first."""
        names = [fact.indicator] + self._synonym_variants(fact.indicator)
        out = []
        for f, c in self._facts:
            if region and self.corpus.by_doc[c.doc_id].region != region:
                continue
            if f.type != fact.type or f.base()[1] != fact.base()[1]:
                continue
            sim = max(similarity(n, f.indicator) for n in names)
            if sim >= self.min_similarity:
                out.append((sim, f, c))
        if not out:
            return []
        best = max(s for s, _, _ in out)
        return sorted((x for x in out if x[0] >= best - 0.15), key=lambda x: -x[0])

    def _synonym_variants(self, indicator: str) -> list[str]:
        """The indicator with each phrase key that is a word of it (never a piece of a word:
        覆盖 holds 盖, 工业增加值 holds 增加) replaced by the document words it stands for."""
        out = []
        for key, targets in self.index.tokenizer.synonym_matches(indicator):
            if len(key) > 1:
                out.extend(indicator.replace(key, t) for t in targets)
        return out

    def nearest(self, claim: str, k: int = 3) -> tuple[Citation, ...]:
        """The passages closest to a claim, for a verdict that found no evidence (as an abstained answer shows)."""
        text = normalize_question(claim, "说法")
        return tuple(self.corpus.cite(h.clause, n, h.score) for n, h in enumerate(self.answerer.retriever.search(text, k), 1))

    def check(self, claim: str) -> Verdict:
        text = normalize_question(claim, "说法")
        facts, years, kind, analysis = self._read(text)
        ev = _Evidence(self.corpus)
        if not facts:
            return self._check_text(claim, text, ev)
        results = [self._check_fact(f, analysis, kind, ev) for f in facts]
        verdicts = {v for v, _ in results}
        if verdicts == {SUPPORTED}:
            verdict = SUPPORTED
        elif verdicts == {NOT_FOUND}:
            verdict = NOT_FOUND
        elif SUPPORTED in verdicts or PARTLY in verdicts:
            verdict = PARTLY
        elif SCOPE in verdicts:
            verdict = SCOPE if CONTRADICTED not in verdicts else CONTRADICTED
        else:
            verdict = CONTRADICTED
        reason = "".join(r for _, r in results)
        return Verdict(claim, verdict, LABELS[verdict], reason, tuple(ev.cites))

    def _check_fact(self, fact: Fact, analysis, kind: str | None, ev: _Evidence) -> tuple[str, str]:
        said = f"“{fact.indicator}{figure_text(fact)}”"
        region = analysis.jurisdiction
        if region and not any(d.region == region for d in self.corpus.docs):
            return NOT_FOUND, f"文件中没有{region}的数字，无法核查{said}。"
        cands = self.candidates(fact, region)
        if not cands:
            return NOT_FOUND, f"文件中没有找到{said}这项指标的数字。"

        def years_of(c: Clause) -> tuple[int, ...]:
            return analysis.years_for(self.corpus.by_doc[c.doc_id].region)

        def fits_year(f: Fact, c: Clause) -> bool:
            ys = years_of(c)
            return not ys or f.year in ys

        def fits(f: Fact, c: Clause) -> bool:
            return fits_year(f, c) and (kind is None or f.kind == kind)

        years = analysis.years
        when = "、".join(f"{y}年" for y in years) + (KIND_LABEL[kind] if kind else "")
        group = [(s, f, c) for s, f, c in cands if fits(f, c)]
        if not group:
            other_kind = [(f, c) for _, f, c in cands if fits_year(f, c) and _same_value(fact, f)]
            if other_kind:  # the figure is there, as a target where the claim says a result (or the reverse)
                f, c = other_kind[0]
                return SCOPE, f"口径不同：{figure_text(f)}是{_when(f)}[{ev(c)}]，不是{when or '声明所说'}的数字。"
            elsewhere = [(f, c) for _, f, c in cands if _same_value(fact, f)]
            if elsewhere:
                f, c = elsewhere[0]
                return CONTRADICTED, (
                    f"{figure_text(f)}是{_when(f)}[{ev(c)}]，不是{when or '声明所说'}的数字；文件中没有{when}的这项数字。"
                )
            listed = "；".join(f"{_when(f)}“{shown(f, c)}”[{ev(c)}]" for _, f, c in cands[:3])
            return NOT_FOUND, f"文件中没有{when}{said}的数字，只有：{listed}。"
        # Per document: the figure that bears the claim out, else one of the same value in
        # another scope, else the closest.
        def rank(status: str, f: Fact) -> int:
            if status == SCOPE:
                return 1 if _same_value(fact, f) else 3
            return {SUPPORTED: 0, CONTRADICTED: 2}[status]

        per_doc: dict[str, tuple[str, str, Fact, Clause]] = {}
        best: dict[str, int] = {}
        for _, f, c in group:
            status, why = self._relation(fact, f)
            r = rank(status, f)
            if c.doc_id not in per_doc or r < best[c.doc_id]:
                per_doc[c.doc_id], best[c.doc_id] = (status, why, f, c), r

        def says(item) -> str:
            _, _, f, c = item
            return f"{self.corpus.by_doc[c.doc_id].title}[{ev(c)}]为{_when(f)}“{shown(f, c)}”"

        ok = [x for x in per_doc.values() if x[0] == SUPPORTED]
        scope = [x for x in per_doc.values() if x[0] == SCOPE]
        bad = [x for x in per_doc.values() if x[0] == CONTRADICTED]
        if ok and not bad:
            return SUPPORTED, "与原文一致：" + "；".join(says(x) for x in ok) + "。" + "".join(
                f"另，{says(x)}，{x[1]}" for x in scope
            )
        if ok:
            return PARTLY, (
                "与部分文件一致：" + "；".join(says(x) for x in ok) + "。但"
                + "；".join(says(x) for x in bad) + "，文件之间的数字不一致。"
            )
        if scope:
            reason = "口径不同：声明为" + said + "，而" + "；".join(f"{says(x)}，{x[1].rstrip('。')}" for x in scope) + "。"
            if bad:
                reason += "同一口径下，" + "；".join(says(x) for x in bad) + "。"
            return SCOPE, reason
        reason = f"与原文不符：声明为{said}，而" + "；".join(says(x) + ("，" + x[1].rstrip("。") if x[1] else "") for x in bad) + "。"
        elsewhere = [(f, c) for _, f, c in cands if not fits(f, c) and _same_value(fact, f)]
        if elsewhere:
            f, c = elsewhere[0]
            reason += f"{figure_text(fact)}是{_when(f)}[{ev(c)}]，不是{when or '声明所说'}的数字。"
        return CONTRADICTED, reason

    @staticmethod
    def _relation(claim: Fact, doc: Fact) -> tuple[str, str]:
        """SUPPORTED, SCOPE or CONTRADICTED, with why, for a claim's figure against a document's of the same year."""
        if opposite(claim, doc):
            if claim.polarity != doc.polarity:
                return CONTRADICTED, "声明与原文的方向相反（否定或负数）。"
            return CONTRADICTED, f"原文是“{doc.action}”，声明是“{claim.action}”，方向相反。"
        why = scope_difference(claim, doc)
        if why:
            return SCOPE, why
        if agrees(claim, doc):
            return SUPPORTED, ""
        return CONTRADICTED, ""

    def _check_text(self, claim: str, text: str, ev: _Evidence) -> Verdict:
        """A claim without figures: supported when one clause carries its content words."""
        hits = self.answerer.retriever.search(text, 3)
        if hits and self.answerer.coverage(text, hits[0]) >= self.text_support and _own_cover(self.answerer, text, hits[0].clause):
            n = ev(hits[0].clause, hits[0].score)
            title = self.corpus.by_doc[hits[0].clause.doc_id].title
            return Verdict(claim, SUPPORTED, LABELS[SUPPORTED], f"{title}中有相应的表述[{n}]。", tuple(ev.cites))
        reason = "文件中没有找到与这条声明相符的表述。"
        return Verdict(claim, NOT_FOUND, LABELS[NOT_FOUND], reason, ())


def _same_value(claim: Fact, doc: Fact) -> bool:
    """The document's figure carries the claim's value (sign and direction aside)."""
    return agrees(claim, doc) or agrees(claim, doc.__class__(**{**doc.__dict__, "number": -doc.number}))


def _own_cover(answerer: Answerer, text: str, clause: Clause) -> bool:
    """Most of the claim's content words stand in the clause itself, not only around it."""
    concepts = answerer._concepts(text)
    got = sum(any(w in clause.text for w in c) for c in concepts)
    return bool(concepts) and got / len(concepts) >= 0.75


def _when(f: Fact) -> str:
    """"2023年的完成情况", "2024年的目标", "2024年的数字"."""
    year = f"{f.year}年的" if f.year else ""
    return year + (KIND_LABEL.get(f.kind) or "数字")


# -- commitments ---------------------------------------------------------------------------

# Areas a citizen browses by, in the order a heading is tested against them: the first whose
# words the heading contains wins (生态 before 发展: "筑牢绿色发展底座" is about ecology).
AREAS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("民生保障", ("民生", "幸福", "就业", "教育", "医疗", "养老", "社会保障", "供热", "取暖", "供暖")),
    ("生态环保", ("生态", "绿色", "环境", "低碳")),
    ("安全稳定", ("风险", "安全", "稳定")),
    ("现代农业", ("农业", "乡村", "农村", "牧区")),
    ("工业与科技", ("工业", "产业", "科技", "创新", "制造")),
    ("消费与服务业", ("消费", "服务业", "旅游", "文旅", "商贸")),
    ("改革开放", ("开放", "改革", "营商")),
    ("城市建设", ("城市", "规划", "住房", "交通")),
    ("投资与发展", ("投资", "发展", "项目", "招商")),
)
GENERAL = "总体目标"


def area_of(clause: Clause, fact: Fact | None = None) -> str:
    """The area a clause's commitments belong to, read from its section headings.

    The deepest enumerated heading (（一）…, 一是…) names the area. Above those, a growth
    rate is one of the overall targets; another figure is placed by its own words
    ("新增供热能力3300万平方米" in the review is a heating commitment).
    """
    for heading in reversed(clause.heading_path):
        if re.match(r"[（(][一二三四五六七八九十]+[）)]|[一二三四五六七八九十]+是", heading):
            return _match_area(heading) or "其他"
    if fact is not None and fact.base()[1] not in ("%", "百分点"):
        return _match_area(fact.indicator) or _match_area(clause.text) or GENERAL
    return GENERAL


def _match_area(text: str) -> str | None:
    """The area whose words the text uses most (distinct words; ties go to the earlier area), or None.

    Counting rather than taking the first area with any word: "现代消费中心…现代服务业这个朝阳产业"
    names 消费 and 服务业 (消费与服务业) once each and 产业 (工业与科技) once.
    """
    best, best_n = None, 0
    for area, words in AREAS:
        n = sum(1 for w in words if w in text)
        if n > best_n:
            best, best_n = area, n
    return best


# Counts of the documents' own structure ("抓好8个方面重点工作", "部署了9项重点工作"), not commitments.
_STRUCTURE = re.compile(r"^(?:个)?(?:方面|项)?(?:重点)?(?:工作|任务)")


def is_commitment(fact: Fact, clause: Clause) -> bool:
    """A figure that commits to something, not a count of the document's own parts."""
    after = clause.text[fact.end - clause.start :]
    return not _STRUCTURE.match(after)


@dataclass(frozen=True)
class Commitment:
    area: str
    indicator: str
    value: str  # with its qualifiers, as the source writes them
    year: int | None
    kind: str
    doc_id: str
    title: str
    section: str
    source: str
    line_start: int
    line_end: int
    quote: str
    clause_id: str


def commitments(corpus: Corpus, year: int | None = None, kind: str | None = "target", doc: str | None = None) -> list[Commitment]:
    """The documents' figures of a year and kind (by default targets), each with its area; of a Corpus or an Index."""
    corpus = getattr(corpus, "corpus", corpus)
    out = []
    for f, c in corpus.facts(year=year, kind=kind, doc=doc):
        if not is_commitment(f, c):
            continue
        d = corpus.by_doc[c.doc_id]
        out.append(
            Commitment(
                area_of(c, f), f.indicator, figure_text(f), f.year, f.kind, d.id, d.title, c.section, d.source,
                c.line_start, c.line_end, c.text, c.id,
            )
        )
    return sorted(out, key=lambda m: area_order(m.area))


def area_order(area: str) -> int:
    """Position of an area in listings: overall targets first, then AREAS, then 其他."""
    names = [GENERAL] + [a for a, _ in AREAS]
    return names.index(area) if area in names else len(names)
