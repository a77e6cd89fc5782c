"""Time: the one model of what years a piece of text speaks of, for documents, questions,
claims and follow-ups alike.

A time expression is an explicit year (2024年), a span (2021—2025年, "十四五"时期), a word
relative to a frame's present year P (今年 = P, 明年 = P+1, 后年 = P+2, 去年/上年 = P-1,
前年 = P-2; 过去一年 = the year just reviewed; 过去五年/五年来 = the five years before it), or
a part of a year (上半年, 一季度) that keeps the year around it. A document's frame is its
this_year and date; a question's frame is the document or jurisdiction it names, else the
newest document of the jurisdiction in question (qa.query decides which).

Rules for a document's clauses, in order of strength:
1. A heading names its frame: "2023年工作回顾" is a review of 2023, "2024年工作安排" a plan.
2. Inside a clause the first time expression decides, resolved with the document's frame:
   过去一年/一年来 = P for a document written late in the year (a December communique),
   P-1 otherwise.
3. Year against P gives the kind: before P → review, after P → plan, P itself → plan for
   a document delivered in the first half of the year, review for one written late in it,
   unless the clause speaks in the future (要, 将, 力争, 还要 …).
4. Without an expression a clause takes its paragraph's scope, a paragraph the scope its
   first sentence sets or else the previous paragraph's under the same heading, and so on
   up to the heading. A relative word inside one clause never leaks into the next.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

REVIEW, PLAN, OTHER = "review", "plan", "other"

RELATIVE = {
    "今年": 0,
    "本年": 0,
    "年终岁尾": 0,
    "明年": 1,
    "来年": 1,
    "下一年": 1,
    "后年": 2,
    "去年": -1,
    "上年": -1,
    "上一年": -1,
    "前年": -2,
}
JUST_REVIEWED = ("过去一年", "过去的一年", "一年来", "这一年")
_CN_DIGIT = {"两": 2, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
# Five-year plans: the 14th runs 2021–2025, each one five years after the one before.
_PLANS = {"十一五": 2006, "十二五": 2011, "十三五": 2016, "十四五": 2021, "十五五": 2026}
_YEAR = r"(?<!\d)((?:19|20)\d{2})"
_SPAN = _YEAR + r"(?:年)?\s*[—–\-－~～至到]\s*((?:19|20)\d{2})年"
_BACK = r"(?:过去|近|前)([两二三四五六七八九十])年|([两二三四五六七八九十])年(?:来|以来|里|间)"
# A plan's name is a span of years only as a frame ("“十四五”时期", "十三五期间"), not as a subject
# ("“十三五”实现了良好开局") or a document ("“十三五”规划").
_PLAN_SPAN = r"[“\"]?(" + "|".join(_PLANS) + r")[”\"]?(?:时期|期间|规划期)"
_HALF = r"上半年|下半年|[一二三四1-4]季度|前三季度"
TIME_PATTERN = (
    _SPAN
    + "|" + _YEAR + "年"
    + "|" + _PLAN_SPAN
    + "|" + _BACK
    + "|" + "|".join(sorted(list(RELATIVE) + list(JUST_REVIEWED), key=len, reverse=True))
)
TIME_EXPR = re.compile(TIME_PATTERN)
# The same pattern without capturing groups, for use inside other patterns (qa.dialogue).
TIME_WORDS = re.sub(r"(?<!\\)\((?!\?)", "(?:", TIME_PATTERN)
HALF = re.compile(_HALF)
_FUTURE = re.compile(r"要|将|力争|争取|确保|计划|预计|预期|目标")
_HEAD_REVIEW = re.compile(r"回顾|总结|成绩|成效|完成情况|过去")
_HEAD_PLAN = re.compile(r"安排|计划|目标|任务|部署|规划|展望|打算|思路|工作重点")
# What a question or claim asks for: plans (targets) or what was done (results).
_PLAN_WORDS = re.compile(r"目标|计划|打算|预期(?!寿命)|预计|安排|部署|将要|要求|力争|争取|准备|再添|新举措|新措施|怎么做|任务|今年要|明年|后年")
_REVIEW_WORDS = re.compile(r"完成了|实现了|取得|成效|成绩|去年|前年|过去|上一年|上年|已经|达到了|做了|回顾|增长了|多少了|结果|实际")


@dataclass(frozen=True)
class TimeExpr:
    """One time expression: where it stands and what it says, before any frame resolves it."""

    start: int
    end: int
    text: str
    year: int | None = None  # an explicit year
    span: tuple[int, int] | None = None  # an explicit span of years
    offset: int | None = None  # years after the frame's present (今年 0, 去年 -1)
    reviewed: bool = False  # 过去一年: the year just reviewed
    back: int = 0  # 过去五年: the N years up to the one just reviewed

    @property
    def relative(self) -> bool:
        return self.year is None and self.span is None


def expressions(text: str) -> list[TimeExpr]:
    """Every time expression in text, in order."""
    out = []
    for m in TIME_EXPR.finditer(text):
        a, b, s = m.start(), m.end(), m.group(0)
        if s in RELATIVE and a and text[a - 1] in "比较同":
            continue  # "比上年增加", "较去年": a comparison, not the year spoken of
        if m.group(4) and text[b : b + 2] in ("规划", "纲要"):
            continue  # "“十三五”规划" names the plan, not the years spoken of
        if m.group(1):
            out.append(TimeExpr(a, b, s, span=(int(m.group(1)), int(m.group(2)))))
        elif m.group(3):
            out.append(TimeExpr(a, b, s, year=int(m.group(3))))
        elif m.group(4):
            first = _PLANS[m.group(4)]
            out.append(TimeExpr(a, b, s, span=(first, first + 4)))
        elif m.group(5) or m.group(6):
            out.append(TimeExpr(a, b, s, back=_CN_DIGIT[m.group(5) or m.group(6)]))
        elif s in RELATIVE:
            out.append(TimeExpr(a, b, s, offset=RELATIVE[s]))
        else:
            out.append(TimeExpr(a, b, s, reviewed=True))
    return out


@dataclass(frozen=True)
class Scope:
    year: int | None
    kind: str  # review | plan | other
    period: tuple[int, int] | None = None  # a span of years the text speaks of as a whole

    @property
    def fact_kind(self) -> str:
        return {REVIEW: "result", PLAN: "target"}.get(self.kind, "other")


NONE = Scope(None, OTHER)


@dataclass(frozen=True)
class Frame:
    """What relative words mean: the present year and when in it the text was written."""

    present: int | None
    late: bool = False  # written in the second half of the present year (reviews it)

    @classmethod
    def of(cls, this_year: int | None, year: int | None = None, month: int | None = None) -> Frame:
        present = this_year or year
        late = bool(present and year == present and month and month >= 7)
        return cls(present, late)

    def years(self, expr: TimeExpr) -> tuple[int, ...]:
        """The years an expression names (a span gives all of them), () when unresolved."""
        if expr.year is not None:
            return (expr.year,)
        if expr.span is not None:
            a, b = expr.span
            return tuple(range(a, b + 1)) if 0 <= b - a <= 20 else ()
        if self.present is None:
            return ()
        reviewed = self.present if self.late else self.present - 1
        if expr.offset is not None:
            return (self.present + expr.offset,)
        if expr.reviewed:
            return (reviewed,)
        if expr.back:
            return tuple(range(reviewed - expr.back + 1, reviewed + 1))
        return ()

    def resolve(self, expr: TimeExpr | str) -> int | None:
        """The single year an expression names, or None (a span or an unresolvable word)."""
        if isinstance(expr, str):
            found = expressions(expr)
            if not found:
                return None
            expr = found[0]
        ys = self.years(expr)
        return ys[0] if len(ys) == 1 else None

    def period(self, expr: TimeExpr) -> tuple[int, int] | None:
        ys = self.years(expr)
        return (ys[0], ys[-1]) if len(ys) > 1 else None

    def kind_of(self, year: int | None, text: str) -> str:
        if year is None or self.present is None:
            return PLAN if _FUTURE.search(text) else OTHER
        if year < self.present:
            return REVIEW
        if year > self.present:
            return PLAN
        if not self.late:
            return PLAN
        return PLAN if _FUTURE.search(text) else REVIEW


def intent(text: str) -> str | None:
    """PLAN or REVIEW when a question's or claim's words ask for one of them, else None."""
    plan, review = bool(_PLAN_WORDS.search(text)), bool(_REVIEW_WORDS.search(text))
    return PLAN if plan and not review else REVIEW if review and not plan else None


def strip_time(text: str) -> str:
    """Text without its time expressions (an indicator's 今年/2024年 say when, not what)."""
    return HALF.sub("", TIME_EXPR.sub("", text))


def leading_time(text: str, pos: int = 0) -> re.Match | None:
    """A time expression starting at pos."""
    return TIME_EXPR.match(text, pos)


def _scope_of(expr: TimeExpr, frame: Frame, text: str, inherited: Scope) -> Scope:
    ys = frame.years(expr)
    if not ys:
        return inherited
    if len(ys) > 1:
        # 过去五年, 十年来 look back; an explicit span (2021—2025年, "十四五") is planned or reviewed by its end.
        kind = REVIEW if expr.back else frame.kind_of(ys[-1], text)
        return Scope(None, kind, (ys[0], ys[-1]))
    # The verbs that decide review vs plan follow the expression ("今年还要增加…").
    return Scope(ys[0], frame.kind_of(ys[0], text))


def text_scope(text: str, frame: Frame, inherited: Scope, upto: int | None = None) -> Scope:
    """Scope of a clause: its first time expression (or the last one before `upto`), else inherited."""
    exprs = expressions(text if upto is None else text[:upto])
    if not exprs:
        return inherited
    expr = exprs[-1] if upto is not None else exprs[0]
    return _scope_of(expr, frame, text[expr.start :], inherited)


def heading_scope(heading: str, frame: Frame, inherited: Scope) -> Scope:
    """Scope a heading sets for what stands under it."""
    review, plan = bool(_HEAD_REVIEW.search(heading)), bool(_HEAD_PLAN.search(heading))
    exprs = expressions(heading)
    ys = frame.years(exprs[0]) if exprs else ()
    if not ys and not (review or plan):
        return inherited
    year = ys[0] if len(ys) == 1 else (None if ys else inherited.year)
    period = (ys[0], ys[-1]) if len(ys) > 1 else None
    if review != plan:
        return Scope(year, REVIEW if review else PLAN, period)
    return Scope(year, frame.kind_of(year if year is not None else (ys[-1] if ys else None), heading), period)
