"""CMRC 2018 as an outside check: does retrieval find the sentence that holds the answer?

The paragraphs of a SQuAD-style file become documents (one .txt per article title, one
paragraph a line, no catalog, so no time priors). Every question is asked of our Retriever
and of two plain references built in the same run: BM25 (bm25s) over sentences split at
。！？, and BM25 over whole paragraphs, both with jieba search-mode tokens. A sentence-level
hit is a returned clause or sentence that contains a gold answer text (whitespace ignored);
a paragraph-level hit is the question's own paragraph, the ceiling sentence retrieval aims at.
Our Retriever is run as `qa ask` uses it (the sentence ranker on) and with the fused order alone.

    python -m qa.cmrc ../shared/bench/cmrc2018_trial.json
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

KS = (1, 3, 5)
L2 = 0.1  # the ranker fit's L2 penalty (5-fold cross-validated hit@1 on trial: 0.1 ≥ 1 > 10)
_WS = re.compile(r"\s+")
_TOKEN_OK = re.compile(r"[\u4e00-\u9fffA-Za-z0-9]")
_SENTENCE = re.compile(r"[^。！？!?]+[。！？!?]*")


def _nows(s: str) -> str:
    return _WS.sub("", s)


def read_squad(path: Path, limit: int | None = None) -> list[dict]:
    """Articles of a SQuAD-style file: [{title, paragraphs: [{context, qas}]}]; the first `limit` only."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    articles = data["data"] if isinstance(data, dict) else data
    if not isinstance(articles, list) or not all("paragraphs" in a for a in articles):
        raise ValueError(f"{path}: not SQuAD-style JSON (expected data[].paragraphs[].context/qas)")
    return articles[:limit] if limit is not None else articles


def write_documents(articles: list[dict], folder: Path) -> list[str]:
    """One .txt per article (paragraphs one a line); returns each article's file stem."""
    folder.mkdir(parents=True, exist_ok=True)
    stems = []
    for i, a in enumerate(articles):
        safe = re.sub(r'[\\/:*?"<>|\s#]+', "_", str(a.get("title") or "untitled")).strip("_")[:60] or "untitled"
        stem = f"{i:04d}_{safe}"
        text = "\n".join(_WS.sub(" ", p["context"]).strip() for p in a["paragraphs"])
        (folder / f"{stem}.txt").write_text(text + "\n", encoding="utf-8")
        stems.append(stem)
    return stems


def sentences(text: str) -> list[str]:
    """A paragraph split after 。！？ (the terminal stays with its sentence)."""
    return [s for s in (m.group().strip() for m in _SENTENCE.finditer(text)) if s]


class _PlainBM25:
    """bm25s over jieba search-mode tokens: the reference retriever."""

    def __init__(self, texts: list[str], cut):
        import bm25s

        self.cut = cut
        self.bm25 = bm25s.BM25()
        self.bm25.index([self.tokens(t) or ["∅"] for t in texts], show_progress=False)
        self.n = len(texts)

    def tokens(self, text: str) -> list[str]:
        return [w for w in self.cut(text) if _TOKEN_OK.search(w)]

    def top(self, question: str, k: int) -> list[int]:
        ids = self.bm25.get_tokens_ids(self.tokens(question))
        if not ids:
            return []
        scores = np.asarray(self.bm25.get_scores(ids))
        k = min(k, self.n)
        part = np.argpartition(-scores, k - 1)[:k]
        return [int(i) for i in part[np.argsort(-scores[part], kind="stable")] if scores[i] > 0]


def _rates(first_hit: list[int | None], total: int) -> dict:
    """hit@k rates and counts from the rank (1-based) of each question's first hit."""
    out: dict = {}
    for k in KS:
        c = sum(1 for r in first_hit if r is not None and r <= k)
        out[f"hit@{k}"] = round(c / total, 4) if total else 0.0
        out[f"hits@{k}"] = c
    found = [1.0 / r for r in first_hit if r is not None]
    out[f"mrr@{max(KS)}"] = round(sum(found) / total, 4) if total else 0.0
    return out


def _first(texts: list[str], answers: list[str]) -> int | None:
    for rank, t in enumerate(texts, 1):
        if any(a in t for a in answers):
            return rank
    return None


def run_cmrc(path: Path, work_dir: Path | None = None, limit: int | None = None, cv_folds: int = 5) -> dict:
    """Sentence-level hit@1/3/5 of our Retriever beside plain BM25 over sentences and over paragraphs,
    and how often `qa ask` puts an answer sentence in citation [1].

    `limit` takes only the first `limit` articles (and all their questions). The sentence ranker's
    packaged weights were fitted on the CMRC trial split, so on that split the run also reports
    `cv_folds`-fold cross-validated hit@1 (weights fitted on the other articles' questions), of
    the ranker on every question and of the default retriever (which reranks only questions
    without a time frame or a named document, `Retriever.reranks`).
    """
    import jieba

    from .answer import Answerer
    from .corpus import load_corpus
    from .errors import InputError
    from .index import Settings, build_index
    from .retrieve import Retriever

    path = Path(path)
    articles = read_squad(path, limit)
    tmp = None
    if work_dir is None:
        tmp = tempfile.TemporaryDirectory(prefix="qa-cmrc-")
        work_dir = Path(tmp.name)
    work_dir = Path(work_dir)
    try:
        docs_dir = work_dir / "docs"
        stems = write_documents(articles, docs_dir)
        corpus, documents = load_corpus(docs_dir)
        t0 = time.perf_counter()
        index = build_index(work_dir / "index", corpus=corpus, settings=Settings(embedder="corpus"), progress=False)
        build_s = time.perf_counter() - t0
        retriever = Retriever(index)

        # Questions, with their article's document id and paragraph number.
        paragraphs: list[str] = []
        questions: list[tuple[str, list[str], int, str]] = []  # question, answers, paragraph no., article stem
        skipped = 0  # a question with no text or no gold answer cannot be scored
        for stem, a in zip(stems, articles):
            for p in a["paragraphs"]:
                paragraphs.append(_WS.sub(" ", p["context"]).strip())
                for qa in p.get("qas", []):
                    answers = list(dict.fromkeys(_nows(x["text"]) for x in qa.get("answers", []) if _nows(x.get("text", ""))))
                    if answers and qa.get("question", "").strip():
                        questions.append((qa["question"].strip(), answers, len(paragraphs) - 1, stem))
                    else:
                        skipped += 1
        sent_texts, sent_para = [], []
        for i, p in enumerate(paragraphs):
            for s in sentences(p):
                sent_texts.append(s)
                sent_para.append(i)

        jieba.setLogLevel(60)
        tok = jieba.Tokenizer()
        tok.initialize()
        by_sentence = _PlainBM25(sent_texts, tok.cut_for_search)
        by_paragraph = _PlainBM25(paragraphs, tok.cut_for_search)

        k = max(KS)
        clause_nows = [_nows(c.text) for c in index.corpus.clauses]
        sent_nows = [_nows(s) for s in sent_texts]
        by_doc: dict[str, list[int]] = {}
        for i, c in enumerate(index.corpus.clauses):
            by_doc.setdefault(c.doc_id, []).append(i)
        doc_of_stem = {d.path.stem: d.id for d in documents}

        fused = Retriever(index, ranker=None)  # the fused order alone, for comparison
        answerer, fused_answerer = Answerer(index, retriever), Answerer(index, fused)
        ours, fused_ref, sent_ref, para_ref = [], [], [], []
        cite1 = abstained = cite1_fused = 0
        within_clause = within_sentence = 0
        elapsed = 0.0
        for question, answers, para_no, stem in questions:
            t = time.perf_counter()
            hits = retriever.search(question, k)
            elapsed += time.perf_counter() - t
            ours.append(_first([_nows(h.clause.text) for h in hits], answers))
            fused_ref.append(_first([_nows(h.clause.text) for h in fused.search(question, k)], answers))
            for ans, default in ((answerer, True), (fused_answerer, False)):
                try:
                    a = ans.answer(question)
                except InputError:  # a question qa ask refuses as input (no Chinese) gets no citation
                    a = None
                hit = bool(a and not a.abstained and a.citations and any(x in _nows(a.citations[0].quote) for x in answers))
                if default:
                    abstained += bool(a and a.abstained)
                    cite1 += hit
                else:
                    cite1_fused += hit
            sent_ref.append(_first([sent_nows[i] for i in by_sentence.top(question, k)], answers))
            top_paras = by_paragraph.top(question, k)
            para_ref.append(top_paras.index(para_no) + 1 if para_no in top_paras else None)
            # Ceilings: the answer lies whole inside one clause / one sentence of its own paragraph.
            own = [clause_nows[i] for i in by_doc.get(doc_of_stem.get(stem, ""), [])]
            within_clause += any(a in c for c in own for a in answers)
            within_sentence += any(a in sent_nows[i] for i, p in enumerate(sent_para) if p == para_no for a in answers)

        n = len(questions)
        cv = cross_validate(retriever, questions, stems, retriever.ranker.weights.depth, cv_folds) if cv_folds else None
        return {
            "file": str(path),
            "articles": len(articles),
            "paragraphs": len(paragraphs),
            "questions": n,
            "skipped_questions": skipped,
            "clauses": len(index.corpus.clauses),
            "sentences": len(sent_texts),
            "build_s": round(build_s, 2),
            "embedder": index.embedder.description,
            "ours": {
                **_rates(ours, n),
                "answer_within_one_clause": round(within_clause / n, 4) if n else 0.0,
                "ms_per_question": round(1000 * elapsed / n, 2) if n else 0.0,
            },
            "ours_without_ranker": _rates(fused_ref, n),
            "ranker": retriever.ranker.weights.source,
            "ranker_cross_validated": cv,
            "ask": {
                "citation1_hit": round(cite1 / n, 4) if n else 0.0,
                "citation1_hits": cite1,
                "abstained": round(abstained / n, 4) if n else 0.0,
                "citation1_hit_without_ranker": round(cite1_fused / n, 4) if n else 0.0,
            },
            "bm25_sentences": {**_rates(sent_ref, n), "answer_within_one_sentence": round(within_sentence / n, 4) if n else 0.0},
            "bm25_paragraphs": _rates(para_ref, n),
        }
    finally:
        if tmp is not None:
            tmp.cleanup()


def _questions(articles: list[dict], stems: list[str]) -> list[tuple[str, list[str], int, str]]:
    out = []
    n = 0
    for stem, a in zip(stems, articles):
        for p in a["paragraphs"]:
            for qa in p.get("qas", []):
                answers = list(dict.fromkeys(_nows(x["text"]) for x in qa.get("answers", []) if _nows(x.get("text", ""))))
                if answers and qa.get("question", "").strip():
                    out.append((qa["question"].strip(), answers, n, stem))
            n += 1
    return out


def ranker_groups(retriever, questions, depth: int = 30) -> list[tuple[np.ndarray, np.ndarray]]:
    """(features, labels) of each question's first `depth` fused candidates; a label is 1 when
    the clause holds a gold answer."""
    clauses = retriever.index.corpus.clauses
    out = []
    for question, answers, *_ in questions:
        rows, feats = retriever.ranker_features(question, depth)
        labels = np.array([any(a in _nows(clauses[int(i)].text) for a in answers) for i in rows], dtype=np.int8)
        out.append((feats, labels))
    return out


def _reranked(retriever, questions) -> list[bool]:
    """Whether the default retriever reorders each question by the ranker (Retriever.reranks)."""
    return [retriever.reranks(retriever.analyze(q)) for q, *_ in questions]


def cross_validate(retriever, questions, stems: list[str], depth: int = 30, folds: int = 5) -> dict:
    """hit@1 of the sentence ranker fitted on the other folds' articles, fold by fold: on every
    question (`hit@1`), and as the default retriever uses it, on the questions it reranks with
    the fused order kept for the others (`default_hit@1`)."""
    from .rerank import fit_listwise, hit_at_1

    groups = ranker_groups(retriever, questions, depth)
    reranked = _reranked(retriever, questions)
    article = {s: i for i, s in enumerate(stems)}
    fold_of = [article[stem] % folds for *_, stem in questions]
    hits = default_hits = total = 0.0
    per_fold = []
    for f in range(folds):
        train = [g for g, k in zip(groups, fold_of) if k != f]
        test = [(g, r) for g, r, k in zip(groups, reranked, fold_of) if k == f]
        if not train or not test:
            continue
        w = fit_listwise(train, L2)
        h = hit_at_1([g for g, _ in test], w)
        per_fold.append(round(h, 4))
        hits += h * len(test)
        default_hits += sum(hit_at_1([g], w) if r else float(len(g[1]) > 0 and g[1][0] > 0) for g, r in test)
        total += len(test)
    return {
        "folds": folds,
        "hit@1": round(hits / total, 4) if total else 0.0,
        "default_hit@1": round(default_hits / total, 4) if total else 0.0,
        "per_fold": per_fold,
    }


def fit_ranker(path: Path, out: Path, limit: int | None = None, depth: int = 30) -> dict:
    """Fit the sentence ranker on a SQuAD-style file and write its weights as JSON."""
    from .corpus import load_corpus
    from .index import Settings, build_index
    from .rerank import FEATURES, Weights, fit_listwise, hit_at_1
    from .retrieve import Retriever

    articles = read_squad(Path(path), limit)
    with tempfile.TemporaryDirectory(prefix="qa-cmrc-fit-") as tmp:
        stems = write_documents(articles, Path(tmp) / "docs")
        corpus, _ = load_corpus(Path(tmp) / "docs")
        index = build_index(Path(tmp) / "index", corpus=corpus, settings=Settings(embedder="corpus"), progress=False)
        retriever = Retriever(index, ranker=None)
        questions = _questions(articles, stems)
        groups = ranker_groups(retriever, questions, depth)
        w = fit_listwise(groups, L2)
        # CMRC has no dates: the time prior cannot be learned there and keeps the fused score's weight
        w[FEATURES.index("time")] = w[FEATURES.index("fused")]
        cv = cross_validate(retriever, questions, stems, depth)
    weights = Weights(tuple(round(float(x), 6) for x in w), depth, f"fitted on {Path(path).name} ({len(questions)} questions), listwise softmax, L2 {L2}")
    data = weights.to_dict(train_hit_at_1=round(hit_at_1(groups, w), 4), cross_validated=cv)
    tmp_out = Path(out).with_suffix(".tmp")
    tmp_out.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    tmp_out.replace(out)
    return data


def format_cmrc(result: dict) -> str:
    """The result as a small table."""
    lines = [
        f"CMRC 2018 检索评测 — {result['file']}",
        f"{result['articles']} 篇文章 · {result['paragraphs']} 段 · {result['questions']} 个问题（跳过 {result.get('skipped_questions', 0)} 个空问题） · "
        f"{result['clauses']} 个条款 · {result['sentences']} 个句子 · 建索引 {result['build_s']} s",
        f"向量 embedder: {result['embedder']}",
        "",
        f"{'检索方式 retriever':<34} {'hit@1':>7} {'hit@3':>7} {'hit@5':>7} {'MRR@5':>7}  上限 ceiling",
    ]
    rows = (
        ("本系统 ours (default, clauses)", result["ours"], "answer_within_one_clause"),
        ("本系统不排序 fused order, no ranker", result["ours_without_ranker"], None),
        ("BM25 句子 sentences (jieba search)", result["bm25_sentences"], "answer_within_one_sentence"),
        ("BM25 段落 paragraphs (ceiling)", result["bm25_paragraphs"], None),
    )
    for name, r, ceil in rows:
        c = f"{r[ceil]:.3f}" if ceil else "—"
        lines.append(f"{name:<34} {r['hit@1']:>7.3f} {r['hit@3']:>7.3f} {r['hit@5']:>7.3f} {r['mrr@5']:>7.3f}  {c}")
    lines.append("")
    lines.append(
        f"命中数 counts: ours {result['ours']['hits@1']}/{result['ours']['hits@3']}/{result['ours']['hits@5']}, "
        f"sentences {result['bm25_sentences']['hits@1']}/{result['bm25_sentences']['hits@3']}/{result['bm25_sentences']['hits@5']}, "
        f"paragraphs {result['bm25_paragraphs']['hits@1']}/{result['bm25_paragraphs']['hits@3']}/{result['bm25_paragraphs']['hits@5']}"
        f" of {result['questions']}; ours {result['ours']['ms_per_question']} ms/question"
    )
    cv = result.get("ranker_cross_validated")
    if cv:
        lines.append(
            f"句子排序权重 sentence ranker: {result['ranker']}；{cv['folds']} 折交叉验证 hit@1 (cross-validated by article) "
            f"{cv['hit@1']:.3f}（各折 {' / '.join(f'{x:.3f}' for x in cv['per_fold'])}），"
            f"默认检索 default retriever {cv['default_hit@1']:.3f}（本文件上拟合 in-sample {result['ours']['hit@1']:.3f}）"
        )
    ask = result["ask"]
    lines.append(
        f"qa ask：引用[1]含答案 citation-1 hit {ask['citation1_hit']:.3f}（{ask['citation1_hits']}/{result['questions']}），"
        f"拒答 abstained {ask['abstained']:.3f}；不排序时 without the ranker {ask['citation1_hit_without_ranker']:.3f}"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m qa.cmrc", description="CMRC 2018 句子级检索评测")
    ap.add_argument("path", type=Path)
    ap.add_argument("--limit", type=int, help="only the first N articles")
    ap.add_argument("--work-dir", type=Path)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--no-cv", action="store_true", help="skip the cross-validated ranker figure")
    ap.add_argument("--fit", type=Path, metavar="OUT", help="fit the sentence ranker on this file and write its weights (JSON) to OUT")
    a = ap.parse_args(argv)
    if a.fit:
        data = fit_ranker(a.path, a.fit, a.limit)
        print(json.dumps(data, ensure_ascii=False, indent=1))
        return 0
    result = run_cmrc(a.path, a.work_dir, a.limit, cv_folds=0 if a.no_cv else 5)
    print(json.dumps(result, ensure_ascii=False, indent=1) if a.json else format_cmrc(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
