"""Time scope: which year a piece of text speaks of, and whether it reports or plans.

Rules, in order of strength:
1. A heading names its frame: "2023年工作回顾" is a review of 2023, "2024年工作安排" a plan.
2. Inside a clause the first time expression decides: an explicit year ("2024年"), or a
   relative word resolved with the document's present year P (what its 今年 means):
   今年 = P, 明年 = P+1, 去年/上年 = P-1, and 过去一年/一年来 = the year just reviewed —
   P for a document written late in the year (a December communique), P-1 otherwise.
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

_YEAR = r"(?<!\d)((?:19|20)\d{2})(?=年)"
_RELATIVE = {
    "今年": 0,
    "本年": 0,
    "年终岁尾": 0,
    "明年": 1,
    "来年": 1,
    "去年": -1,
    "上年": -1,
    "上一年": -1,
    "前年": -2,
}
_JUST_REVIEWED = ("过去一年", "过去的一年", "一年来", "这一年")
TIME_EXPR = re.compile(_YEAR + "|" + "|".join(sorted(list(_RELATIVE) + list(_JUST_REVIEWED), key=len, reverse=True)))
_FUTURE = re.compile(r"要|将|力争|争取|确保|计划|预计|预期|目标")
_HEAD_REVIEW = re.compile(r"回顾|总结|成绩|成效|完成情况|过去")
_HEAD_PLAN = re.compile(r"安排|计划|目标|任务|部署|规划|展望|打算|思路|工作重点")


@dataclass(frozen=True)
class Scope:
    year: int | None
    kind: str  # review | plan | other

    @property
    def fact_kind(self) -> str:
        return {REVIEW: "result", PLAN: "target"}.get(self.kind, "other")


NONE = Scope(None, OTHER)


@dataclass(frozen=True)
class Frame:
    """What a document's relative words mean: its present year and when in it it was written."""

    present: int | None
    late: bool  # written in the second half of the present year (reviews it)

    @classmethod
    def of(cls, this_year: int | None, year: int | None, month: int | None) -> Frame:
        present = this_year or year
        late = bool(present and year == present and month and month >= 7)
        return cls(present, late)

    def resolve(self, expr: str) -> int | None:
        """The year a time expression names, or None when it cannot be resolved."""
        if expr[:4].isdigit():
            return int(expr[:4])
        if self.present is None:
            return None
        if expr in _RELATIVE:
            return self.present + _RELATIVE[expr]
        if expr in _JUST_REVIEWED:
            return self.present if self.late else self.present - 1
        return None

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


def expressions(text: str) -> list[tuple[int, str]]:
    """(position, expression) of each time expression in text."""
    out = []
    for m in TIME_EXPR.finditer(text):
        out.append((m.start(), m.group(1) + "年" if m.group(1) else m.group(0)))
    return out


def text_scope(text: str, frame: Frame, inherited: Scope, upto: int | None = None) -> Scope:
    """Scope of a clause: its first time expression (or the last one before `upto`), else inherited."""
    exprs = expressions(text if upto is None else text[:upto])
    if not exprs:
        return inherited
    pos, expr = exprs[-1] if upto is not None else exprs[0]
    year = frame.resolve(expr)
    if year is None:
        return inherited
    # The verbs that decide review vs plan follow the expression ("今年还要增加…").
    return Scope(year, frame.kind_of(year, text[pos:]))


def heading_scope(heading: str, frame: Frame, inherited: Scope) -> Scope:
    """Scope a heading sets for what stands under it."""
    review, plan = bool(_HEAD_REVIEW.search(heading)), bool(_HEAD_PLAN.search(heading))
    exprs = expressions(heading)
    year = frame.resolve(exprs[0][1]) if exprs else None
    if year is None and not (review or plan):
        return inherited
    year = year if year is not None else inherited.year
    if review != plan:
        return Scope(year, REVIEW if review else PLAN)
    return Scope(year, frame.kind_of(year, heading))
