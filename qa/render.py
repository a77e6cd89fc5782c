"""Rendering: an AnswerPlan into the Answer people read — all Chinese prose lives here.

Citations are numbered in the order the text first names them. A figure is shown with its
own year and kind ("2024年目标"), the year a relative word of the question resolved to is
stated ("今年（2024年）"), and a part the documents do not hold says so, with the nearest
figure offered only as nearest.
"""

from __future__ import annotations

from .corpus import Citation, Corpus
from .measure import AGREEMENT, CONTRADICTION, KIND_LABEL, shown
from .plan import AnswerPlan, PartPlan
from .segment import Clause

NOT_FOUND = "文件中没有找到能回答这个问题的内容。"


class _Cites:
    def __init__(self, corpus: Corpus, plan: AnswerPlan):
        self.corpus = corpus
        self.scores = {h.clause.id: h.score for h in plan.hits}
        self.cites: list[Citation] = []
        self.n: dict[str, int] = {}

    def __call__(self, c: Clause) -> int:
        if c.id not in self.n:
            self.n[c.id] = len(self.cites) + 1
            self.cites.append(self.corpus.cite(c, self.n[c.id], self.scores.get(c.id, 0.0)))
        return self.n[c.id]


def render(plan: AnswerPlan, corpus: Corpus, suffix: str = "") -> dict:
    """{"answer", "abstained", "citations", "facts", "conflicts"} of the JSON contract, from a plan."""
    cite = _Cites(corpus, plan)
    if plan.mode == "abstain":
        return _abstain(plan, corpus, cite, suffix)
    if plan.mode == "passages":
        return _passages(plan, corpus, cite)
    facts: list[dict] = []
    conflicts: list[dict] = []
    sentences: list[str] = []
    answered = any(p.groups for p in plan.parts)
    for part in plan.parts:
        if part.groups:
            for group in part.groups:
                sentences.append(_group(plan, group, corpus, cite, facts, conflicts))
        else:
            sentences.append(_missing(plan, part, corpus, cite, facts, several=len(plan.parts) > 1))
    for c in plan.related:
        title = corpus.by_doc[c.doc_id].title
        sentences.append(f"另见{title}：“{c.text.rstrip('，；。')}”[{cite(c)}]。")
    return {"answer": "".join(sentences), "abstained": not answered, "citations": cite.cites, "facts": facts, "conflicts": conflicts}


def _when(plan: AnswerPlan, f, region: str) -> str:
    """A figure's year as the answer names it: "今年（2024年）" when the question said 今年."""
    a = plan.analysis
    frame = a.frame or a.presents.get(region) or a.presents.get(None)
    if f.period:
        return f"{f.period}年"
    if f.year is None:
        return ""
    for t in a.times:
        if t.relative and frame is not None and frame.years(t) == (f.year,):
            return f"{t.text}（{f.year}年）"
    return f"{f.year}年"


def _head(plan: AnswerPlan, f, region: str) -> str:
    when = _when(plan, f, region)
    label = KIND_LABEL.get(f.kind, "")
    return f"{when}{label}" if (when or label) else "文件中的数字"


def _group(plan: AnswerPlan, group, corpus: Corpus, cite, facts: list, conflicts: list) -> str:
    """One measure's figures, each under its own year and kind ("2016年目标：…；2016年完成情况：…")."""
    f0, c0 = group.figures[0]
    values = []
    runs: list[tuple[str, list[str]]] = []
    for f, c in group.figures:
        n = cite(c)
        facts.append({"indicator": f.indicator, "value": f.value, "year": f.year, "kind": f.kind, "citation": n})
        values.append({"value": f.value, "citation": n})
        head = _head(plan, f, corpus.by_doc[c.doc_id].region)
        item = f"{shown(f, c)}[{n}]（{corpus.by_doc[c.doc_id].title}）"
        if runs and runs[-1][0] == head:
            runs[-1][1].append(item)
        else:
            runs.append((head, [item]))
    sentence = "；".join(f"{head}：" + "；".join(items) for head, items in runs) + "。"
    entry = group.entry
    if entry is not None:
        docs = len({c.doc_id for _, c in group.figures})
        if entry.group == CONTRADICTION:
            sentence += f"{docs}份文件给出的数字不一致，请以原文为准。"
            conflicts.append({"indicator": f0.indicator, "year": f0.year, "values": values})
        elif entry.group == AGREEMENT:
            sentence += f"{docs}份文件给出的数字相同。"
        else:
            sentence += f"两者口径不同，不是矛盾：{entry.reason}"
    return sentence


def _missing(plan: AnswerPlan, part: PartPlan, corpus: Corpus, cite, facts: list, several: bool) -> str:
    """A part the documents do not hold: say so, and show the nearest figure as nearest."""
    a = plan.analysis
    region = a.jurisdiction
    stated = a.stated(region)
    kind = a.want_kind(region)
    what = f"{stated}的{KIND_LABEL[kind]}" if kind and stated else (f"{stated}的数字" if stated else (KIND_LABEL[kind] if kind else "数字"))
    where = a.jurisdiction if a.jurisdiction and a.document is None else ""
    subject = f"“{part.part.text.rstrip('？?。')}”" if several else "这项"
    text = f"文件中没有{where}{subject}{what}。"
    if part.nearest:
        f, c = part.nearest[0]
        n = cite(c)
        got_region = corpus.by_doc[c.doc_id].region
        got = (got_region if a.jurisdiction and got_region != a.jurisdiction else "") + (
            f"{f.period or f.year}年的{KIND_LABEL.get(f.kind) or '数字'}" if (f.period or f.year) else "其他年份的数字"
        )
        text += f"最接近的是{got}，不能当作{stated or '所问'}的数字：{shown(f, c)}[{n}]（{corpus.by_doc[c.doc_id].title}）。"
    return text


def _abstain(plan: AnswerPlan, corpus: Corpus, cite, suffix: str) -> dict:
    hits = plan.passages
    for h in hits:
        cite(h.clause)
    text = NOT_FOUND + suffix
    if plan.missing:
        text = f"文件中没有{plan.missing}的内容，无法回答这个问题。" + suffix
    if cite.cites:
        text += "以下是最接近的段落，仅供参考：" + "；".join(f"{c.title}“{_brief(c.quote)}”[{c.n}]" for c in cite.cites)
    return {"answer": text, "abstained": True, "citations": cite.cites, "facts": [], "conflicts": []}


def _passages(plan: AnswerPlan, corpus: Corpus, cite) -> dict:
    """A policy answer: its clauses as the plan orders them (most relevant first), under each document's title."""
    by_doc: dict[str, list] = {}
    for h in plan.passages:
        by_doc.setdefault(h.clause.doc_id, []).append(h)
    parts = []
    for doc_id, doc_hits in by_doc.items():
        title = corpus.by_doc[doc_id].title
        items = [f"{h.clause.text.rstrip('，；。')}[{cite(h.clause)}]" for h in doc_hits]  # in the plan's order
        parts.append(f"【{title}】" + "；".join(items) + "。")
    return {"answer": "\n".join(parts), "abstained": False, "citations": cite.cites, "facts": [], "conflicts": []}


def _brief(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[:limit] + "…"
