"""Quality on a question set (eval/dev.jsonl): evidence recall, figures, abstention, conflicts.

A retrieved clause counts as evidence when it overlaps an evidence string's span in the
same document by at least half of the shorter of the two (clauses are often shorter than
the evidence a person marks, and sometimes longer).
"""

from __future__ import annotations

import json
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


def is_evidence(clause, spans) -> bool:
    for doc, a, b in spans:
        if clause.doc_id != doc:
            continue
        overlap = min(b, clause.end) - max(a, clause.start)
        if overlap > 0 and overlap >= 0.5 * min(b - a, clause.end - clause.start):
            return True
    return False


def evaluate(index: Index, questions: list[dict], answerer: Answerer | None = None, k: int = 5) -> dict:
    """Metrics over a question set; `details` lists each question's outcome."""
    answerer = answerer or Answerer(index)
    retriever: Retriever = answerer.retriever
    texts = doc_texts(index)
    found = {1: 0, 3: 0, 5: 0}
    mrr = 0.0
    answerable = figures_total = figures_ok = abstain_ok = unanswerable = false_abstain = 0
    conflicts_total = conflicts_ok = 0
    details = []
    for row in questions:
        a = answerer.answer(row["question"])
        detail = {"id": row["id"], "question": row["question"], "abstained": a.abstained}
        if row.get("answerable", True):
            answerable += 1
            spans = evidence_spans(index, row, texts)
            rank = next((i for i, h in enumerate(retriever.search(row["question"], k), 1) if is_evidence(h.clause, spans)), None)
            detail["rank"] = rank
            for cut in found:
                found[cut] += bool(rank and rank <= cut)
            mrr += 1 / rank if rank else 0.0
            false_abstain += a.abstained
            if row.get("figures"):
                figures_total += 1
                ok = not a.abstained and all(f in a.answer for f in row["figures"])
                figures_ok += ok
                detail["figures_ok"] = ok
            if row.get("conflict"):
                conflicts_total += 1
                conflicts_ok += bool(a.conflicts)
                detail["conflict_flagged"] = bool(a.conflicts)
        else:
            unanswerable += 1
            abstain_ok += a.abstained
        detail["answer"] = a.answer
        details.append(detail)
    metrics = {
        "questions": len(questions),
        "answerable": answerable,
        "recall@1": found[1] / answerable if answerable else 0.0,
        "recall@3": found[3] / answerable if answerable else 0.0,
        "recall@5": found[5] / answerable if answerable else 0.0,
        "mrr": mrr / answerable if answerable else 0.0,
        "figure_accuracy": figures_ok / figures_total if figures_total else 1.0,
        "abstention": abstain_ok / unanswerable if unanswerable else 1.0,
        "false_abstention": false_abstain / answerable if answerable else 0.0,
        "conflicts_flagged": conflicts_ok / conflicts_total if conflicts_total else 1.0,
        "embedder": index.embedder_description,
    }
    failed = [name for name, target in TARGETS.items() if metrics[name] < target]
    if metrics["false_abstention"] > MAX_FALSE_ABSTENTION:
        failed.append("false_abstention")
    return {"metrics": {k: round(v, 4) if isinstance(v, float) else v for k, v in metrics.items()}, "failed": failed, "details": details}


def calibrate(index: Index, questions: list[dict], thresholds: tuple[float, ...] = (0.0, 0.1, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8)) -> list[dict]:
    """Abstention and false abstention of the dev set at each coverage threshold.

    The threshold (`Answerer.abstain_below`) is the share of a question's content words,
    weighted by idf, that the best passage and its context must contain. Pick the widest
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
