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
# A question asks for a figure when it asks how much, how many, what rate, what rank — or
# names a target or result without asking anything else ("2024年新增停车位目标").
ASKS_FIGURE = re.compile(r"多少|几[个家所项条处万亿位名户]|几成|多大|多长|多高|多快|目标是|指标|增长|增速|比重|比例|占比|规模|数量|第几|排名|排第|名次|率")
ASKS_NUMBER = re.compile(r"多少|几[个家所项条处万亿位名户]|第几|多大|多长|多高")
_NAMES_FIGURE = re.compile(r"(?:目标|计划|任务|预期|完成情况|完成了?多少|数字|数据|情况)$")
_ASKS_OTHER = re.compile(r"哪些|哪里|哪儿|哪个|什么|怎么|怎样|如何|为什么|为何|措施|举措|办法|意义|内容")
_ASKED_UNIT = re.compile(r"(?:多少|几)((?:万|亿)?(?:" + "|".join(re.escape(u) for u in BASE_UNITS if u != "个") + "))")
# Where a question splits into parts: sentence and clause stops, and joins between asked figures.
_PART_STOP = re.compile(r"[？?；;。！!，,]|以及|并且|同时|另外")
_RESPECTIVELY = re.compile(r"^(.*?)(?:分别|各)(.*)$")
_JOIN = re.compile(r"和|及|与|、|以及")
# Words naming a kind of document, as a question says them, and what they match in the catalog.
_DOC_WORDS = (
    (re.compile(r"公报|全会|全体会议"), lambda d: d.kind == "communique" or "公报" in d.title),
    (re.compile(r"政府工作报告|工作报告"), lambda d: "工作报告" in d.title or (d.kind == "report" and "政府" in d.issuer + d.title)),
    (re.compile(r"国务院"), lambda d: "国务院" in d.issuer + d.title),
    (re.compile(r"党代会|代表大会报告|党的[一二三四五六七八九十]+大"), lambda d: "代表大会" in d.title),
    (re.compile(r"市委"), lambda d: "委员会" in d.issuer and d.level == jur.CITY),
)


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


@dataclass(frozen=True)
class Part:
    """One asked measure: the words that name it, whether a figure is asked, and in what unit."""

    text: str
    asks_figure: bool
    unit: str | None  # base unit asked ("多少户" → 户), None when any


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
    half: str = ""  # 上半年, 一季度 …: a part of the year asked about

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
        if years and frame and frame.present is not None:
            return "target" if max(years) >= frame.present else "result"
        return None

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


def _date(d: DocInfo) -> tuple[int | None, int | None]:
    m = re.match(r"(\d{4})(?:-(\d{1,2}))?", d.date or "")
    return (int(m.group(1)), int(m.group(2)) if m.group(2) else None) if m else (None, None)


def named_document(question: str, corpus: Corpus, years: tuple[int, ...] = ()) -> DocInfo | None:
    """The document a question names by its kind or issuer (公报, 国务院 …); with several, the one
    of the year it names, else the newest."""
    for pattern, test in _DOC_WORDS:
        if pattern.search(question):
            docs = [d for d in corpus.docs if test(d)]
            if not docs:
                continue
            of_year = [d for d in docs if d.this_year in years]
            return max(of_year or docs, key=lambda d: (d.this_year or 0, d.date))
    return None


def split_parts(question: str) -> list[Part]:
    """One part per measure asked: split at stops, at 分别 lists and at repeated 多少."""
    pieces = [p for p in _PART_STOP.split(question) if p and p.strip()]
    out: list[str] = []
    for piece in pieces:
        m = _RESPECTIVELY.match(piece)
        if m and ASKS_FIGURE.search(m.group(2)):
            subjects = [s for s in _JOIN.split(m.group(1)) if s.strip()]
            if len(subjects) > 1:
                # "地区生产总值和规模以上工业增加值分别增长多少" → one part per subject.
                lead = _lead_time(subjects[0])
                out.extend((lead if i and lead else "") + s + m.group(2) for i, s in enumerate(subjects))
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
    for text in out:
        unit = _ASKED_UNIT.search(text)
        parts.append(Part(text, _asks_figure(text), to_base(1, unit.group(1))[1] if unit else None))
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


def analyze(question: str, corpus: Corpus | None = None) -> QueryAnalysis:
    """The QueryAnalysis of a normalized question (see the module docstring)."""
    times = tuple(expressions(question))
    regions = {d.region: d.level for d in corpus.docs if d.region} if corpus is not None else {}
    region = jur.named(question, regions)
    absolute = tuple(y for t in times if not t.relative for y in Frame(None).years(t))
    doc = named_document(question, corpus, absolute) if corpus is not None else None
    pres = presents(corpus) if corpus is not None else {}
    frame = None
    if doc is not None and doc.this_year:
        frame = Frame.of(doc.this_year, *_date(doc))
        region = region or doc.region or None
    elif region and region in pres:
        frame = pres[region]
    half = HALF.search(question)
    return QueryAnalysis(
        question=question,
        times=times,
        kind=intent(question),
        parts=tuple(split_parts(question)),
        jurisdiction=region,
        document=doc,
        frame=frame,
        presents=pres,
        half=half.group() if half else "",
    )
