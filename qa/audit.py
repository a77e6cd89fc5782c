"""Auditing: check a claim against the documents, list cross-document conflicts and commitments.

A claim's figures are matched to the documents' facts on four things: the indicator (up to
the verbs documents vary on, and the synonym table), the year, the kind (target or result)
and the value, compared in base units with qualifiers read as ranges (以上 is a floor, 以内
a ceiling, 左右/约 ±5%). Each document speaks for itself, so one claim can be supported by
one document and contradicted by another (部分支持).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import cached_property

from .answer import AGREEMENT, CONTRADICTION, KIND_LABEL, MEASURE, Answerer, _lcs, figure_text, indicator_key, normalize_question
from .corpus import Citation, Corpus
from .facts import Fact, extract
from .index import Index
from .retrieve import query_frame
from .segment import Clause
from .timescope import PLAN, REVIEW, Scope

SUPPORTED, CONTRADICTED, PARTLY, NOT_FOUND = "supported", "contradicted", "partly", "not_found"
LABELS = {SUPPORTED: "支持", CONTRADICTED: "矛盾", PARTLY: "部分支持", NOT_FOUND: "未找到"}
GROUP_LABELS = {CONTRADICTION: "矛盾", MEASURE: "口径不同", AGREEMENT: "一致"}

_FLOOR = ("以上", "超过", "突破", "不低于", "不少于", "至少", "超", "多", "余")
_CEILING = ("以内", "以下", "不超过", "不高于")
_ABOUT = ("左右", "约", "近")
_TIME_WORDS = re.compile(r"(?:19|20)\d{2}年|今年|明年|去年|上年|本年|过去一年|全年|全市|全区|首府|呼和浩特市?|我市")
_NOT_MEASURE = re.compile(r"(?:的)?(?:目标|计划|任务|预期|完成|实现|达到|为|是|约|共|累计)+$")
_PERIOD = re.compile(r"累计|[两三四五六七八九十]年(?:来|内|间|共|累计)|(?:19|20)\d{2}\s*[—–\-至到]\s*(?:19|20)\d{2}")
_CHANGE_TAIL = re.compile(r"(?:增长|下降|减少)$")  # not 提升: "改造提升" is a kind of work, not a rate
_COMPOUND = re.compile(r"和|及|与|、|\+")


# -- values --------------------------------------------------------------------------------


def value_range(number: float, unit: str, qualifier: str) -> tuple[float, float, float]:
    """(low, high, point) of a value in base units, with its qualifiers read as ranges."""
    from .facts import to_base

    point, _ = to_base(number, unit)
    lo = hi = point
    if any(q in qualifier for q in _FLOOR):
        hi = math.inf
    elif any(q in qualifier for q in _CEILING):
        lo = -math.inf if point < 0 else 0.0
    elif any(q in qualifier for q in _ABOUT):
        lo, hi = point * 0.95, point * 1.05
    return lo, hi, point


def _close(a: float, b: float) -> bool:
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= 1e-9 * max(abs(a), abs(b), 1.0)


def agrees(claim: Fact, doc: Fact) -> bool:
    """The document's value bears the claim out.

    The claim holds when everything the document allows lies inside what the claim says
    ("超过5万人" against "6万人以上"), or when the claim names the document's own bound
    ("6万人" against "6万人以上": the target is written with its floor).
    """
    c_lo, c_hi, c_pt = value_range(claim.number, claim.unit, claim.qualifier)
    d_lo, d_hi, d_pt = value_range(doc.number, doc.unit, doc.qualifier)
    if _close(c_pt, d_pt):
        return True
    return (c_lo <= d_lo or _close(c_lo, d_lo)) and (d_hi <= c_hi or _close(c_hi, d_hi))


# -- indicators ----------------------------------------------------------------------------


def _read_aliases() -> list[tuple[str, str]]:
    from importlib.resources import files

    out = []
    for line in files("qa").joinpath("data/measures.tsv").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            canonical, variants = line.split("\t")
            out += [(v, canonical) for v in variants.split()]
    return sorted(out, key=lambda x: -len(x[0]))


ALIASES = _read_aliases()


def measure_key(indicator: str) -> str:
    """What an indicator measures, without time words, verbs and 目标/完成 tails; the names
    qa/data/measures.tsv lists for one measure become its canonical name."""
    key = indicator_key(_TIME_WORDS.sub("", indicator))
    key = _NOT_MEASURE.sub("", key)
    for variant, canonical in ALIASES:
        if variant in key:
            return canonical
    return indicator_key(key) or indicator


def similarity(a: str, b: str) -> float:
    """How surely two indicators name the same measure: 1 same key, 0.9 one inside the other,
    0.7 one a part of the other's list, less by the longest run of characters they share."""
    ka, kb = measure_key(a), measure_key(b)
    if ka == kb:
        return 1.0
    ca, cb = _CHANGE_TAIL.search(ka), _CHANGE_TAIL.search(kb)
    if (ca and ca.group()) != (cb and cb.group()):
        return 0.0  # a growth rate and a level, or two different changes
    if ca:  # compare what grows: "接待国内游客增长" ~ "接待国内游客人数增长"
        ka, kb = (re.sub(r"(?:人数|数量)$", "", k[: m.start()]) for k, m in ((ka, ca), (kb, cb)))
        if ka == kb:
            return 1.0
    short = min(len(ka), len(kb))
    if short >= 2 and (ka in kb or kb in ka):
        longer = ka if len(ka) > len(kb) else kb
        # "城市绿道和健身步道" holds "城市绿道" as one of its parts: a wider measure, not the same.
        return 0.7 if _COMPOUND.search(longer.replace(min(ka, kb, key=len), "")) else 0.9
    common = _lcs(ka, kb)
    return 0.8 * common / short if common >= 2 and short else 0.0


# -- claim check ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    claim: str
    verdict: str  # supported | contradicted | partly | not_found
    label: str  # 支持 | 矛盾 | 部分支持 | 未找到
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
        years = [d.this_year for d in self.corpus.docs if d.this_year]
        self.present = max(years) if years else None

    @cached_property
    def answerer(self) -> Answerer:
        return Answerer(self.index)

    @cached_property
    def _facts(self) -> list[tuple[Fact, Clause]]:
        return self.corpus.facts()

    def claim_facts(self, claim: str) -> tuple[list[Fact], tuple[int, ...], str | None]:
        """The figures a claim states, the years it names and the kind its words say (or None)."""
        years = query_frame(claim, self.present).years
        words_kind = query_frame(claim, None).kind  # from its words alone, not inferred from years
        kind = {PLAN: "target", REVIEW: "result"}.get(words_kind or "")
        scope = Scope(years[0] if len(years) == 1 else None, words_kind or "other")
        facts = [f for f in extract(claim, 0, len(claim), lambda pos: scope) if f.indicator != "（未标明）"]
        return facts, years, kind

    def candidates(self, fact: Fact) -> list[tuple[float, Fact, Clause]]:
        """The documents' facts that may measure what a claim's fact measures, best first."""
        names = [fact.indicator] + self._synonym_variants(fact.indicator)
        out = []
        for f, c in self._facts:
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
        out = []
        for key, targets in self.index.tokenizer.synonyms:
            if key in indicator and len(key) > 1:
                out.extend(indicator.replace(key, t) for t in targets)
        return out

    def nearest(self, claim: str, k: int = 3) -> tuple[Citation, ...]:
        """The passages closest to a claim, for a verdict that found no evidence (as an abstained answer shows)."""
        text = normalize_question(claim, "说法")
        return tuple(self.corpus.cite(h.clause, n, h.score) for n, h in enumerate(self.answerer.retriever.search(text, k), 1))

    def check(self, claim: str) -> Verdict:
        text = normalize_question(claim, "说法")
        facts, years, kind = self.claim_facts(text)
        ev = _Evidence(self.corpus)
        if not facts:
            return self._check_text(claim, text, ev)
        results = [self._check_fact(f, years, kind, ev) for f in facts]
        verdicts = {v for v, _ in results}
        if verdicts == {SUPPORTED}:
            verdict = SUPPORTED
        elif verdicts == {NOT_FOUND}:
            verdict = NOT_FOUND
        elif verdicts <= {CONTRADICTED, NOT_FOUND}:
            verdict = CONTRADICTED
        else:
            verdict = PARTLY
        reason = "".join(r for _, r in results)
        return Verdict(claim, verdict, LABELS[verdict], reason, tuple(ev.cites))

    def _check_fact(self, fact: Fact, years: tuple[int, ...], kind: str | None, ev: _Evidence) -> tuple[str, str]:
        said = f"“{fact.indicator}{figure_text(fact)}”"
        cands = self.candidates(fact)
        if not cands:
            return NOT_FOUND, f"文件中没有找到{said}这项指标的数字。"

        def fits(f: Fact) -> bool:
            return (not years or f.year in years) and (kind is None or f.kind == kind)

        when = "、".join(f"{y}年" for y in years) + (KIND_LABEL[kind] if kind else "")
        group = [(s, f, c) for s, f, c in cands if fits(f)]
        elsewhere = [(f, c) for _, f, c in cands if not fits(f) and agrees(fact, f)]
        if not group:
            if elsewhere:
                f, c = elsewhere[0]
                return CONTRADICTED, (
                    f"{figure_text(f)}是{_when(f)}[{ev(c)}]，不是{when or '声明所说'}的数字；文件中没有{when}的这项数字。"
                )
            shown = "；".join(f"{_when(f)}“{f.indicator}{figure_text(f)}”[{ev(c)}]" for _, f, c in cands[:3])
            return NOT_FOUND, f"文件中没有{when}{said}的数字，只有：{shown}。"
        per_doc: dict[str, tuple[Fact, Clause]] = {}
        for _, f, c in group:  # per document: the fact that bears the claim out, else the closest
            if c.doc_id not in per_doc or (agrees(fact, f) and not agrees(fact, per_doc[c.doc_id][0])):
                per_doc[c.doc_id] = (f, c)
        ok = {d: fc for d, fc in per_doc.items() if agrees(fact, fc[0])}
        bad = {d: fc for d, fc in per_doc.items() if d not in ok}

        def says(fc: tuple[Fact, Clause]) -> str:
            f, c = fc
            return f"{self.corpus.by_doc[c.doc_id].title}[{ev(c)}]为{_when(f)}“{f.indicator}{figure_text(f)}”"

        if ok and not bad:
            return SUPPORTED, f"与原文一致：" + "；".join(says(fc) for fc in ok.values()) + "。"
        if ok:
            return PARTLY, (
                "与部分文件一致：" + "；".join(says(fc) for fc in ok.values()) + "。但"
                + "；".join(says(fc) for fc in bad.values()) + "，文件之间的数字不一致。"
            )
        reason = f"与原文不符：声明为{said}，而" + "；".join(says(fc) for fc in bad.values()) + "。"
        if elsewhere:
            f, c = elsewhere[0]
            reason += f"{figure_text(fact)}是{_when(f)}[{ev(c)}]，不是{when or '声明所说'}的数字。"
        return CONTRADICTED, reason

    def _check_text(self, claim: str, text: str, ev: _Evidence) -> Verdict:
        """A claim without figures: supported when one clause carries its content words."""
        hits = self.answerer.retriever.search(text, 3)
        if hits and self.answerer.coverage(text, hits[0]) >= self.text_support and _own_cover(self.answerer, text, hits[0].clause):
            n = ev(hits[0].clause, hits[0].score)
            title = self.corpus.by_doc[hits[0].clause.doc_id].title
            return Verdict(claim, SUPPORTED, LABELS[SUPPORTED], f"{title}中有相应的表述[{n}]。", tuple(ev.cites))
        reason = "文件中没有找到与这条声明相符的表述。"
        return Verdict(claim, NOT_FOUND, LABELS[NOT_FOUND], reason, ())


def _own_cover(answerer: Answerer, text: str, clause: Clause) -> bool:
    """Most of the claim's content words stand in the clause itself, not only around it."""
    concepts = answerer._concepts(text)
    got = sum(any(w in clause.text for w in c) for c in concepts)
    return bool(concepts) and got / len(concepts) >= 0.75


def _when(f: Fact) -> str:
    """"2023年的完成情况", "2024年的目标", "2024年的数字"."""
    year = f"{f.year}年的" if f.year else ""
    return year + (KIND_LABEL.get(f.kind) or "数字")


# -- conflicts -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    fact: Fact
    citation: Citation

    def to_dict(self) -> dict:
        f = self.fact
        return {"doc_id": self.citation.doc_id, "indicator": f.indicator, "value": figure_text(f), "kind": f.kind, "citation": self.citation.to_dict()}


@dataclass(frozen=True)
class ConflictEntry:
    indicator: str
    year: int
    group: str  # contradiction | measure | agreement
    reason: str
    figures: tuple[Figure, ...]

    @property
    def label(self) -> str:
        return GROUP_LABELS[self.group]

    def to_dict(self) -> dict:
        return {
            "indicator": self.indicator,
            "year": self.year,
            "group": self.group,
            "label": self.label,
            "reason": self.reason,
            "figures": [f.to_dict() for f in self.figures],
        }


def conflicts(corpus: Corpus, min_similarity: float = 0.7) -> list[ConflictEntry]:
    """Every indicator and year for which two or more documents give figures, grouped.

    Figures of different documents are linked when their indicators name the same measure,
    or one names a part of the other's (`similarity` ≥ 0.7), in the same unit and year.
    Takes a Corpus, or an Index (its corpus is used).
    """
    corpus = getattr(corpus, "corpus", corpus)
    facts = [(f, c) for f, c in corpus.facts() if f.year is not None]
    parent = list(range(len(facts)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    # Only figures of one year, type and unit whose measure keys share a character pair can
    # reach the threshold (any match needs two characters in common), so compare just those.
    postings: dict[tuple, list[int]] = {}
    for i, (f, _) in enumerate(facts):
        key = measure_key(f.indicator)
        for gram in {key[k : k + 2] for k in range(max(1, len(key) - 1))}:
            postings.setdefault((f.year, f.type, f.base()[1], gram), []).append(i)
    seen: set[tuple[int, int]] = set()
    for members in postings.values():
        for a, i in enumerate(members):
            for j in members[a + 1 :]:
                if (i, j) in seen or facts[i][1].doc_id == facts[j][1].doc_id:
                    continue
                seen.add((i, j))
                if similarity(facts[i][0].indicator, facts[j][0].indicator) >= min_similarity:
                    parent[root(j)] = root(i)
    clusters: dict[int, list[int]] = {}
    for i in range(len(facts)):
        clusters.setdefault(root(i), []).append(i)
    entries = []
    for members in clusters.values():
        if len({facts[i][1].doc_id for i in members}) < 2:
            continue
        chosen, group, reason = _explain([facts[i] for i in members], corpus)
        first = chosen[0][0]
        figures = tuple(Figure(f, corpus.cite(c, 0)) for f, c in chosen)
        entries.append(ConflictEntry(first.indicator, first.year, group, reason, figures))
    order = {CONTRADICTION: 0, MEASURE: 1, AGREEMENT: 2}
    return sorted(entries, key=lambda e: (order[e.group], -e.year, e.indicator))


def _explain(members: list[tuple[Fact, Clause]], corpus: Corpus) -> tuple[list[tuple[Fact, Clause]], str, str]:
    """The figures an entry shows, its group and the reason, for linked figures of one year.

    A document may give several figures that link to another's: the one that agrees with the
    other documents speaks for it ("重点项目1100个" beside "农业重点项目17个"); figures
    that add up to another document's single figure are its parts (新建14所 + 续建47所).
    """
    by_doc: dict[str, list[tuple[Fact, Clause]]] = {}
    for f, c in members:
        by_doc.setdefault(c.doc_id, []).append((f, c))
    docs = list(by_doc)
    common = set.intersection(*({round(f.base()[0], 6) for f, _ in by_doc[d]} for d in docs))
    if common:
        v = min(common)
        chosen = [next((f, c) for f, c in by_doc[d] if round(f.base()[0], 6) == v) for d in docs]
        return chosen, AGREEMENT, "各文件给出的数字相同。"
    for d in docs:  # one document's parts against another's whole
        parts = by_doc[d]
        if len(parts) < 2:
            continue
        total = sum(f.base()[0] for f, _ in parts)
        unit = parts[0][0].base()[1]
        listed = "、".join(f"{f.indicator}{figure_text(f)}" for f, _ in parts)
        for e in docs:
            if e == d:
                continue
            whole = next(((f, c) for f, c in by_doc[e] if _close(f.base()[0], total)), None)
            if whole:
                reason = (
                    f"统计范围不同：{corpus.by_doc[d].title}分项列出（{listed}），合计{_number(total)}{unit}，"
                    f"与{corpus.by_doc[e].title}的“{whole[0].indicator}{figure_text(whole[0])}”相同。"
                )
                return parts + [whole], MEASURE, reason
            combined = [(f, c) for f, c in by_doc[e] if len(_verbs(_lead_in(f, c) + f.indicator)) > 1]
            if len(combined) == 1 and len({_verbs(f.indicator) for f, _ in parts}) > 1:
                f, c = combined[0]
                reason = (
                    f"按同一口径相加仍不一致：{corpus.by_doc[d].title}分项列出（{listed}），合计{_number(total)}{unit}；"
                    f"{corpus.by_doc[e].title}的“{f.indicator}{figure_text(f)}”是合计数。"
                )
                return parts + [(f, c)], CONTRADICTION, reason
    chosen = [max(by_doc[d], key=lambda fc, d=d: _affinity(fc[0], by_doc, d)) for d in docs]
    group, reason = _classify(chosen, corpus)
    return chosen, group, reason


def _affinity(f: Fact, by_doc: dict[str, list[tuple[Fact, Clause]]], own: str) -> float:
    """How closely a figure's indicator matches the other documents' figures."""
    return max(similarity(f.indicator, g.indicator) for d, fcs in by_doc.items() if d != own for g, _ in fcs)


def _number(x: float) -> str:
    return f"{x:g}" if x < 1e4 else f"{x / 1e4:g}万"


def _classify(members: list[tuple[Fact, Clause]], corpus: Corpus) -> tuple[str, str]:
    """Group and reason for figures of one measure and year, one from each document, that differ."""
    keys = {measure_key(f.indicator) for f, _ in members}
    same_key = all(similarity(f.indicator, g.indicator) == 1.0 for f, _ in members for g, _ in members)
    kinds = {f.kind for f, _ in members}
    periods = [f for f, c in members if _PERIOD.search(_lead_in(f, c))]
    scopes = {_verbs(_lead_in(f, c)) for f, c in members}
    compound = [f for f, _ in members if _COMPOUND.search(measure_key(f.indicator))]
    if periods:
        return MEASURE, f"统计时段不同：“{periods[0].indicator}{figure_text(periods[0])}”是多年累计数，其他是单年数。"
    if len(kinds) > 1:
        return MEASURE, "一份文件给出的是目标，另一份是完成情况，不能直接比较。"
    if len(scopes) > 1 and ("新建", "改造") in scopes:
        return MEASURE, "统计范围不同：一份文件只计新建，另一份是新建与改造提升的合计。"
    if compound and not same_key:
        return MEASURE, f"统计范围不同：“{compound[0].indicator}”包含多项，与其他文件的指标范围不一致。"
    if not same_key:
        named = "”与“".join(sorted(keys))
        return MEASURE, f"指标表述不同（“{named}”），可能不是同一口径。"
    reason = "同一指标、同一年份，各文件给出的数字不同。"
    f0 = members[0][0]
    if f0.kind == "result":
        early = [corpus.by_doc[c.doc_id] for _, c in members if corpus.by_doc[c.doc_id].date.startswith(str(f0.year))]
        if early:
            reason += f"（{early[0].title}成文于{early[0].date}，当时的完成情况可能还不是全年数。）"
    return CONTRADICTION, reason


def _lead_in(f: Fact, c: Clause) -> str:
    """The words before a figure back to the previous comma or stop, plus its qualifier:
    where a period (累计, 两年来) or the verbs that set the scope (新建、改造提升) stand."""
    before = c.text[: max(0, f.start - c.start)]
    return re.split(r"[，；。：]", before)[-1] + f.qualifier


def _verbs(text: str) -> tuple[str, ...]:
    return tuple(v for v, words in (("新建", ("新建", "新增")), ("改造", ("改造", "提升"))) if any(w in text for w in words))


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
