"""Segmenting a document into clauses: the units that get cited.

Structure follows the document's own markers: part headings (一、), sub-headings （一）,
numbered items (1. （1） 第X条), a short topic sentence that opens a paragraph ("要畅通城市路网。"),
and enumerations inside a paragraph (一是…二是…). A paragraph splits into sentences at 。！？,
a sentence into clauses at ；, and a long clause that lists several figures into one clause
per figure (or wherever the time frame shifts: "…2000万平方米、今年还要增加3300万平方米").
No split ever falls inside a quotation (“断头路”, 《…》) or a number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from . import facts as facts_mod
from .facts import Fact
from .text import Document
from .timescope import NONE, TIME_EXPR, Frame, Scope, heading_scope, text_scope

_OPEN, _CLOSE = "“‘《「『【（(", "”’》」』】）)"
_ENUM = re.compile(r"(?:首先|其次|最后|[一二三四五六七八九十]+是|第[一二三四五六七八九十]+，)")
_MAX_QUOTE = 150  # an unclosed quote stops protecting the text after this many characters

_LEVELS = (
    (re.compile(r"^(?:#+\s*)?第[一二三四五六七八九十百零〇\d]+[编部分章]"), 1),
    (re.compile(r"^(?:#+\s*)?[一二三四五六七八九十百]+、"), 1),
    (re.compile(r"^(?:#+\s*)?第[一二三四五六七八九十百零〇\d]+节"), 2),
    (re.compile(r"^(?:#+\s*)?[（(][一二三四五六七八九十百]+[）)]"), 2),
    (re.compile(r"^(?:#+\s*)?第[一二三四五六七八九十百零〇\d]+条"), 3),
    (re.compile(r"^(?:#+\s*)?\d{1,2}[.．、](?!\d)"), 3),
    (re.compile(r"^(?:#+\s*)?[（(]\d{1,2}[）)]"), 4),
)


@dataclass(frozen=True)
class Clause:
    id: str
    doc_id: str
    heading_path: tuple[str, ...]
    para: int  # 1-based body paragraph number
    sent: int  # 1-based sentence number in the paragraph
    num: int  # 1-based clause number in the sentence
    text: str
    start: int  # char span in the document's normalized text
    end: int
    line_start: int  # 1-based raw line numbers (within the page, for PDFs)
    line_end: int
    page: int | None
    year: int | None
    scope: str  # review | plan | other
    facts: tuple[Fact, ...] = field(default=())

    @property
    def section(self) -> str:
        return section_label(self.heading_path)


def section_label(path: tuple[str, ...]) -> str:
    """Heading path for display: long headings cut at their first comma."""
    return " > ".join(_short(h) for h in path)


def _short(h: str, limit: int = 24) -> str:
    if len(h) <= limit:
        return h
    cut = h.find("，", 8)
    if 0 < cut <= 30:
        return h[:cut] + "…"
    return h[:20] + "…"


def heading_level(text: str) -> int | None:
    for pattern, level in _LEVELS:
        if pattern.match(text):
            return level
    return None


def spans(text: str, start: int, end: int, seps: str) -> list[tuple[int, int]]:
    """Split text[start:end] after each separator that stands outside quotes and brackets.

    Closing quotes right after a separator stay with the piece before it.
    """
    out, depth, opened, a, i = [], 0, -1, start, start
    while i < end:
        ch = text[i]
        if ch in _OPEN:
            depth, opened = depth + 1, (i if depth == 0 else opened)
        elif ch in _CLOSE and depth:
            depth -= 1
        if depth and i - opened > _MAX_QUOTE:
            depth = 0
        if depth == 0 and ch in seps:
            j = i + 1
            while j < end and text[j] in _CLOSE:
                j += 1
            out.append((a, j))
            a, i = j, j
            continue
        i += 1
    if a < end:
        out.append((a, end))
    return out


def _has_figure(text: str, a: int, b: int) -> bool:
    return any(label in ("quantity", "rank") for *_, label in facts_mod.classify(text[a:b]))


def _only_rank(text: str, a: int, b: int) -> bool:
    labels = [label for *_, label in facts_mod.classify(text[a:b]) if label in ("quantity", "rank")]
    return bool(labels) and all(label == "rank" for label in labels)


def split_clause(text: str, a: int, b: int, min_len: int = 40) -> list[tuple[int, int]]:
    """A long clause listing several figures → one span per figure (trailing ，、 left out)."""
    if b - a <= min_len:
        return [(a, b)]
    parts = []
    for pa, pb in spans(text, a, b, "，"):
        # 、 splits only where the time frame shifts ("、今年还要…").
        cur = pa
        for sa, _sb in spans(text, pa, pb, "、"):
            if sa > pa and TIME_EXPR.match(text, sa):
                parts.append((cur, sa))
                cur = sa
        parts.append((cur, pb))
    if sum(_has_figure(text, pa, pb) for pa, pb in parts) < 2:
        return [(a, b)]
    groups: list[list[int]] = []
    has_fig = False
    for pa, pb in parts:
        fig = _has_figure(text, pa, pb)
        new = not groups or (has_fig and (fig and not _only_rank(text, pa, pb) or TIME_EXPR.match(text, pa)))
        if new:
            groups.append([pa, pb])
            has_fig = fig
        else:
            groups[-1][1] = pb
            has_fig = has_fig or fig
    out = []
    for ga, gb in groups:
        while gb > ga and text[gb - 1] in "，、":
            gb -= 1
        out.append((ga, gb))
    return out


class Segmenter:
    """Turns a Document into its clauses, each with heading path, time scope and facts."""

    def __init__(self, topic_max: int = 40, split_min: int = 40):
        self.topic_max = topic_max
        self.split_min = split_min

    def segment(self, doc: Document) -> list[Clause]:
        text = doc.text
        frame = Frame.of(doc.this_year, doc.year, doc.month)
        stack: list[tuple[int, str, Scope]] = []  # (level, heading, scope)
        carried = NONE  # scope the previous paragraph under the current heading ended with
        clauses: list[Clause] = []
        para_no = 0
        for pa, pb in doc.paragraphs:
            if doc.title_span and (pa, pb) == doc.title_span:
                continue
            ptext = text[pa:pb]
            level = heading_level(ptext)
            sentences = spans(text, pa, pb, "。！？!?")
            is_heading = level is not None and len(sentences) == 1 and text[pb - 1] not in "。！？；"
            if level is not None:
                while stack and stack[-1][0] >= level:
                    stack.pop()
                parent = stack[-1][2] if stack else NONE
                label = text[sentences[0][0] : sentences[0][1]].rstrip("。！？")
                stack.append((level, label, heading_scope(label, frame, parent)))
                carried = stack[-1][2]
                if is_heading:
                    continue
            para_no += 1
            base_path = tuple(h for _, h, _ in stack)
            head_scope = stack[-1][2] if stack else NONE
            first = text[sentences[0][0] : sentences[0][1]]
            # The paragraph's own frame: its first sentence's, else carried from the previous one.
            pscope = text_scope(first, frame, carried if carried != NONE else head_scope)
            carried = pscope
            topic = ""
            if (
                level is None
                and len(sentences) > 1
                and first.endswith("。")
                and len(first) <= self.topic_max
                and not re.match(r"^各位|^同志们", first)
            ):
                topic = first.rstrip("。")
            enum_label = ""
            for s_no, (sa, sb) in enumerate(sentences, 1):
                context: tuple[str, ...] = ()
                for c_no, (ca, cb) in enumerate(self._clauses(text, sa, sb), 1):
                    m = _ENUM.match(text, ca)
                    if m:
                        head = spans(text, ca, cb, "，；。")[0]
                        enum_label = text[head[0] : head[1]].rstrip("，；。")[:30]
                    path = base_path + ((topic,) if topic else ()) + ((enum_label,) if enum_label else ())
                    clause = self._clause(doc, frame, pscope, path, para_no, s_no, c_no, ca, cb, context)
                    clauses.append(clause)
                    context += tuple(f.indicator for f in clause.facts)
        return clauses

    def _clauses(self, text: str, a: int, b: int) -> list[tuple[int, int]]:
        out = []
        for ca, cb in spans(text, a, b, "；;"):
            while ca < cb and text[ca] in " \n":
                ca += 1
            if ca < cb:
                out.extend(split_clause(text, ca, cb, self.split_min))
        return out

    def _clause(self, doc, frame, pscope, path, para_no, s_no, c_no, a, b, context="") -> Clause:
        text = doc.text[a:b]
        scope = text_scope(text, frame, pscope)
        cid = f"{doc.id}@{doc.sha256[:8]}:{para_no}.{s_no}.{c_no}"
        found = facts_mod.extract(doc.text, a, b, lambda pos: text_scope(text, frame, pscope, upto=pos - a), cid, context)
        line_start, line_end = doc.line_span(a, b)
        pages = doc.page_span(a, b)
        return Clause(
            id=cid,
            doc_id=doc.id,
            heading_path=path,
            para=para_no,
            sent=s_no,
            num=c_no,
            text=text,
            start=a,
            end=b,
            line_start=line_start,
            line_end=line_end,
            page=pages[0] if pages else None,
            year=scope.year,
            scope=scope.kind,
            facts=tuple(found),
        )
