"""Measures: what a figure measures and how two figures relate, below answers and audit.

A figure (qa.facts.Fact) carries its measure's fields: the indicator it was written under,
the action (新建, 续建, 减少 …), polarity (不新建 → -1), value kind (level, delta, range end,
cumulative, average, share, rate), period, qualifier, unit and base value, verbatim text and
kind (target/result); its document gives the jurisdiction. Two figures are the same measure
only when object, action, value kind, period, kind and jurisdiction agree; otherwise they
differ in scope (口径不同), and `scope_difference` says how. Cross-document comparison
(`conflicts`) groups figures into contradictions, differences of scope and agreements.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from difflib import SequenceMatcher

from .corpus import Citation, Corpus
from .facts import LEVEL, RANGE_TO, Fact, to_base
from .jurisdiction import sub_area
from .segment import Clause
from .timescope import strip_time

# How figures of several documents for one measure and year relate.
CONTRADICTION, MEASURE, AGREEMENT = "contradiction", "measure", "agreement"
GROUP_LABELS = {CONTRADICTION: "矛盾", MEASURE: "口径不同", AGREEMENT: "一致"}
KIND_LABEL = {"target": "目标", "result": "完成情况", "other": ""}
_LEADING_VERB = re.compile(r"^(?:新增|新建|建成|完成|实施|建设|打造|实现|开展|推进|累计|全年|力争|争取)+")
_PLACE_WORDS = re.compile(r"全年|全市|全区|全省|全国|首府|我市|我国")


def indicator_key(indicator: str) -> str:
    """An indicator without the verbs documents vary on (新建充电桩 ~ 充电桩)."""
    key = _LEADING_VERB.sub("", re.sub(r"[“”\"、，]", "", indicator))
    return key or indicator


def figure_text(f: Fact) -> str:
    """The value with its qualifiers, in the order the source writes them."""
    pre = "" if not f.qualifier else re.match(r"(累计|超过|突破|达到|争取达到|力争达到|争取|力争|不低于|不少于|不超过|不高于|不足|不到|低于|少于|高于|多于|至少|最多|约|近|超|达|共)?", f.qualifier).group()
    post = f.qualifier[len(pre) :]
    return f"{pre}{f.value}{post}"


# Actions that count the same things, and those that run the other way.
_ACTION_GROUP = {
    "新建": "new", "新增": "new", "新开工": "new", "引进": "new", "培育": "new",
    "续建": "continue", "新建续建": "new+continue", "新续建": "new+continue",
    "改造": "renovate", "提升": "renovate", "改造提升": "renovate", "提升改造": "renovate", "改扩建": "renovate",
    "拆除": "remove", "关闭": "remove", "淘汰": "remove", "压减": "remove",
    "减少": "decrease", "下降": "decrease", "降低": "decrease",
    "增加": "increase", "增长": "increase", "提高": "increase", "上升": "increase",
}
_OPPOSITE = {("new", "remove"), ("increase", "decrease"), ("new", "decrease"), ("increase", "remove")}
VALUE_KIND_LABEL = {
    "level": "总量", "delta": "比上年的增减量", "range_from": "起点数", "range_to": "达到的数",
    "cumulative": "多年累计数", "average": "年均数", "share": "其中的分项数", "rate": "增长率",
}


def action_group(action: str) -> str:
    """The kind of work an action counts: 新建 and 新增 are one, 新建、改造提升 is new+renovate."""
    if "、" in action:
        return "+".join(sorted({_ACTION_GROUP.get(a, a) for a in action.split("、")}))
    return _ACTION_GROUP.get(action, "")


def opposite(a: Fact, b: Fact) -> bool:
    """The two figures run opposite ways: 新建 against 拆除, 增长 against 下降, 不新建 against 新建, −4.4万 against 4.4万."""
    ga, gb = action_group(a.action), action_group(b.action)
    if ga and gb and ((ga, gb) in _OPPOSITE or (gb, ga) in _OPPOSITE):
        return True
    return a.polarity != b.polarity


def _value_kind(f: Fact) -> str:
    return LEVEL if f.value_kind == RANGE_TO else f.value_kind  # "从A提高到B": B is the level reached


def scope_difference(a: Fact, b: Fact, region_a: str = "", region_b: str = "") -> str | None:
    """Why two figures of one indicator are not the same measure (口径不同), or None when they are.

    Different jurisdiction, action (新建 vs 新建续建), value kind (a delta vs a level, a total
    over five years vs one year's), period or kind (target vs result) each make a difference of
    scope; opposite actions are left to the caller (a contradiction in a claim check).
    """
    if region_a and region_b and region_a != region_b:
        return f"地区不同：一个是{region_a}的数字，一个是{region_b}的数字。"
    area_a, area_b = sub_area(a.indicator), sub_area(b.indicator)
    if area_a != area_b:  # 综保区进出口总额 against the whole jurisdiction's 进出口总额
        return f"地区范围不同：一个是{area_a or '全域'}的数字，一个是{area_b or '全域'}的数字。"
    if a.period != b.period:
        pa, pb = a.period or f"{a.year}年" if a.year else "单年", b.period or f"{b.year}年" if b.year else "单年"
        return f"统计时段不同：一个是{pa}的数字，一个是{pb}的数字。"
    ka, kb = _value_kind(a), _value_kind(b)
    if ka != kb:
        return f"数字的性质不同：一个是{VALUE_KIND_LABEL.get(ka, ka)}，一个是{VALUE_KIND_LABEL.get(kb, kb)}。"
    ga, gb = action_group(a.action), action_group(b.action)
    if ga != gb and ga and gb and not ((ga, gb) in _OPPOSITE or (gb, ga) in _OPPOSITE):
        return f"统计范围不同：一个是“{a.action}”的数，一个是“{b.action}”的数。"
    if a.kind != b.kind and "other" not in (a.kind, b.kind):
        return f"一个是{KIND_LABEL.get(a.kind, a.kind)}，一个是{KIND_LABEL.get(b.kind, b.kind)}，不能直接比较。"
    return None


_CHANGE_WORDS = re.compile(r"(?:比上一?年|较上年|比去年|较去年|同比)?(?:分别)?(?:增加|减少|增长|下降|提高|降低|上升|多|少)?(?:了)?(?:到|至)?$")


def shown(f: Fact, clause: Clause) -> str:
    """A figure as an answer shows it: its indicator, the words that say what kind of value it is
    (比去年增加, 减少到, 从), and the value with its qualifiers — "中央预算内投资比去年增加400亿元"."""
    from .facts import DELTA, RANGE_FROM

    words = ""
    if f.value_kind in (DELTA, RANGE_TO, RANGE_FROM):
        lead = re.split(r"[，、；。：]", clause.text[: max(0, f.start - clause.start)])[-1]
        if f.value_kind == RANGE_FROM:
            words = "从" if re.search(r"(?:从|由)[^从由]{0,6}$", lead) else ""
        else:
            words = _CHANGE_WORDS.search(lead).group()
            if words and f.indicator.endswith(words):
                words = ""
    return f"{f.indicator}{words}{figure_text(f)}"


def lcs(a: str, b: str) -> int:
    """Length of the longest common substring (difflib's, with no junk heuristic: exact)."""
    return SequenceMatcher(None, a, b, autojunk=False).find_longest_match(0, len(a), 0, len(b)).size


_FLOOR = ("以上", "超过", "突破", "不低于", "不少于", "至少", "高于", "多于", "超", "多", "余")
_CEILING = ("以内", "以下", "不超过", "不高于", "不足", "不到", "低于", "少于", "最多")
_ABOUT = ("左右", "约", "近")
_NOT_MEASURE = re.compile(r"(?:的)?(?:目标|计划|任务|预期|完成|实现|达到|为|是|约|共|累计)+$")
_PERIOD = re.compile(r"累计|[两三四五六七八九十]年(?:来|内|间|共|累计)|(?:19|20)\d{2}\s*[—–\-至到]\s*(?:19|20)\d{2}")
_CHANGE_TAIL = re.compile(r"(?:增长|下降|减少)$")  # not 提升: "改造提升" is a kind of work, not a rate
_COMPOUND = re.compile(r"和|及|与|、|\+")

# -- values --------------------------------------------------------------------------------


def value_range(number: float, unit: str, qualifier: str) -> tuple[float, float, float]:
    """(low, high, point) of a value in base units, with its qualifiers read as ranges."""
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
    key = indicator_key(_PLACE_WORDS.sub("", strip_time(indicator)))
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
    ha, hb = _heads(ka), _heads(kb)
    if (ha and ha == kb) or (hb and hb == ka):  # "口袋公园和社区游园" named short: "公园游园"
        return 1.0
    if (ha and ha in kb) or (hb and hb in ka):  # … and inside longer words: "群众家门口的公园游园"
        return 0.9
    short = min(len(ka), len(kb))
    if short >= 2 and (ka in kb or kb in ka):
        longer = ka if len(ka) > len(kb) else kb
        # "城市绿道和健身步道" holds "城市绿道" as one of its parts: a wider measure, not the same.
        return 0.7 if _COMPOUND.search(longer.replace(min(ka, kb, key=len), "")) else 0.9
    common = lcs(ka, kb)
    return 0.8 * common / short if common >= 2 and short else 0.0



def _heads(key: str) -> str:
    """A list of kinds named by their heads, joined ("口袋公园和社区游园" → "公园游园"): how a
    document names the same things short; "" when the key is not such a list."""
    parts = _COMPOUND.split(key)
    if len(parts) < 2 or any(len(p) < 3 for p in parts):
        return ""
    return "".join(p[-2:] for p in parts)


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
    for i, (f, c) in enumerate(facts):
        key = measure_key(f.indicator)
        for gram in {key[k : k + 2] for k in range(max(1, len(key) - 1))}:
            postings.setdefault((f.year, f.type, f.base()[1], _region(corpus, c), gram), []).append(i)
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


def _region(corpus: Corpus, c: Clause) -> str:
    return corpus.by_doc[c.doc_id].region


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
    for f, _ in members[1:]:
        why = scope_difference(members[0][0], f)
        if why and not opposite(members[0][0], f):
            return MEASURE, why
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

