"""Planning: from a QueryAnalysis and the retrieved clauses to an AnswerPlan — no prose.

For a figure question every part gets its figure (with the other documents' figures for
the same measure, year and jurisdiction, and how they relate) or an explicit "not in the
documents" with the nearest figure kept apart as nearest, never as the answer. A policy
question gets its leading clauses. A question the documents do not cover is refused
(coverage below `AnswerConfig.abstain_below`). qa.render turns the plan into words.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import cached_property

from .corpus import Corpus
from .facts import DELTA, RANGE_FROM, RANGE_TO, RATE, Fact
from .index import Index
from .jurisdiction import sub_area
from .lexical import STOPWORDS
from .measure import CONTRADICTION, MEASURE, ConflictEntry, action_group, conflicts, indicator_key, lcs, scope_difference
from .query import ANSWER_TYPE, ASKS_FIGURE, Part, QueryAnalysis
from .retrieve import Hit
from .segment import Clause

_CJK = re.compile(r"[\u4e00-\u9fff]")
_WHICH = frozenset("什么 哪些 哪种 哪类 哪项 何种 啥".split())  # asks for a kind of thing
_FINAL_PARTICLES = frozenset("呢 吗 啊 呀 吧".split())
_KIND_PHRASE = 2  # words (a modifier and the head) at most after 什么/哪些, ending the question, for its head to be the kind asked
_WORD = re.compile(r"[\u4e00-\u9fffA-Za-z0-9]")
_PEOPLE = {"人", "名"}
_ASKS_RATE = re.compile(r"增长|增速|涨幅|下降|降低|提高|上升|率|比重|占比")
_ASKS_DELTA = re.compile(r"比(?:上一?年|去年|前一年)|多了?多少|少了?多少|增加了?多少|减少了?多少")
_NAMES_RATE = re.compile(r"[\u4e00-\u9fff]率")  # 参保率, 失业率, 覆盖率: a measure that is a share
_ASKS_START = re.compile(r"(?:从|由)多少")
_ASKS_LEVEL = re.compile(r"总额|总量|总值|总数|规模|多少(?:万|亿)?(?:元|个|人|户|所|家|吨|亩|公里|平方米)")


@dataclass(frozen=True)
class AnswerConfig:
    """Answer thresholds (recorded with every `qa eval` result).

    `abstain_below` is the share (idf-weighted) of the question's content words one of the
    leading passages (`figure_hits`, `figure_hit_floor`) and its context must hold; `qa eval --calibrate` shows abstention and false
    abstention at each value on a question set.
    """

    abstain_below: float = 0.35
    k: int = 8  # clauses retrieved
    figure_hits: int = 5  # leading hits whose figures may answer
    figure_hit_floor: float = 0.6  # ... each scoring at least this share of the best
    per_part: int = 4  # figures shown for a one-part question
    per_part_multi: int = 2  # ... and for each part of a several-part question
    related_floor: float = 0.8  # another document's passage shown beside figures above this share
    passage_floor: float = 0.7  # passages of a policy answer above this share of the best
    passages: int = 5
    # Passages whose scores differ by at most this share of the best are a tie, read in document
    # order. Measured (answered right on seeds/state_council/cpc/mixed, CMRC citation [1]) at
    # 0, 0.01, 0.03, 0.1: only one cpc question moves (c032: 0.925/0.95/0.925/0.95), CMRC not at
    # all (0.774 each). The value carries no general evidence; 0.01 is kept as the one that
    # costs nothing measured.
    passage_tie: float = 0.01
    relevance_min: int = 3  # characters a figure's words must share with the part (two for a short indicator named whole)
    relevance_band: int = 2  # figures within this many characters of the best are kept
    fitting_band: int = 4  # ... a figure of the year asked, within this many of the best of any year
    context_min: int = 4  # characters the clause before a figure must share with the part to count


@dataclass(frozen=True)
class FigureGroup:
    """One measure's figures: the primary one, with the other documents' for the same measure."""

    figures: tuple[tuple[Fact, Clause], ...]
    entry: ConflictEntry | None  # how the documents' figures relate, when several give one


@dataclass(frozen=True)
class PartPlan:
    part: Part
    groups: tuple[FigureGroup, ...]  # the answer; empty when the documents do not hold it
    nearest: tuple[tuple[Fact, Clause], ...] = ()  # shown as nearest when the answer is missing


@dataclass(frozen=True)
class AnswerPlan:
    analysis: QueryAnalysis
    mode: str  # figures | passages | abstain
    parts: tuple[PartPlan, ...] = ()
    passages: tuple[Hit, ...] = ()  # policy answer, or the nearest passages of a refusal
    related: tuple[Clause, ...] = ()  # other documents' passages that speak of the figures in words
    hits: tuple[Hit, ...] = ()
    missing: str = ""  # for a refusal: the document or jurisdiction named that the corpus does not hold

    @property
    def answered(self) -> bool:
        return self.mode == "passages" or any(p.groups for p in self.parts)


class Planner:
    """plan(analysis, hits) -> AnswerPlan over an Index."""

    def __init__(self, index: Index, config: AnswerConfig | None = None):
        self.index = index
        self.corpus: Corpus = index.corpus
        self.config = config or AnswerConfig()

    # -- coverage ---------------------------------------------------------------------

    @cached_property
    def _df(self):
        """Document frequency of each clause-index token, for weighting a question's words."""
        return self.index.store.term_stats()  # the local BM25 postings or the Milvus store's statistics

    def coverage(self, question: str, hit: Hit) -> float:
        """Share (idf-weighted) of the question's content words found in a hit and its context."""
        vocab, df, n = self._df
        context = hit.clause.text + "".join(c.text for c in self.corpus.neighbours(hit.clause)) + "".join(hit.clause.heading_path)
        kinds = self._asked_kinds(question)
        total = got = topic_total = topic_got = 0.0
        for concept in self.concepts(question):
            j = vocab.get(concept[0])
            idf = math.log((n + 1) / ((df[j] if j is not None else 0) + 0.5))
            found = idf if any(w in context for w in concept) else idf * self._part_found(concept[0], context)
            total += idf
            got += found
            if concept[0] not in kinds:
                topic_total += idf
                topic_got += found
        if topic_total and not topic_got:  # only the kind asked is there: "…的支持" for 对开出租车的人有什么支持
            return 0.0
        return got / total if total else 0.0

    def _asked_kinds(self, question: str) -> set[str]:
        """The word naming the kind of answer asked for: the head (last word) of the phrase after
        什么/哪些/哪种 … that ends the question (有什么支持, 有什么养老服务补贴, 有哪些新的举措: 支持,
        补贴, 举措). A clause that holds only it holds nothing of what the question is about: it
        covers the question only with one of the other words (`coverage`), when there are any.
        A longer phrase may hold a verb and run on (哪些区新增停车位): nothing is taken from it."""
        words = [w for w in self.index.tokenizer.query_words(question) if _WORD.search(w)]
        while words and words[-1] in _FINAL_PARTICLES:
            words.pop()
        which = [i for i, w in enumerate(words) if w in _WHICH]
        if not which or sum(w not in STOPWORDS for w in words[which[-1] + 1 :]) > _KIND_PHRASE:
            return set()
        head = words[-1]
        return {head} if len(head) > 1 and head not in STOPWORDS and head not in _WHICH else set()

    def _part_found(self, word: str, context: str) -> float:
        """How much of a compound word the context holds as one of its dictionary words
        (预付卡 → 预付, two of three characters); 0 when none is there."""
        parts = [w for w in self.index.tokenizer.words(word) if w != word and len(w) >= 2]
        return max((len(w) / len(word) for w in parts if w in context), default=0.0)

    def _covering_regions(self, question: str, hits: list[Hit]) -> set[str]:
        """The jurisdictions one of whose leading clauses (`_leading`) covers the question
        (`AnswerConfig.abstain_below`).

        Judged per jurisdiction, so that another government's documents ranked first never turn
        an answer this one's documents hold into a refusal (DESIGN.md, invariant 7); and over the
        leading clauses, not the first alone, since the clauses whose figures may answer are those:
        a first clause that shares one word ("…燃煤供热锅炉…清洁取暖") does not refuse the
        question the next one holds ("完成5.56万户燃煤散烧综合治理" for 烧煤取暖的散户治理多少户).
        """
        floor = self.config.abstain_below
        return {self._region(h.clause) for h in self._leading(hits, question) if self.coverage(question, h) >= floor}

    def concepts(self, question: str) -> list[tuple[str, ...]]:
        """Content words of a question, each with the document words its synonyms give."""
        from .timescope import strip_time

        tok = self.index.tokenizer
        q = strip_time(question)
        concepts: list[tuple[str, ...]] = []
        taken: set[str] = set()
        for key, targets in tok.synonym_matches(q):  # keys matched on words, never inside one (覆盖 ≠ 盖)
            if len(key) > 1 and key not in tok.generic and not any(key in k for k in taken):  # 呼市 → 呼和浩特 names no clause
                concepts.append((key,) + targets)
                taken.add(key)
        vocab = self._df[0]
        contracted: dict[str, tuple[str, ...]] = {}
        for modifier, _, found in tok.contractions(q):  # only words the documents hold (产奶的牛 → 奶牛)
            contracted[modifier] = contracted.get(modifier, ()) + tuple(w for w in found if w in vocab)
        for w in tok.content_words(q):
            if _CJK.search(w) and not ASKS_FIGURE.fullmatch(w) and not ANSWER_TYPE.fullmatch(w) and not any(w in k for k in taken):
                # a word also counts as found where the lexicon's synonym of it stands (qa.lexicon),
                # and a modifier where the word it contracts to with its head does (产奶的牛 → 奶牛)
                concepts.append((w,) + tok.lexicon.synonyms(w) + contracted.get(w, ()))
        return concepts

    # -- planning ---------------------------------------------------------------------

    def plan(self, analysis: QueryAnalysis, hits: list[Hit]) -> AnswerPlan:
        cfg = self.config
        q = analysis.content or analysis.question
        held = {d.region for d in self.corpus.docs}
        jurisdiction_missing = self._places and analysis.jurisdiction and analysis.jurisdiction not in held
        if analysis.missing_document or jurisdiction_missing:
            missing = analysis.missing_document or analysis.jurisdiction
            return AnswerPlan(analysis, "abstain", passages=tuple(hits[:3]), hits=tuple(hits), missing=missing)
        covering = self._covering_regions(q, hits)
        if not covering:
            return AnswerPlan(analysis, "abstain", passages=tuple(hits[:3]), hits=tuple(hits))
        if analysis.asks_figure:
            parts = self._figure_parts(analysis, hits)
            if any(p.groups or p.nearest for p in parts):
                related = self._related(parts, hits)
                return AnswerPlan(analysis, "figures", tuple(parts), related=tuple(related), hits=tuple(hits))
            if analysis.asks_number and not self._states_number(analysis, hits[0]):
                # a number was asked for and none of the passages gives it
                return AnswerPlan(analysis, "abstain", passages=tuple(hits[:3]), hits=tuple(hits))
        # A policy answer comes from the document named, and from clauses of the years asked, when any are among the hits.
        pool = [h for h in hits if self._region(h.clause) in covering]
        pool = [h for h in pool if analysis.document is None or h.clause.doc_id == analysis.document.id] or pool
        timely = [h for h in pool if self._timely(analysis, h.clause)]
        pool = timely or pool
        top = pool[0].score
        chosen = [h for h in pool if h.score >= cfg.passage_floor * top][: cfg.passages]
        return AnswerPlan(analysis, "passages", passages=tuple(self._relevance_order(chosen)), hits=tuple(hits))

    @staticmethod
    def _states_number(analysis: QueryAnalysis, hit: Hit) -> bool:
        """A question that sets no time frame and names no document, whose best passage holds a
        number of the kind asked that no figure was made of ("学校现有市中校区、长清校区两个校区"
        for 有几个校区), is answered by that passage in its own words. With a time frame the
        figure must be of the year asked, which only a figure (qa.facts) can tell."""
        from .rerank import answers_number
        from .retrieve import Retriever

        return Retriever.reranks(analysis) and answers_number(analysis.content or analysis.question, hit.clause.text)

    def _relevance_order(self, chosen: list[Hit]) -> list[Hit]:
        """A policy answer's clauses, most relevant first, so that citation [1] is the best-supported one.

        Grouped by document (the document of the best clause first, each next in the order of
        its best clause) and within a document by relevance; clauses after the best whose scores
        tie (`AnswerConfig.passage_tie`) read in document order. Otherwise reading order holds only between
        adjacent clauses of one paragraph: a clause directly after a chosen one follows it
        ("…[A]，[B]…" with A the better reads A, B; with B the better, B comes first, then A).
        """
        pos = self.corpus.position
        if chosen:  # scores closer than retrieval can tell apart carry no order: a tie reads in document order
            tie = self.config.passage_tie * abs(chosen[0].score)
            ordered, band = [chosen[0]], []
            for h in chosen[1:]:
                if band and abs(band[-1].score - h.score) > tie:
                    ordered.extend(sorted(band, key=lambda x: pos[x.clause.id]))
                    band = []
                band.append(h)
            chosen = ordered + sorted(band, key=lambda x: pos[x.clause.id])
        runs: list[list[Hit]] = []  # each starts at its best clause; in the order of that clause (hits come best first)
        for h in chosen:
            c = h.clause
            for run in runs:
                last = run[-1].clause
                if last.doc_id == c.doc_id and last.para == c.para and pos[c.id] == pos[last.id] + 1:
                    run.append(h)
                    break
            else:
                runs.append([h])
        docs: dict[str, list[Hit]] = {}
        for run in runs:
            docs.setdefault(run[0].clause.doc_id, []).extend(run)
        return [h for doc_hits in docs.values() for h in doc_hits]

    def _timely(self, analysis: QueryAnalysis, c: Clause) -> bool:
        doc = self.corpus.by_doc[c.doc_id]
        years = analysis.years_for(doc.region)
        if not years:
            return True
        return c.year in years if c.year is not None else doc.this_year in years

    def _region(self, c: Clause) -> str:
        return self.corpus.by_doc[c.doc_id].region

    def fits(self, analysis: QueryAnalysis, f: Fact, c: Clause) -> bool:
        """A figure is of the year, kind and jurisdiction the question asks for."""
        region = self._region(c)
        if analysis.jurisdiction and self._places and region != analysis.jurisdiction:
            return False
        if analysis.document is not None and c.doc_id != analysis.document.id:
            return False
        years = analysis.years_for(region)
        if years and _multi_year(analysis):  # 过去五年, "十四五"时期: a figure over that very span
            if f.period != f"{years[0]}—{years[-1]}":
                return False
        elif years and (f.period or f.year not in years):
            return False
        kind = analysis.want_kind(region)
        return not kind or f.kind == kind

    def _figure_parts(self, analysis: QueryAnalysis, hits: list[Hit]) -> list[PartPlan]:
        cfg = self.config
        asked = [p for p in analysis.parts if p.asks_figure] or list(analysis.parts)
        per_part = cfg.per_part if len(asked) == 1 else cfg.per_part_multi
        out: list[PartPlan] = []
        taken_all: list[tuple[Fact, Clause]] = []
        previous = ""
        for part in asked:
            relevant = self._relevant(part.text, part.unit, hits, analysis)
            if not relevant and part.shared:
                relevant = self._relevant(part.shared, part.unit, hits, analysis)
            if not relevant and part.unit:
                relevant = self._sole_figure(part, hits, analysis)
            if not relevant and previous:
                # "…多少户规上工业企业？总数达到多少？": a part without its own subject takes the one before.
                relevant = self._relevant(previous + part.text, part.unit, hits, analysis)
            previous = part.text
            delta = bool(_ASKS_DELTA.search(part.text))
            rate = not delta and bool(_ASKS_RATE.search(part.text)) and not _ASKS_LEVEL.search(part.text)
            level = not rate and not delta and bool(_ASKS_LEVEL.search(part.text) or "多少" in part.text)
            start = bool(_ASKS_START.search(part.text))  # "从多少…到多少": the start is asked too

            def order(x, rate=rate, level=level, delta=delta, start=start):
                rel, f, c = x
                is_rate = f.value_kind == RATE or f.base()[1] in ("%", "百分点")
                wrong_kind = (
                    (rate and not is_rate) or (level and is_rate) or (delta and f.value_kind != DELTA)
                    or (start and f.value_kind not in (RANGE_FROM, RANGE_TO))
                )
                return (-rel + 2 * wrong_kind, not self.fits(analysis, f, c), wrong_kind, f.value_kind == RANGE_FROM)

            ranked = sorted(relevant, key=order)
            fitting = [x for x in ranked if self.fits(analysis, x[1], x[2]) and (start or x[1].value_kind != RANGE_FROM)]
            asked = _asked_action(part.text)

            def within(action: str, asked=asked) -> bool:
                group = action_group(action)
                return not group or set(group.split("+")) <= asked

            if asked:  # "高标准农田新建多少": the figures counted under that action, not 提升改造's
                fitting = [x for x in fitting if within(x[1].action)] or fitting
                if any(action_group(x[1].action) for x in fitting):
                    # "2023年新建了多少个公园游园": when figures counted under the action asked are there,
                    # one counted under none (公园游园总数912个, the stock) is not what was asked.
                    fitting = [x for x in fitting if action_group(x[1].action)]
            groups: list[FigureGroup] = []
            for _, f, c in fitting:
                if len(groups) >= per_part:
                    break
                if any(_same(f, g) and f.year == g.year and self._region(c) == self._region(gc) for g, gc in taken_all):
                    continue
                entry = self._entries.get((c.id, f.start))
                if entry and entry.group == CONTRADICTION and asked and not all(within(fig.fact.action) for fig in entry.figures):
                    # The other documents' figure counts more than the action asked: a difference of scope.
                    others = [fig for fig in entry.figures if fig.fact.clause_id != c.id and not within(fig.fact.action)]
                    figs = ((f, c),) + tuple((fig.fact, self.corpus.by_id[fig.fact.clause_id]) for fig in others[:1])
                    why = scope_difference(f, others[0].fact) if others else None
                    entry = ConflictEntry(f.indicator, f.year, MEASURE, why or "统计范围不同。", ()) if others else None
                    groups.append(FigureGroup(figs, entry))
                    taken_all.extend(figs)
                    continue
                figs = tuple((fig.fact, self.corpus.by_id[fig.fact.clause_id]) for fig in entry.figures) if entry else ((f, c),)
                groups.append(FigureGroup(figs, entry))
                taken_all.extend(figs)
            if not groups and fitting and all(any(f is g for g, _ in taken_all) for _, f, _ in fitting):
                continue  # its figures were shown with an earlier part ("…多少户？总数达到多少？")
            if start:  # "从多少…到多少": the start before the end, as the document writes them
                groups.sort(key=lambda g: (self.corpus.position[g.figures[0][1].id], g.figures[0][0].start))
            nearest = tuple((f, c) for _, f, c in ranked[:1]) if not groups else ()
            out.append(PartPlan(part, tuple(groups), nearest))
        return out

    @cached_property
    def _places(self) -> bool:
        """Whether any document speaks for a jurisdiction. In a corpus where none does
        (encyclopedia or news text) a place the question names is only a word to search for:
        nothing is refused as another government's, and no figure as of the wrong one."""
        return any(d.region for d in self.corpus.docs)

    @cached_property
    def _entries(self) -> dict:
        """(clause id, fact start) → the cross-document entry (qa.measure.conflicts) the fact is in."""
        return {(fig.fact.clause_id, fig.fact.start): e for e in conflicts(self.corpus) for fig in e.figures}

    def _relevant(self, q: str, unit: str | None, hits: list[Hit], analysis: QueryAnalysis | None = None) -> list[tuple[int, Fact, Clause]]:
        """(relevance, fact, clause) for figures of the leading hits whose indicator the part names.

        Relevance is the longest run of characters the indicator shares with the part, or a
        document word the part's synonyms stand for (暖气 → 供热), counted as the part's word
        and one more; plus 2 when it shares three characters with what is asked (the words at
        多少/几). A figure needs three (two for an indicator of at most three characters).
        """
        cfg = self.config
        tok = self.index.tokenizer
        q_targets = [(key, t) for key, targets in tok.synonym_matches(q) for t in targets]
        q_targets += [(phrase, t) for _, phrase, found in tok.contractions(q) for t in found if t in self._df[0]]
        focus = "".join(m.group(1) for m in re.finditer(r"([\u4e00-\u9fff]{1,6}?)(?:的?(?:目标|计划)?是?多少|几)", q))
        focus += "".join(m.group(1) for m in re.finditer(r"(?:多少|几)[个所家项条处户名]([\u4e00-\u9fff]{2,6})", q))
        out = []
        q_words = set(self.index.tokenizer.cut(q))
        places = getattr(self.index.tokenizer, "places", frozenset())
        names_rate = bool(_NAMES_RATE.search(q))
        for h in self._leading(hits, (analysis.content or analysis.question) if analysis is not None else None):
            for f in h.clause.facts:
                if unit and not _unit_fits(f, unit):
                    continue
                if names_rate and f.base()[1] not in ("%", "百分点", "个百分点"):
                    continue  # "参保率是多少": a rate is a share, never a count of people
                if self._other_object(f.indicator, q):
                    continue
                area = sub_area(f.indicator, places)
                if area and area not in q:  # 综保区进出口总额 answers for the zone, not for the whole city
                    continue
                # The object may follow the figure ("守住十八亿亩耕地红线", "成为一百四十多个国家和地区的…").
                after = re.match(r"[^，。；、：！？,;]{0,12}", h.clause.text[f.end - h.clause.start :]).group()
                after = after if not re.search(r"\d", after) else ""
                rel = max(
                    [lcs(f.indicator, q), lcs(after, q) if len(after) >= 2 else 0, self._shared_words(f.indicator, q_words)]
                    + [len(key) + 1 for key, t in q_targets if t in f.indicator]
                )
                if rel >= 2:
                    # The clause may name the subject well before the figure's own words
                    # ("改革完善高职院校考试招生办法，…今年大规模扩招100万人").
                    before = lcs(h.clause.text[: f.start - h.clause.start], q)
                    if before >= cfg.context_min:
                        rel = max(rel, before - 1)
                key = indicator_key(f.indicator)
                if len(key) >= 2 and key in q:  # the part names the whole measure, not a piece of it
                    rel = max(rel, len(key) + 2)
                if focus and lcs(f.indicator, focus) >= 3:
                    rel += 2
                if rel >= cfg.relevance_min or (rel >= 2 and len(key) <= 3 and key in q):
                    out.append((rel, f, h.clause))
        if not out:
            return []
        # Each jurisdiction's figures are ranked among themselves: another government's closer
        # wording never pushes this one's figure out. A figure of the year and kind asked is
        # ranked among those that are, so that another year's closer wording (2018's
        # "一般工商业电价平均降低10%") does not push out the year asked (2019's "…平均电价再降低10%").
        best: dict[str, int] = {}
        best_fit: dict[str, int] = {}
        fit = {id(f): analysis is not None and self.fits(analysis, f, c) for _, f, c in out}
        for r, f, c in out:
            region = self._region(c)
            best[region] = max(best.get(region, 0), r)
            if fit[id(f)]:
                best_fit[region] = max(best_fit.get(region, 0), r)

        def keep(x) -> bool:
            r, f, c = x
            region = self._region(c)
            if fit[id(f)]:
                return r >= max(2, best_fit[region] - cfg.relevance_band, best[region] - cfg.fitting_band)
            return r >= max(2, best[region] - cfg.relevance_band)

        return [x for x in out if keep(x)]

    def _sole_figure(self, part: Part, hits: list[Hit], analysis: QueryAnalysis) -> list[tuple[int, Fact, Clause]]:
        """The best clause's one figure in the unit asked, of the year and kind asked, when the clause
        covers the question and the figure's words meet the part's ("今年供热面积要覆盖多少平方米" →
        "今年还要增加3300万平方米", whose indicator 新增供热能力 shares only 供热)."""
        top = hits[0]
        own = [f for f in top.clause.facts if _unit_fits(f, part.unit) and self.fits(analysis, f, top.clause)]
        if len(own) != 1 or self.coverage(analysis.content or analysis.question, top) < self.config.abstain_below:
            return []
        f = own[0]
        meets = max(lcs(f.indicator, part.text), self._shared_words(f.indicator, set(self.index.tokenizer.cut(part.text))))
        area = sub_area(f.indicator, getattr(self.index.tokenizer, "places", frozenset()))
        if meets < 2 or self._other_object(f.indicator, part.text) or (area and area not in part.text):
            return []
        return [(meets, f, top.clause)]

    def _shared_words(self, indicator: str, q_words: set[str]) -> int:
        """Characters of the indicator's content words that are words of the part too, wherever
        they stand ("压减钢铁产能" and "钢铁去产能": 钢铁, 产能 → 4)."""
        tok = self.index.tokenizer
        return sum(len(w) for w in set(tok.cut(indicator)) if len(w) >= 2 and w in q_words and tok._content(w) and not ASKS_FIGURE.fullmatch(w))

    def _other_object(self, indicator: str, q: str) -> bool:
        """The figure measures another object of the same kind: between two words it shares with
        the question it names a word the question does not, where the question names another
        ("基本医疗保险参保率" for "基本养老保险的参保率")."""
        tok = self.index.tokenizer

        def content(w: str) -> bool:  # a word naming the object: not a period (每年, 年均, 全年)
            return len(w) >= 2 and bool(_CJK.search(w)) and "年" not in w and not ASKS_FIGURE.fullmatch(w) and tok._content(w)

        iw, qw = tok.cut(indicator), tok.cut(q)
        shared = [i for i, w in enumerate(iw) if w in qw and (content(w) or len(w) == 1 and _CJK.search(w) and w not in STOPWORDS)]
        for a, b in zip(shared, shared[1:]):
            qa, qb = qw.index(iw[a]), qw.index(iw[b])
            if b - a < 2 or qb - qa < 2:
                continue
            gap_i = {w for w in iw[a + 1 : b] if content(w)} - set(qw)
            gap_q = {w for w in qw[qa + 1 : qb] if content(w)} - set(iw)
            if gap_i and gap_q and not any(self._same_word(x, y) for x in gap_i for y in gap_q):
                return True
        return False

    def _same_word(self, doc_word: str, asked: str) -> bool:
        """The question's word names the document's: the same word inside a longer one, or a
        lexicon word for it (医保 → 医疗保险)."""
        lex = self.index.tokenizer.lexicon
        others = {asked, *lex.synonyms(asked), *lex.targets(asked)}
        return any(o in doc_word or doc_word in o for o in others)

    def _leading(self, hits: list[Hit], question: str | None = None) -> list[Hit]:
        """The hits whose figures may answer: each jurisdiction's first few, near its own best,
        and, given the question, any other near its best that covers the question better than
        all of those (`coverage`): a clause holding every word asked is not left out for
        ranking below clauses that share one ("完成5.56万户燃煤散烧综合治理" below five 供热
        clauses, for 烧煤取暖的散户治理多少户).

        Taken per jurisdiction, so that documents of another government added to the corpus
        never push this one's figures out of the answer (DESIGN.md, invariant 7).
        """
        cfg = self.config
        by_region: dict[str, list[Hit]] = {}
        for h in hits:
            by_region.setdefault(self._region(h.clause), []).append(h)
        out = []
        for region_hits in by_region.values():
            floor = cfg.figure_hit_floor * region_hits[0].score
            first = [h for h in region_hits[: cfg.figure_hits] if h.score >= floor]
            out.extend(first)
            if question is not None and first:
                best = max(self.coverage(question, h) for h in first)
                out.extend(h for h in region_hits[cfg.figure_hits :] if h.score >= floor and self.coverage(question, h) > best)
        return out

    def _related(self, parts: list[PartPlan], hits: list[Hit]) -> list[Clause]:
        """A leading passage of each document the figures did not come from, when it speaks of
        the same thing in words ("实施'五万大学生留呼专项行动'" beside "5万名以上")."""
        shown = [fc for p in parts for g in p.groups for fc in g.figures] + [fc for p in parts for fc in p.nearest]
        docs = {c.doc_id for _, c in shown}
        ids = {c.id for _, c in shown}
        top = hits[0].score if hits else 0.0
        out = []
        for h in hits[: self.config.figure_hits]:
            d = h.clause.doc_id
            if d in docs or h.score < self.config.related_floor * top or h.clause.id in ids:
                continue
            if any(lcs(indicator_key(f.indicator), h.clause.text) >= 3 for f, _ in shown):
                docs.add(d)
                out.append(h.clause)
        return out


_WORK = ("新建续建", "新续建", "新建", "新增", "续建", "改扩建", "改造提升", "提升改造", "改造", "拆除")


def _asked_action(text: str) -> set[str]:
    """The kinds of work a part asks about ("新建" → {new}; "新建和提升改造" → {new, renovate}), or {}."""
    found = re.findall("|".join(sorted(_WORK, key=len, reverse=True)), text)
    return {g for a in found for g in action_group(a).split("+") if g}


def _multi_year(analysis: QueryAnalysis) -> bool:
    return any(t.span or t.back for t in analysis.times)


def _same(a: Fact, b: Fact) -> bool:
    return (
        a.type == b.type
        and a.kind == b.kind
        and a.value_kind == b.value_kind
        and a.base()[1] == b.base()[1]
        and indicator_key(a.indicator) == indicator_key(b.indicator)
    )


def _unit_fits(f: Fact, unit: str) -> bool:
    base = f.base()[1]
    return base == unit or {base, unit} <= _PEOPLE

