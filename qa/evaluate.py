"""Quality on a question set (eval/*.jsonl): evidence recall, figures, abstention, conflicts.

A retrieved or cited clause counts as evidence when it overlaps an evidence string's span in the
same document by at least half of the shorter of the two (clauses are often shorter than
the evidence a person marks, and sometimes longer). eval/README.md defines every metric.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict
from pathlib import Path

from .answer import Answerer
from .index import Index
from .retrieve import Retriever
from .text import load_folder, repo_root

TARGETS = {
    "recall@1": 0.85,
    "recall@3": 0.95,
    "figure_accuracy": 0.95,
    "abstention": 0.90,
    "conflicts_flagged": 1.0,
}
MAX_FALSE_ABSTENTION = 0.03

# Issue #12's bar for every set (seeds, corpora, mixed): metric -> (">=" or "<=", value).
ISSUE_TARGETS = {
    "answered_right": (">=", 0.90),
    "figure_accuracy": (">=", 0.95),
    "false_abstention": ("<=", 0.03),
    "abstention": (">=", 0.90),
    "wrong_figure": ("<=", 0.02),
}

# A figure in an answer: Arabic digits, or two or more Chinese numerals, with a unit or a percent
# sign; or 百分之… . A bare year (2024年), a citation mark ([1]) and 一个/两项 are not figures.
_UNIT = r"(?:%|％|个百分点|元|美元|人次|人|户|套|吨|斤|亩|公里|千米|米|平方米|所|个|家|项|处|辆|条|座|张|次|倍|岁|部|件|名|台|公顷|千瓦)"
_CN = "零〇○一二两三四五六七八九十百千万亿点"
FIGURE = re.compile(
    rf"\d+(?:\.\d+)?\s*(?:万亿|亿|万|千)?[多余]?(?:万亿|亿|万)?\s*{_UNIT}|[{_CN}]{{2,}}[多余]?[{_CN}]*{_UNIT}|百分之[{_CN}]+"
)


def read_questions(path: Path) -> list[dict]:
    rows = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as e:
                raise ValueError(f"{path}:{n}: not JSON: {e}") from e
    return rows


def evidence_spans(index: Index, row: dict, texts: dict[str, str]) -> list[tuple[str, int, int]]:
    """(doc_id, start, end) of each evidence string in its document's normalized text."""
    spans = []
    for ev, doc in zip(row.get("evidence", []), row.get("doc_ids", [])):
        text = texts.get(doc, "")
        at = text.find(ev)
        if at < 0:
            raise ValueError(f"{row['id']}: evidence {ev!r} is not in {doc}")
        spans.append((doc, at, at + len(ev)))
    return spans


def doc_texts(index: Index) -> dict[str, str]:
    """Normalized text of each indexed document, loaded again from the index's seeds folder."""
    seeds = index.manifest.get("seeds_dir")
    if not seeds:
        raise ValueError("this index was not built from a seeds folder; evidence cannot be located")
    path = Path(seeds) if Path(seeds).is_absolute() else repo_root() / seeds
    docs, _ = load_folder(path)
    return {d.id: d.text for d in docs}


def overlaps(doc_id: str, start: int, end: int, spans) -> bool:
    """Whether [start, end) of doc_id covers half of an evidence span, or the span half of it."""
    for doc, a, b in spans:
        if doc_id != doc:
            continue
        overlap = min(b, end) - max(a, start)
        if overlap > 0 and overlap >= 0.5 * min(b - a, end - start):
            return True
    return False


def is_evidence(clause, spans) -> bool:
    return overlaps(clause.doc_id, clause.start, clause.end, spans)


def states_figure(answer: str, titles: tuple[str, ...] = ()) -> bool:
    """Whether an answer's text states any figure (document titles, which hold years, left out)."""
    for t in titles:
        answer = answer.replace(t, "")
    return FIGURE.search(answer) is not None


def short_of(metrics: dict, bounds: dict[str, tuple[str, float]]) -> list[str]:
    """The metrics outside their bounds ({name: (">=" or "<=", value)})."""
    out = []
    for name, (op, bar) in bounds.items():
        v = metrics[name]
        if (op == ">=" and v < bar) or (op == "<=" and v > bar):
            out.append(name)
    return out


def issue_gaps(metrics: dict) -> list[str]:
    """The metrics short of issue #12's targets."""
    return short_of(metrics, ISSUE_TARGETS)


def evaluate(index: Index, questions: list[dict], answerer: Answerer | None = None, k: int = 5) -> dict:
    """Metrics over a question set; `details` lists each question's outcome. See eval/README.md."""
    answerer = answerer or Answerer(index)
    retriever: Retriever = answerer.retriever
    texts = doc_texts(index)
    titles = tuple(sorted({d.title for d in index.corpus.docs if d.title}, key=len, reverse=True))
    found = {1: 0, 3: 0, 5: 0}
    mrr = 0.0
    answerable = figures_total = figures_ok = abstain_ok = unanswerable = false_abstain = 0
    conflicts_total = conflicts_ok = right = figure_asked = wrong_figure = 0
    details = []
    for row in questions:
        a = answerer.answer(row["question"])
        detail = {"id": row["id"], "question": row["question"], "category": row.get("category"), "abstained": a.abstained}
        stated = not a.abstained and states_figure(a.answer, titles)
        if row.get("answerable", True):
            answerable += 1
            spans = evidence_spans(index, row, texts)
            rank = next((i for i, h in enumerate(retriever.search(row["question"], k), 1) if is_evidence(h.clause, spans)), None)
            detail["rank"] = rank
            for cut in found:
                found[cut] += bool(rank and rank <= cut)
            mrr += 1 / rank if rank else 0.0
            false_abstain += a.abstained
            cited = sorted(a.citations, key=lambda c: c.n)[:3]
            cited_ok = any(overlaps(c.doc_id, c.char_start, c.char_end, spans) for c in cited)
            ok = not a.abstained and all(f in a.answer for f in row.get("figures", []))
            if row.get("figures"):
                figures_total += 1
                figure_asked += 1
                figures_ok += ok
                detail["figures_ok"] = ok
                detail["wrong_figure"] = not ok and stated
                wrong_figure += detail["wrong_figure"]
            detail["right"] = ok and cited_ok
            right += detail["right"]
            if row.get("conflict"):
                conflicts_total += 1
                conflicts_ok += bool(a.conflicts)
                detail["conflict_flagged"] = bool(a.conflicts)
        else:
            unanswerable += 1
            abstain_ok += a.abstained
            figure_asked += 1
            detail["wrong_figure"] = stated
            wrong_figure += stated
        detail["answer"] = a.answer
        details.append(detail)
    metrics = {
        "questions": len(questions),
        "answerable": answerable,
        "answered_right": right / answerable if answerable else 0.0,
        "recall@1": found[1] / answerable if answerable else 0.0,
        "recall@3": found[3] / answerable if answerable else 0.0,
        "recall@5": found[5] / answerable if answerable else 0.0,
        "mrr": mrr / answerable if answerable else 0.0,
        "figure_accuracy": figures_ok / figures_total if figures_total else 1.0,
        "abstention": abstain_ok / unanswerable if unanswerable else 1.0,
        "false_abstention": false_abstain / answerable if answerable else 0.0,
        "wrong_figure": wrong_figure / figure_asked if figure_asked else 0.0,
        "conflicts_flagged": conflicts_ok / conflicts_total if conflicts_total else 1.0,
        "embedder": index.embedder_description,
    }
    failed = [name for name, target in TARGETS.items() if metrics[name] < target]
    if metrics["false_abstention"] > MAX_FALSE_ABSTENTION:
        failed.append("false_abstention")
    rounded = {k: round(v, 4) if isinstance(v, float) else v for k, v in metrics.items()}
    # The weights and thresholds the run used, so a number can be traced to what produced it.
    config = {"retrieval": asdict(answerer.retriever.config), "answer": asdict(answerer.config)}
    return {"metrics": rounded, "failed": failed, "short_of_issue": issue_gaps(rounded), "config": config, "details": details}


def calibrate(index: Index, questions: list[dict], thresholds: tuple[float, ...] = (0.0, 0.1, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8)) -> list[dict]:
    """Abstention and false abstention of the dev set at each coverage threshold.

    The threshold (`Answerer.abstain_below`) is the share of a question's content words,
    weighted by idf, that one of the leading passages and its context must contain. Pick the widest
    band where abstention ≥ 0.9 and false abstention ≤ 0.03 and stand in its middle.
    """
    from .retrieve import Retriever

    retriever = Retriever(index)
    rows = []
    for t in thresholds:
        answerer = Answerer(index, retriever=retriever, abstain_below=t)
        res = [(row.get("answerable", True), answerer.answer(row["question"]).abstained) for row in questions]
        answerable = [ab for ok, ab in res if ok]
        unanswerable = [ab for ok, ab in res if not ok]
        rows.append(
            {
                "threshold": t,
                "abstention": round(sum(unanswerable) / len(unanswerable), 4) if unanswerable else 1.0,
                "false_abstention": round(sum(answerable) / len(answerable), 4) if answerable else 0.0,
            }
        )
    return rows
