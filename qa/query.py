"""Question analysis: a question (or a claim) read once into a typed QueryAnalysis.

What it holds: the time expressions and the frame that resolves them, target/result intent,
the parts asked (one measure per part), the unit asked, the jurisdiction and the document
named. Relative years (今年, 前年 …) resolve against the document the question names (公报,
政府工作报告, 国务院 …), else the newest document of the jurisdiction it names, else — the
jurisdiction in question being the one each figure comes from — against the newest document
of that figure's jurisdiction (`years_for`). Time words are read by qa.timescope only.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from . import jurisdiction as jur
from .corpus import Corpus, DocInfo
from .errors import InputError
from .facts import BASE_UNITS, to_base
from .timescope import HALF, PLAN, REVIEW, Frame, TimeExpr, expressions, intent

MAX_QUESTION = 1000
_CJK = re.compile(r"[\u4e00-\u9fff]")
_LATIN = re.compile(r"[A-Za-z]{2,}")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
# A question asks for a figure when it asks how much, how many, what rate, what rank — or
# names a target or result without asking anything else ("2024年新增停车位目标").
ASKS_FIGURE = re.compile(r"多少|几[个家所项条处万亿位名户]|几成|多大|多长|多高|多快|目标是|指标|增长|增速|比重|比例|占比|规模|数量|第几|排名|排第|名次|率")
ASKS_NUMBER = re.compile(r"多少|几[个家所项条处万亿位名户]|第几|多大|多长|多高")
_NAMES_FIGURE = re.compile(r"(?:目标|计划|任务|预期|完成情况|完成了?多少|数字|数据|情况)$")
_ASKS_OTHER = re.compile(r"哪些|哪里|哪儿|哪个|什么|怎么|怎样|如何|为什么|为何|措施|举措|办法|意义|内容")
# Words that name the kind of answer asked for ("有什么整治措施"), not what it is about: like 多少,
# they say nothing about which clause holds the answer.
ANSWER_TYPE = re.compile(r"措施|举措|办法|意义|内容")
_ASKED_UNIT = re.compile(r"(?:多少|几)((?:万|亿)?(?:" + "|".join(re.escape(u) for u in BASE_UNITS if u != "个") + "))")
# Where a question splits into parts: sentence and clause stops, and joins between asked figures.
_PART_STOP = re.compile(r"[？?；;。！!，,]|以及|并且|同时|另外")
_RESPECTIVELY = re.compile(r"^(.*?)(?:分别|各)(.*)$")
_JOIN = re.compile(r"和|及|与|、|以及")
# How a question names a document: "十九大报告", "2019年政府工作报告", "2022年的报告", "公报", "国务院".
_CN_ORD = "一二三四五六七八九十"
_DOC_PHRASE = re.compile(
    rf"(?:(?:(?:19|20)\d{{2}}年的?)?(?:国务院)?(?:政府)?工作报告|(?:19|20)\d{{2}}年的?报告|党的[{_CN_ORD}]+大(?:报告)?|[{_CN_ORD}]+大报告|(?:全会)?公报|国务院|报告(?=里|中|上|说|提到|提出|讲)"
    r"|第[一二三四五六七八九十]+次(?:全国)?代表大会(?:报告)?)(?:里|中|上|里面|当中)?(?:说|提到|提出|讲|写|指出|定的|明确)?(?:的|了)?"
)
_ORDINAL_DOC = re.compile(rf"(?:党的)?([{_CN_ORD}]+)大|第([{_CN_ORD}]+)次(?:全国)?代表大会")
_DOC_KIND_WORDS = (
    (re.compile(r"公报|全会"), lambda d: d.kind == "communique" or "公报" in d.title),
    (re.compile(r"政府工作报告|工作报告"), lambda d: "工作报告" in d.title or (d.kind == "report" and "政府" in d.issuer + d.title)),
    (re.compile(r"国务院"), lambda d: "国务院" in d.issuer + d.title),
    (re.compile(r"报告"), lambda d: d.kind == "report" or "报告" in d.title),
)


def normalize_question(question: str, what: str = "问题") -> str:
    """Full-/half-width forms unified, traditional characters simplified, whitespace trimmed.

    Raises InputError for an empty, over-long or non-Chinese question (or, with
    what="说法", a claim to check).
    """
    example = "2024年新增停车位4.4万个" if what == "说法" else "2024年新增停车位目标"
    if not isinstance(question, str):
        raise InputError(f"{what}必须是文本")
    if _SURROGATE.search(question):
        raise InputError(f"{what}含有无效字符（不成对的 UTF-16 代理码位），请检查文本的编码")
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


@dataclass(frozen=True)
class Part:
    """One asked measure: the words that name it, whether a figure is asked, and in what unit."""

    text: str
    asks_figure: bool
    unit: str | None  # base unit asked ("多少户" → 户), None when any
    # The part with the words its list shares ("钢铁和煤炭去产能的目标分别是多少": 钢铁 borrows
    # 去产能的目标), for a part that names no figure on its own; "" when nothing is shared.
    shared: str = ""


@dataclass(frozen=True)
class QueryAnalysis:
    question: str
    times: tuple[TimeExpr, ...]
    kind: str | None  # plan | review | None: what the question's words ask for
    parts: tuple[Part, ...]
    jurisdiction: str | None  # a region the question names (全国, 呼和浩特市), else None
    document: DocInfo | None  # the document the question names, else None
    frame: Frame | None  # the frame its relative words resolve in when it names one
    presents: dict = field(default_factory=dict, compare=False)  # region → Frame of its newest document
    planned: dict = field(default_factory=dict, compare=False)  # region → years its documents plan (their 今年 or later)
    half: str = ""  # 上半年, 一季度 …: a part of the year asked about
    content: str = ""  # the question without the words naming a document
    missing_document: str = ""  # the words naming a document the corpus does not hold

    @property
    def relative(self) -> bool:
        return any(t.relative for t in self.times)

    @property
    def asks_figure(self) -> bool:
        return any(p.asks_figure for p in self.parts)

    @property
    def asks_number(self) -> bool:
        return bool(ASKS_NUMBER.search(self.question))

    def years_for(self, region: str | None = None) -> tuple[int, ...]:
        """The years asked, relative words resolved for a figure of `region`'s documents."""
        frame = self.frame or self.presents.get(region or "") or self.presents.get(None) or Frame(None)
        out: list[int] = []
        for t in self.times:
            out.extend(frame.years(t))
        return tuple(dict.fromkeys(out))

    @property
    def years(self) -> tuple[int, ...]:
        """The years asked, in the frame of the question's own jurisdiction (or the newest)."""
        return self.years_for(self.jurisdiction)

    def want_kind(self, region: str | None = None) -> str | None:
        """target | result the question asks for: its words, else its years against the present."""
        if self.kind:
            return {PLAN: "target", REVIEW: "result"}[self.kind]
        years = self.years_for(region)
        frame = self.frame or self.presents.get(region or "") or self.presents.get(None)
        if not years or not frame or frame.present is None:
            return None
        if min(years) > frame.present:
            return "target"  # only plans speak of years after the newest document's
        if max(years) < frame.present and not any(y in self.planned.get(region, ()) for y in years):
            return "result"  # no document plans that year: only results can speak of it
        return None  # a year some document plans and a later one reviews: either may answer

    def stated(self, region: str | None = None) -> str:
        """How the answer states the years asked: "今年（2025年）", "2023年"."""
        frame = self.frame or self.presents.get(region or "") or self.presents.get(None) or Frame(None)
        out = []
        for t in self.times:
            ys = frame.years(t)
            if not ys:
                continue
            when = f"{ys[0]}年" if len(ys) == 1 else f"{ys[0]}—{ys[-1]}年"
            out.append(f"{t.text}（{when}）" if t.relative else when)
        return "、".join(out)


def presents(corpus: Corpus) -> dict:
    """region → Frame of that jurisdiction's newest document; None → the newest of any."""
    out: dict = {}
    best: dict = {}
    for d in corpus.docs:
        if not d.this_year:
            continue
        year, month = _date(d)
        key = (d.this_year, d.date)
        for region in (d.region, None):
            if region not in best or key > best[region]:
                best[region] = key
                out[region] = Frame.of(d.this_year, year, month)
    return out


def planned(corpus: Corpus) -> dict:
    """region → the years its documents plan for: each document's own 今年 (written early in it) or later."""
    out: dict = {}
    for d in corpus.docs:
        if d.this_year:
            year, month = _date(d)
            frame = Frame.of(d.this_year, year, month)
            first = frame.present + (1 if frame.late else 0)
            for region in (d.region, None):
                out.setdefault(region, set()).update(range(first, first + 6))
    return {r: tuple(sorted(ys)) for r, ys in out.items()}


def _date(d: DocInfo) -> tuple[int | None, int | None]:
    m = re.match(r"(\d{4})(?:-(\d{1,2}))?", d.date or "")
    return (int(m.group(1)), int(m.group(2)) if m.group(2) else None) if m else (None, None)


def named_document(question: str, corpus: Corpus) -> tuple[DocInfo | None, str, int | None]:
    """(document, the words naming it, the year those words hold) for a question that names one.

    "十九大报告" names the report whose title holds 第十九次; "2019年政府工作报告" the report of
    2019; "公报" the communique. A document named that the corpus does not hold comes back as
    (None, words, year): the question cannot be answered from these documents.
    """
    m = _DOC_PHRASE.search(question)
    if not m:
        return None, "", None
    phrase = m.group()
    year_m = re.match(r"((?:19|20)\d{2})年", phrase)
    year = int(year_m.group(1)) if year_m else None
    ordinal = _ORDINAL_DOC.search(phrase)
    if ordinal:
        n = ordinal.group(1) or ordinal.group(2)
        docs = [d for d in corpus.docs if f"第{n}次" in d.title]
        return (docs[0] if docs else None), phrase, None
    for pattern, test in _DOC_KIND_WORDS:
        if pattern.search(phrase):
            docs = [d for d in corpus.docs if test(d)]
            if year is not None:
                docs = [d for d in docs if d.this_year == year]
                if not docs:
                    return None, phrase, year
            if docs:
                return max(docs, key=lambda d: (d.this_year or 0, d.date)), phrase, year
    return None, "", None


def split_parts(question: str) -> list[Part]:
    """One part per measure asked: split at stops, at 分别 lists and at repeated 多少."""
    pieces = [p for p in _PART_STOP.split(question) if p and p.strip()]
    out: list[str] = []
    borrow: dict[int, str] = {}
    for piece in pieces:
        m = _RESPECTIVELY.match(piece)
        if m and ASKS_FIGURE.search(m.group(2)):
            subjects = [s for s in _JOIN.split(m.group(1)) if s.strip()]
            if len(subjects) > 1:
                # "地区生产总值和规模以上工业增加值分别增长多少" → one part per subject.
                lead = _lead_time(subjects[0])
                # What the last subject holds past the length of the first is read as shared by all
                # ("钢铁和煤炭去产能的目标": 去产能的目标), for the parts that need it.
                tail = subjects[-1][len(subjects[0]) - len(lead) :]
                for i, s in enumerate(subjects):
                    text = (lead if i and lead else "") + s + m.group(2)
                    if i < len(subjects) - 1 and tail:
                        borrow[len(out)] = (lead if i and lead else "") + s + tail + m.group(2)
                    out.append(text)
                continue
        asks = re.findall(r"多少|几[个家所项条处户名位]", piece)
        if len(asks) > 1:
            # "攻克多少项关键技术、转化多少项科技成果" → one part per 多少, cut at the joins between them.
            group = ""
            for seg in re.split(r"(?:、|以及|和|及|与)", piece):
                group = f"{group}、{seg}" if group else seg
                if re.search(r"多少|几[个家所项条处户名位]", seg):
                    out.append(group)
                    group = ""
            if group and out:
                out[-1] += "、" + group
            continue
        out.append(piece)
    parts = []
    for i, text in enumerate(out):
        unit = _ASKED_UNIT.search(text)
        parts.append(Part(text, _asks_figure(text), to_base(1, unit.group(1))[1] if unit else None, borrow.get(i, "")))
    if len([p for p in parts if p.asks_figure]) > 1 or not parts:
        return parts or [Part(question, _asks_figure(question), None)]
    # A single figure part is the whole question: the words around it say what it is about.
    unit = _ASKED_UNIT.search(question)
    return [Part(question, _asks_figure(question), to_base(1, unit.group(1))[1] if unit else None)]


def _lead_time(text: str) -> str:
    found = expressions(text)
    return text[: found[0].end] if found and found[0].start == 0 else ""


def _asks_figure(text: str) -> bool:
    core = re.sub(r"[？?。！!\s]+$", "", text)
    if ASKS_NUMBER.search(core):
        return True
    if _ASKS_OTHER.search(core):
        return False
    return bool(ASKS_FIGURE.search(core) or (expressions(core) and _NAMES_FIGURE.search(core)))


def analyze(question: str, corpus: Corpus | None = None, synonyms=None, places=frozenset(), words=None) -> QueryAnalysis:
    """The QueryAnalysis of a normalized question (see the module docstring).

    `synonyms` (the tokenizer's `synonym_matches`: text → (key, document words) for the phrase
    keys that are words of the text) let a colloquial place name (呼市) name its jurisdiction;
    `places` (the corpus lexicon's place names) let a question name a district of it (赛罕区),
    matched on `words` (the tokenizer's `cut`) — never inside another word.
    """
    doc, phrase, doc_year = named_document(question, corpus) if corpus is not None else (None, "", None)
    # What is asked, without the words that name the document ("十九大报告说…", "2019年政府工作报告里…").
    content = question.replace(phrase, "", 1) if phrase else question
    times = tuple(expressions(content))
    regions = corpus.regions if corpus is not None else {}
    named_as = " ".join(t for _, targets in synonyms(content) for t in targets) if synonyms else ""
    region = jur.named(content + " " + named_as, regions) or (jur.district(content, places, regions, words) if words else None)
    pres, plans = (corpus.derived(presents), corpus.derived(planned)) if corpus is not None else ({}, {})
    frame = None
    if doc is not None and doc.this_year:
        frame = Frame.of(doc.this_year, *_date(doc))
        region = region or doc.region or None
        if not times and doc_year is not None:
            # "2016年政府工作报告定的GDP增长目标": the year that names the report is the one asked
            times = tuple(expressions(f"{doc_year}年"))
    elif region and region in pres:
        frame = pres[region]
    half = HALF.search(content)
    return QueryAnalysis(
        question=question,
        times=times,
        kind=intent(content),
        parts=tuple(split_parts(content)),
        jurisdiction=region,
        document=doc,
        frame=frame,
        presents=pres,
        planned=plans,
        half=half.group() if half else "",
        content=content,
        missing_document=re.sub(r"(?:里|中|上|里面|当中)?(?:说|提到|提出|讲|写|指出|定的|明确)?(?:的|了)?$", "", phrase) if phrase and doc is None else "",
    )
