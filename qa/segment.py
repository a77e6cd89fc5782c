"""Segmenting a document into clauses: the units that get cited.

Structure follows the document's own markers: part headings (一、), sub-headings （一）,
numbered items (1. （1） 第X条), a short topic sentence that opens a paragraph ("要畅通城市路网。"),
and enumerations inside a paragraph (一是…二是…). A paragraph splits into sentences at 。！？,
a sentence into clauses at ；, and a long clause that lists several figures into one clause
per figure (or wherever the time frame shifts: "…2000万平方米、今年还要增加3300万平方米").
No split ever falls inside a quotation (“断头路”, 《…》) or a number.
"""

from __future__ import annotations

import functools
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
    # Only quotes, brackets and separators do anything: a regex jumps from one to the next.
    # An open quote stops protecting the text _MAX_QUOTE characters on, wherever that falls.
    find = _marks(seps).search
    out, depth, opened, a, i = [], 0, -1, start, start
    while (m := find(text, i, end)) is not None:
        i = m.start()
        if depth and i - 1 - opened > _MAX_QUOTE:
            depth = 0
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


@functools.cache
def _marks(seps: str) -> re.Pattern:
    return re.compile("[" + re.escape(_OPEN + _CLOSE + seps) + "]")


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
    figs = [_has_figure(text, pa, pb) for pa, pb in parts]
    if sum(figs) < 2:
        return [(a, b)]
    groups: list[list[int]] = []
    has_fig = False
    for (pa, pb), fig in zip(parts, figs):
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


@dataclass(frozen=True)
class Part:
    """A run of a document's paragraphs (indexes begin..end in doc.paragraphs) and what is in
    force where it starts: the open headings (level, text, scope) and the paragraphs before it."""

    begin: int
    end: int
    stack: tuple[tuple[int, str, Scope], ...] = ()
    para_no: int = 0


def _enter_heading(text: str, pb: int, level: int, sentences, stack: list, frame: Frame) -> bool:
    """A paragraph opening with a heading marker takes its place on the heading stack; True
    when it is a heading alone (one sentence, no closing punctuation), not a paragraph too."""
    while stack and stack[-1][0] >= level:
        stack.pop()
    parent = stack[-1][2] if stack else NONE
    label = text[sentences[0][0] : sentences[0][1]].rstrip("。！？")
    stack.append((level, label, heading_scope(label, frame, parent)))
    return len(sentences) == 1 and text[pb - 1] not in "。！？；"


class Segmenter:
    """Turns a Document into its clauses, each with heading path, time scope and facts."""

    def __init__(self, topic_max: int = 40, split_min: int = 40):
        self.topic_max = topic_max
        self.split_min = split_min

    def segment(self, doc: Document) -> list[Clause]:
        return self.segment_part(doc, Part(0, len(doc.paragraphs)))

    def parts(self, doc: Document, count: int) -> list[Part]:
        """The document cut into about `count` runs of paragraphs of similar length, each
        starting at a heading (or at the start), with the headings and paragraph count in force
        there: segmenting the parts apart and joining the clauses gives `segment(doc)` exactly.

        A heading resets the scope a paragraph carries over to the next one, so at a heading
        nothing else of the paragraphs before it matters.
        """
        text, paragraphs = doc.text, doc.paragraphs
        frame = Frame.of(doc.this_year, doc.year, doc.month)
        step = max(1, len(text) // max(1, count))
        stack: list[tuple[int, str, Scope]] = []
        para_no, begin, cut_at = 0, 0, step
        out: list[Part] = []
        start = Part(0, len(paragraphs))
        for i, (pa, pb) in enumerate(paragraphs):
            if doc.title_span and (pa, pb) == doc.title_span:
                continue
            level = heading_level(text[pa:pb])
            if level is None:
                para_no += 1
                continue
            if pa >= cut_at and i > begin:
                out.append(Part(start.begin, i, start.stack, start.para_no))
                start, begin, cut_at = Part(i, len(paragraphs), tuple(stack), para_no), i, pa + step
            sentences = spans(text, pa, pb, "。！？!?")
            if not _enter_heading(text, pb, level, sentences, stack, frame):
                para_no += 1
        out.append(start)
        return out

    def segment_part(self, doc: Document, part: Part) -> list[Clause]:
        """The clauses of paragraphs part.begin to part.end (see `parts`)."""
        text = doc.text
        frame = Frame.of(doc.this_year, doc.year, doc.month)
        stack: list[tuple[int, str, Scope]] = list(part.stack)  # (level, heading, scope)
        carried = NONE  # scope the previous paragraph under the current heading ended with
        clauses: list[Clause] = []
        para_no = part.para_no
        for pa, pb in doc.paragraphs[part.begin : part.end]:
            if doc.title_span and (pa, pb) == doc.title_span:
                continue
            ptext = text[pa:pb]
            level = heading_level(ptext)
            sentences = spans(text, pa, pb, "。！？!?")
            if level is not None:
                is_heading = _enter_heading(text, pb, level, sentences, stack, frame)
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
