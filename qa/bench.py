"""Benchmark: build time, index size, peak memory and warm query latency as the corpus grows.

Each size N gets a synthetic corpus of N clauses made from the seeds' own material (their
clause pieces, words, numbers, headings), laid out like the seeds (two parts, 2023 review and
2024 plan, sub-headings, ~8 clauses a paragraph). Each size is built in a fresh process and
queried in another, so one size's memory never shows in the next one's peak. Beside our
lexical and dense stages the query process measures reference implementations on the same
data and the same query tokens: rank_bm25's BM25Okapi (what LangChain's BM25Retriever runs)
and exact FAISS search (IndexFlatIP over the same vectors).

Beside the corpus sizes, one large document (`--doc-mb`, 50 MB in `qa bench`): a single text
file written like the seeds, indexed from its folder as `qa index` does; reports MB/s of
reading + normalizing, of segmenting, and of the whole build, with peak memory.

    python -m qa.bench 10000 100000          # table
    python -m qa.bench --json 10000          # the result as JSON
    python -m qa.bench --no-seeds --doc-mb 50   # only the 50 MB document
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .corpus import Corpus, DocInfo, load_corpus
from .segment import Clause
from .text import repo_root

SEED = 20240101
RANK_BM25_LIMIT = 100_000  # rank_bm25 is pure Python: every query token walks every document
REF_BUDGET_S = 120.0  # at most this long on rank_bm25 queries per size (fewer queries if needed)
TARGETS = {
    "hybrid_p95_ms_1m": 50.0,
    "build_s_1m": 180.0,
    "peak_mb_1m": 6 * 1024.0,
    "seeds_p95_ms": 5.0,
}
_CJK_WORD = re.compile(r"^[\u4e00-\u9fff]{2,}$")
_NUMBER = re.compile(r"^\d+(?:\.\d+)?$")
_PIECE_SPLIT = re.compile(r"[，、；。！？：]")
_CN = "一二三四五六七八九十"
_NAME_SUFFIXES = ("区", "路", "园区", "项目", "公司", "街道", "村", "工程", "中心", "基地")
_TEMPLATES = (
    "{y}年{a}{b}的目标是多少？",
    "{a}{b}方面有什么新举措？",
    "{y}年{a}完成了多少{b}？",
    "关于{a}和{b}的安排",
    "{a}{b}{c}",
    "今年{a}{b}怎么做？",
)


# ---------------------------------------------------------------------------------------
# Synthetic corpus


@dataclass(frozen=True)
class Material:
    """What synthetic clauses are made of, read from the seeds."""

    pieces: tuple[tuple[str, ...], ...]  # comma pieces of real clauses, as jieba words
    words: tuple[str, ...]  # CJK words (len ≥ 2), with repetition: sampling follows their frequency
    chars: str  # CJK characters of the seeds, for made-up names
    headings: tuple[str, ...]  # second-level headings without their （一） marker


def seed_material(seeds: Path | None = None) -> Material:
    """Pieces, words and headings of the seed documents."""
    import jieba

    corpus, _ = load_corpus(Path(seeds or repo_root() / "seeds"))
    tok = jieba.Tokenizer()
    jieba.setLogLevel(60)
    pieces, words, chars, headings = [], [], set(), set()
    for c in corpus.clauses:
        for piece in _PIECE_SPLIT.split(c.text):
            if len(piece) < 2:
                continue
            ws = tuple(w for w in tok.cut(piece) if w.strip())
            pieces.append(ws)
            words.extend(w for w in ws if _CJK_WORD.match(w))
        chars.update(ch for ch in c.text if "\u4e00" <= ch <= "\u9fff")
        for h in c.heading_path:
            m = re.match(r"^[（(][一二三四五六七八九十]+[）)](.+)$", h)
            if m:
                headings.add(m.group(1))
    return Material(tuple(pieces), tuple(words), "".join(sorted(chars)), tuple(sorted(headings)))


def synthetic_corpus(n: int, seed: int = SEED, material: Material | None = None, doc_clauses: int = 400) -> Corpus:
    """A Corpus of n clauses recombined from the seeds' material; the same seed gives the same corpus."""
    if n < 1:
        raise ValueError(f"corpus size must be a positive number of clauses, got {n}")
    m = material or seed_material()
    rng = random.Random(seed)
    docs: list[DocInfo] = []
    clauses: list[Clause] = []
    d = 0
    while len(clauses) < n:
        size = min(doc_clauses, n - len(clauses))
        doc_id = f"syn{d:06d}"
        docs.append(DocInfo(doc_id, f"合成政策文件第{d + 1}号", "合成机关", "2024-01-15", "report", 2024, f"synthetic/{doc_id}.txt", f"{d:064x}", True))
        clauses.extend(_document(doc_id, size, rng, m))
        d += 1
    return Corpus(tuple(docs), tuple(clauses))


def _document(doc_id: str, size: int, rng: random.Random, m: Material) -> list[Clause]:
    out: list[Clause] = []
    review_until = int(size * 0.4)  # part 一 reviews 2023, part 二 plans 2024, as in the seeds
    pos, line, para = 0, 1, 0
    part = None
    sub: tuple[str, ...] = ()
    sub_no = 0
    paras_in_sub = 0
    while len(out) < size:
        review = len(out) < review_until
        if part is None or (not review and part[1] == 2023):
            year = 2023 if review else 2024
            part = ((f"一、{year}年工作回顾" if review else f"二、{year}年工作安排"), year)
            sub, sub_no, paras_in_sub = (), 0, 0
            line += 1
        if paras_in_sub == 0 or rng.random() < 0.2:
            sub_no += 1
            sub = (part[0], f"（{_cn(sub_no)}）{rng.choice(m.headings)}")
            paras_in_sub = 0
            line += 1
        para += 1
        paras_in_sub += 1
        year, scope = (part[1], "review" if part[1] == 2023 else "plan")
        count = min(size - len(out), max(1, int(rng.gauss(8, 2))))
        sent, num = 1, 0
        for i in range(count):
            num += 1
            last_of_sentence = i == count - 1 or rng.random() < 0.55
            text = _clause_text(rng, m) + ("。" if last_of_sentence else "；")
            y, s = (None, "other") if rng.random() < 0.05 else (year, scope)
            out.append(
                Clause(
                    id=f"{doc_id}@{doc_id[3:]:0>8}:{para}.{sent}.{num}",
                    doc_id=doc_id,
                    heading_path=sub,
                    para=para,
                    sent=sent,
                    num=num,
                    text=text,
                    start=pos,
                    end=pos + len(text),
                    line_start=line,
                    line_end=line,
                    page=None,
                    year=y,
                    scope=s,
                )
            )
            pos += len(text)
            if last_of_sentence:
                sent, num = sent + 1, 0
        pos += 1
        line += 1
    return out


def synthetic_document(mb: float, seed: int = SEED, material: Material | None = None) -> str:
    """One text of about `mb` MB (UTF-8) laid out like the seeds: parts, sub-headings, paragraphs of
    ~8 clauses, and now and then a stray space between a character and a number to normalize away."""
    m = material or seed_material()
    rng = random.Random(seed)
    target = int(mb * 2**20)
    out: list[str] = ["呼和浩特市合成政策文件（基准测试）\n"]
    size = len(out[0].encode("utf-8"))
    part = sub = 0
    while size < target:
        if part == 0 or rng.random() < 0.005:
            part, sub = part + 1, 0
            line = f"{_cn(min(part, 99))}、{2023 if part % 2 else 2024}年工作{'回顾' if part % 2 else '安排'}\n"
        elif sub == 0 or rng.random() < 0.1:
            sub += 1
            line = f"（{_cn(min(sub, 99))}）{rng.choice(m.headings)}\n"
        else:
            clauses = [_clause_text(rng, m) + ("。" if rng.random() < 0.55 else "；") for _ in range(max(1, int(rng.gauss(8, 2))))]
            line = "".join(clauses)
            if rng.random() < 0.3:
                line = re.sub(r"(?<=[\u4e00-\u9fff])(?=\d)", " ", line, count=1)  # "新增停车位 1.8万个"
            line = line[:-1] + "。\n"
        out.append(line)
        size += len(line.encode("utf-8"))
    return "".join(out)


def child_document(mb: float, out: Path, seed: int = SEED) -> dict:
    """Index one synthetic document of `mb` MB from its folder, phase by phase; measures it."""
    from .corpus import segment_document
    from .index import Settings, build_index
    from .segment import Segmenter
    from .text import load_folder

    work = Path(out).parent / "doc-seeds"
    work.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    data = synthetic_document(mb, seed).encode("utf-8")
    (work / "large.txt").write_bytes(data)
    del data
    gen_s = time.perf_counter() - t0
    size_mb = (work / "large.txt").stat().st_size / 2**20
    sampler = PhaseSampler()
    sampler.start()
    t1, cpu1 = time.perf_counter(), _cpu_s()
    documents, skipped = load_folder(work, max_doc_mb=size_mb + 1)
    t2, cpu2 = time.perf_counter(), _cpu_s()
    segmenter = Segmenter()
    clauses = [c for d in documents for c in segment_document(segmenter, d)]  # on every core, as qa index does
    t3, cpu3 = time.perf_counter(), _cpu_s()
    corpus = Corpus(tuple(DocInfo(d.id, d.title, d.issuer, d.date, d.kind, d.this_year, d.source, d.sha256, d.cataloged) for d in documents), tuple(clauses), tuple(skipped))
    del documents, clauses
    index = build_index(out, corpus=corpus, settings=Settings(embedder="corpus", max_doc_mb=size_mb + 1), progress=False)
    t4 = time.perf_counter()
    sampled = sampler.stop()
    total = t4 - t1
    return {
        "document_mb": round(size_mb, 1),
        "generate_s": round(gen_s, 1),
        "read_normalize_s": round(t2 - t1, 2),
        "segment_s": round(t3 - t2, 2),
        "build_s": round(t4 - t3, 2),
        "total_s": round(total, 2),
        "read_normalize_mb_s": round(size_mb / max(t2 - t1, 1e-9), 2),
        "segment_mb_s": round(size_mb / max(t3 - t2, 1e-9), 2),
        "total_mb_s": round(size_mb / max(total, 1e-9), 2),
        # CPU seconds (with the tokenizing processes): on a busy machine this shows the work itself
        "cpu_s": round(_cpu_s() - cpu1, 1),
        # per step: on a busy machine, what the step would take on idle cores is about its CPU
        # seconds over the cores it keeps busy
        "read_normalize_cpu_s": round(cpu2 - cpu1, 1),
        "segment_cpu_s": round(cpu3 - cpu2, 1),
        "build_cpu_s": round(_cpu_s() - cpu3, 1),
        "build_steps_s": index.manifest.get("phases", {}),
        "load_average": [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None,
        "clauses": index.manifest["counts"]["clauses"],
        "peak_mb": round(max(_peak_mb(), sampled["tree_peak_mb"]), 1),
        "cpus": os.cpu_count(),
        "phases": sampled["phases"][:8],
    }


def measure_document(mb: float, seed: int = SEED, timeout: float | None = None, log=None) -> dict:
    """The large-document row, in a fresh process (so its peak memory is its own)."""
    log = log or (lambda msg: None)
    tmp = Path(tempfile.mkdtemp(prefix="qa-bench-doc-"))
    try:
        log(f"[bench] document of {mb:g} MB: generating and indexing …")
        row = _run_child(["--child-doc", str(mb), "--out", str(tmp / "index"), "--seed", str(seed)], timeout)
        log(f"[bench] document: {row['total_s']} s ({row['total_mb_s']} MB/s), peak {row['peak_mb']} MB")
        return row
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _cn(k: int) -> str:
    if k <= 10:
        return _CN[k - 1]
    if k < 20:
        return "十" + _CN[k - 11]
    return _CN[k // 10 - 1] + "十" + (_CN[k % 10 - 1] if k % 10 else "")


def _clause_text(rng: random.Random, m: Material) -> str:
    parts = []
    for _ in range(rng.choice((2, 3, 3, 4))):
        words = list(rng.choice(m.pieces))
        spots = [i for i, w in enumerate(words) if _CJK_WORD.match(w)]
        if spots and rng.random() < 0.5:
            words[rng.choice(spots)] = rng.choice(m.words)
        if spots and rng.random() < 0.1:  # a made-up name keeps the vocabulary's long tail
            words[rng.choice(spots)] = rng.choice(m.chars) + rng.choice(m.chars) + rng.choice(_NAME_SUFFIXES)
        for i, w in enumerate(words):
            if _NUMBER.match(w):
                words[i] = _number(rng)
        parts.append("".join(words))
    return "，".join(parts)


def _number(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.5:
        return str(rng.randint(1, 999))
    if r < 0.8:
        return f"{rng.randint(1, 99)}.{rng.randint(1, 9)}"
    return str(rng.randint(1000, 99999))


def synthetic_questions(corpus: Corpus, count: int, seed: int = SEED, cut=None) -> list[str]:
    """Questions made of words from random clauses of the corpus, with everyday question frames."""
    if cut is None:
        import jieba

        cut = jieba.Tokenizer().cut
    rng = random.Random(seed + 1)
    out: list[str] = []
    while len(out) < count:
        c = corpus.clauses[rng.randrange(len(corpus.clauses))]
        words = [w for w in cut(c.text) if _CJK_WORD.match(w)]
        if len(words) < 3:
            continue
        a, b, w3 = rng.sample(words, 3)
        out.append(rng.choice(_TEMPLATES).format(y=rng.choice((2023, 2024)), a=a, b=b, c=w3))
    return out


def seeds_questions(count: int) -> list[str]:
    """The dev set's questions (eval/dev.jsonl), repeated to `count`."""
    path = repo_root() / "eval" / "dev.jsonl"
    qs = [json.loads(line)["question"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [qs[i % len(qs)] for i in range(count)]


# ---------------------------------------------------------------------------------------
# Measuring inside a child process


def _rss_mb() -> float:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:  # not Linux: the peak is the best we have
        return _peak_mb()


def _tree_mb() -> float:
    """Memory of this process and its child processes (the tokenizing pool), MB.

    Proportional set size: pages a forked child shares with its parent are counted once,
    split between them, so the sum is the memory the build really holds.
    """
    total = 0.0
    for pid in [os.getpid(), *_children()]:
        try:
            with open(f"/proc/{pid}/smaps_rollup") as f:
                total += next(int(line.split()[1]) for line in f if line.startswith("Pss:")) / 1024
        except (OSError, StopIteration, ValueError):  # a child that just ended
            continue
    return total


def _children() -> list[int]:
    out: list[int] = []
    try:
        for task in os.listdir("/proc/self/task"):
            with open(f"/proc/self/task/{task}/children") as f:
                out.extend(int(p) for p in f.read().split())
    except OSError:
        pass
    return out


def _cpu_s() -> float:
    """User + system CPU seconds of this process and its finished children."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def _peak_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024  # bytes on macOS, KiB on Linux


class PhaseSampler(threading.Thread):
    """Samples the main thread's stack and RSS: time and peak memory per line of build_index.

    A sampling profiler with almost no overhead, so the build it watches keeps its real speed.
    """

    def __init__(self, interval: float = 0.1, anchor: str = "index.py"):
        super().__init__(daemon=True)
        self.interval, self.anchor = interval, anchor
        self.seconds: Counter = Counter()
        self.peak: dict[str, float] = {}
        self.inner: Counter = Counter()
        self.tree_peak = 0.0  # this process and its children, while it has any
        self._halt = threading.Event()
        self._main = threading.main_thread().ident

    def run(self) -> None:
        last = time.perf_counter()
        tick = 0
        while not self._halt.wait(self.interval):
            now = time.perf_counter()
            try:
                where, inner = self._where(sys._current_frames().get(self._main))
            except Exception:  # a frame caught mid-change must not end the sampling
                where, inner = "(unreadable frame)", "?"
            self.seconds[where] += now - last
            self.inner[inner] += now - last
            mem = _rss_mb()
            tick += 1
            if tick % 5 == 0 and _children():  # reading every page table is not free: twice a second
                mem = max(mem, _tree_mb())
                self.tree_peak = max(self.tree_peak, mem)
            self.peak[where] = max(self.peak.get(where, 0.0), mem)
            last = now

    def _where(self, frame) -> tuple[str, str]:
        import linecache

        inner = f"{Path(frame.f_code.co_filename).name}:{frame.f_code.co_name}" if frame else "?"
        f = frame
        while f is not None:
            if f.f_code.co_filename.endswith(self.anchor) or f.f_code.co_filename.endswith("bench.py"):
                line = f.f_lineno or 0  # None while a frame is between lines
                src = linecache.getline(f.f_code.co_filename, line).strip() if line else ""
                return f"{Path(f.f_code.co_filename).name}:{line} {src[:70]}", inner
            f = f.f_back
        return "(elsewhere)", inner

    def stop(self) -> dict:
        self._halt.set()
        self.join()
        total = sum(self.seconds.values()) or 1.0
        phases = [
            {"where": w, "seconds": round(s, 2), "share": round(s / total, 3), "peak_rss_mb": round(self.peak.get(w, 0.0), 1)}
            for w, s in self.seconds.most_common(12)
        ]
        inner = [{"function": w, "seconds": round(s, 2)} for w, s in self.inner.most_common(10)]
        return {"phases": phases, "inner": inner, "tree_peak_mb": round(self.tree_peak, 1)}


def _folder_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in Path(folder).rglob("*") if p.is_file()) / 2**20


def child_build(spec: str, out: Path, seed: int = SEED, profile: bool = False) -> dict:
    """Build one index (synthetic of `spec` clauses, or 'seeds') into `out`; measures it."""
    from .index import Settings, build_index

    sampler = PhaseSampler()
    sampler.start()
    t0 = time.perf_counter()
    corpus, seeds = (None, repo_root() / "seeds") if spec == "seeds" else (synthetic_corpus(int(spec), seed), None)
    gen_s = time.perf_counter() - t0
    before = _rss_mb()
    prof = None
    if profile:
        import cProfile

        prof = cProfile.Profile()
        prof.enable()
    t1, cpu1 = time.perf_counter(), _cpu_s()
    index = build_index(out, seeds=seeds, corpus=corpus, settings=Settings(embedder="corpus"), progress=False)
    build_s, build_cpu = time.perf_counter() - t1, _cpu_s() - cpu1
    if prof:
        prof.disable()
    sampled = sampler.stop()
    counts = index.manifest["counts"]
    result = {
        "spec": spec,
        "clauses": counts["clauses"],
        "paragraphs": counts["paragraphs"],
        "documents": counts["documents"],
        "faiss": index.vectors.kind,
        "faiss_params": index.vectors.describe(),
        "embedder_dim": index.embedder.dim,
        "generate_s": round(gen_s, 2),
        "build_s": round(build_s, 2),
        # CPU seconds of the build and its tokenizing processes: on a shared machine this, not
        # the wall time, shows whether a change made the work smaller
        "build_cpu_s": round(build_cpu, 2),
        "index_mb": round(_folder_mb(out), 1),
        "rss_before_build_mb": round(before, 1),
        # the build's own peak RSS, or the peak of it with its tokenizing processes if higher
        "peak_build_mb": round(max(_peak_mb(), sampled["tree_peak_mb"]), 1),
        "peak_build_main_mb": round(_peak_mb(), 1),
        "peak_build_with_workers_mb": sampled["tree_peak_mb"],
        "build_phases": sampled["phases"],
        "build_inner": sampled["inner"],
    }
    if prof:
        result["build_profile"] = _profile_text(prof, 25)
    return result


def _profile_text(prof, top: int) -> str:
    import io
    import pstats

    buf = io.StringIO()
    pstats.Stats(prof, stream=buf).strip_dirs().sort_stats("tottime").print_stats(top)
    lines = buf.getvalue().splitlines()
    start = next((i for i, line in enumerate(lines) if "ncalls" in line), 0)
    head = [line for line in lines[:start] if "function calls" in line]
    return "\n".join(head + lines[start:]).rstrip()


def _ms(samples: list[float]) -> dict:
    a = np.asarray(samples, dtype=np.float64) * 1000
    return {"p50": round(float(np.percentile(a, 50)), 3), "p95": round(float(np.percentile(a, 95)), 3), "mean": round(float(a.mean()), 3), "n": len(a)}


def _timed(fn, items) -> list[float]:
    out = []
    for x in items:
        t = time.perf_counter()
        fn(x)
        out.append(time.perf_counter() - t)
    return out


def _top(scores: np.ndarray, k: int = 10) -> np.ndarray:
    k = min(k, len(scores))
    part = np.argpartition(-scores, k - 1)[:k]
    return part[np.argsort(-scores[part])]


def child_query(folder: Path, queries: int, seed: int = SEED, seeds: bool = False, references: bool = True) -> dict:
    """Load an index and time warm queries: ours (lexical, dense, hybrid) and the references."""
    import cProfile

    from .index import load_index
    from .retrieve import Retriever

    t0 = time.perf_counter()
    index = load_index(folder)
    retriever = Retriever(index)
    load_s = time.perf_counter() - t0
    questions = seeds_questions(queries) if seeds else synthetic_questions(index.corpus, queries, seed, index.tokenizer._jieba.cut)
    warm = questions[: min(10, len(questions))]
    for q in warm:  # warm-up: first calls pay for imports, caches and page faults
        retriever.search(q, 10)

    tokenize = _timed(index.tokenizer.query_tokens, questions)
    tokens = [index.tokenizer.query_tokens(q) for q in questions]
    encode = _timed(lambda q: index.embedder.encode_queries([q]), questions)
    qvecs = index.embedder.encode_queries(questions)
    lexical = _timed(lambda t: _top(index.lexical.scores(t)), tokens)
    lexical_raw = _timed(lambda t: _top(index.lexical.raw_clause_scores(t)), tokens)
    dense = _timed(lambda v: index.vectors.search(v[None, :], 10), qvecs)
    hybrid = _timed(lambda q: retriever.search(q, 10), questions)
    empty = sum(1 for q in questions if not retriever.search(q, 10))
    serve_peak = _peak_mb()

    prof = cProfile.Profile()
    prof.enable()
    for q in questions:
        retriever.search(q, 10)
    prof.disable()

    result = {
        "load_s": round(load_s, 2),
        "queries": len(questions),
        "peak_serve_mb": round(serve_peak, 1),
        "latency_ms": {
            "tokenize": _ms(tokenize),
            "encode": _ms(encode),
            "lexical": _ms(lexical),
            "lexical_clauses_only": _ms(lexical_raw),
            "dense": _ms(dense),
            "hybrid": _ms(hybrid),
        },
        "hybrid_empty": empty,
        "hybrid_profile": _profile_text(prof, 20),
        "examples": [{"question": q, "top": h[0].clause.text if h else ""} for q in questions[:3] for h in [retriever.search(q, 1)]],
    }
    if references:
        result["reference"] = _references(index, questions, tokens, qvecs)
    result["peak_total_mb"] = round(_peak_mb(), 1)
    return result


def _references(index, questions: list[str], tokens: list[list[str]], qvecs: np.ndarray) -> dict:
    import faiss

    n = len(index.corpus.clauses)
    out: dict = {}
    # Exact FAISS over the very vectors our index holds.
    t = time.perf_counter()
    vectors = index.vectors.index.reconstruct_n(0, n)
    flat = faiss.IndexFlatIP(vectors.shape[1])
    flat.add(vectors)
    flat_build = time.perf_counter() - t
    flat.search(qvecs[:5], 10)
    dense_ref = _timed(lambda v, flat=flat: flat.search(v[None, :], 10), qvecs)
    _, exact = flat.search(qvecs, 10)
    _, ours = index.vectors.search(qvecs, 10)
    recall = float(np.mean([len(set(a) & set(b)) / max(1, len(set(b) - {-1})) for a, b in zip(ours, exact)]))
    out["faiss_flat"] = {"build_s": round(flat_build, 2), "dense": _ms(dense_ref), "recall_at_10_ours_vs_exact": round(recall, 4)}
    ivf = index.vectors.index if hasattr(index.vectors.index, "nprobe") else None
    if ivf is not None:  # what probing fewer or more cells would buy, on the same queries
        saved, sweep = ivf.nprobe, []
        for nprobe in sorted({max(1, saved // 4), max(1, saved // 2), saved, min(ivf.nlist, saved * 2), min(ivf.nlist, saved * 4)}):
            ivf.nprobe = nprobe
            times = _timed(lambda v: index.vectors.search(v[None, :], 10), qvecs)
            _, got = index.vectors.search(qvecs, 10)
            r = float(np.mean([len(set(a) & set(b)) / max(1, len(set(b) - {-1})) for a, b in zip(got, exact)]))
            sweep.append({"nprobe": nprobe, "recall_at_10": round(r, 4), "dense": _ms(times)})
        ivf.nprobe = saved
        out["ivf_nprobe_sweep"] = sweep
    del vectors, flat

    if n > RANK_BM25_LIMIT:
        out["rank_bm25"] = {
            "skipped": f"{n} 条超过 {RANK_BM25_LIMIT} 条：rank_bm25 是纯 Python，每个查询词都要逐条遍历全部文档（rank_bm25 is pure Python; skipped above {RANK_BM25_LIMIT} clauses)"
        }
        return out
    from rank_bm25 import BM25Okapi

    t = time.perf_counter()
    corpus_tokens = [index.tokenizer.tokens(c.text) for c in index.corpus.clauses]
    tok_s = time.perf_counter() - t
    t = time.perf_counter()
    bm25 = BM25Okapi(corpus_tokens, k1=index.lexical.k1, b=index.lexical.b)
    build = time.perf_counter() - t
    del corpus_tokens
    first = _timed(lambda q: _top(bm25.get_scores(q)), tokens[:5])
    per = max(float(np.mean(first)), 1e-6)
    m = len(tokens) if per * len(tokens) <= REF_BUDGET_S else max(20, int(REF_BUDGET_S / per))
    lex_ref = _timed(lambda q: _top(bm25.get_scores(q)), tokens[:m])
    out["rank_bm25"] = {"tokenize_s": round(tok_s, 2), "build_s": round(build, 2), "lexical": _ms(lex_ref)}
    if m < len(tokens):
        out["rank_bm25"]["note"] = f"只计时前 {m} 个问题（每题约 {per * 1000:.0f} ms）"
    return out


# ---------------------------------------------------------------------------------------
# The driver: one fresh process per stage and size


def _run_child(args: list[str], timeout: float | None) -> dict:
    env = dict(os.environ)
    root = str(repo_root())
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    proc = subprocess.run([sys.executable, "-m", "qa.bench", *args], capture_output=True, text=True, env=env, timeout=timeout, cwd=root)
    if proc.returncode != 0:
        tail = (proc.stderr or "").strip().splitlines()[-5:]
        reason = "killed (out of memory?)" if proc.returncode < 0 else f"exit {proc.returncode}"
        raise RuntimeError(f"{' '.join(args[:2])}: {reason}: {' | '.join(tail)}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def measure(spec: str, queries: int = 200, seed: int = SEED, timeout: float | None = None, log=None, work: Path | None = None) -> dict:
    """Build (one process) and query (another) one size; `spec` is a clause count or 'seeds'."""
    log = log or (lambda msg: None)
    tmp = Path(tempfile.mkdtemp(prefix="qa-bench-", dir=work))
    try:
        log(f"[bench] {spec}: building …")
        row = _run_child(["--child-build", spec, "--out", str(tmp / "index"), "--seed", str(seed)], timeout)
        log(f"[bench] {spec}: built in {row['build_s']} s, peak {row['peak_build_mb']} MB; querying …")
        extra = ["--seeds-questions"] if spec == "seeds" else []
        row.update(_run_child(["--child-query", str(tmp / "index"), "--queries", str(queries), "--seed", str(seed), *extra], timeout))
        row["peak_mb"] = max(row["peak_build_mb"], row["peak_serve_mb"])
        log(f"[bench] {spec}: hybrid p95 {row['latency_ms']['hybrid']['p95']} ms")
        return row
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run_bench(
    sizes: list[int],
    queries: int = 200,
    log=None,
    seeds: bool = True,
    seed: int = SEED,
    profile_size: int = 100_000,
    timeout: float | None = None,
    doc_mb: float = 0,
) -> dict:
    """Measure every size (and the seeds, and a document of doc_mb MB); targets and, where one is missed, a profile."""
    log = log or (lambda msg: print(msg, file=sys.stderr))
    rows = []
    for spec in (["seeds"] if seeds else []) + [str(int(n)) for n in sizes]:
        try:
            row = measure(spec, queries, seed, timeout, log)
        except (RuntimeError, subprocess.TimeoutExpired) as e:
            log(f"[bench] {spec}: failed: {e}")
            row = {"spec": spec, "error": str(e)}
        rows.append(row)
    for row in rows:
        if "error" not in row:
            row["ratios"] = _ratios(row)
    result = {"seed": seed, "queries": queries, "cpus": os.cpu_count(), "python": sys.version.split()[0], "code": code_fingerprint(), "rows": rows}
    if doc_mb:
        try:
            result["document"] = measure_document(doc_mb, seed, timeout, log)
        except (RuntimeError, subprocess.TimeoutExpired) as e:
            log(f"[bench] document: failed: {e}")
            result["document"] = {"document_mb": doc_mb, "error": str(e)}
    result["targets"] = _targets(rows) + _document_targets(result.get("document"))
    missed = [t for t in result["targets"] if t["met"] is False]
    if missed:
        result["profile"] = _profiles(rows, missed, profile_size, seed, timeout, log)
    return result


def code_fingerprint() -> dict[str, str]:
    """sha256 (first 12 hex) of the modules measured, so a result names the code it measured."""
    import hashlib

    qa = Path(__file__).resolve().parent
    return {name: hashlib.sha256((qa / name).read_bytes()).hexdigest()[:12] for name in ("lexical.py", "dense.py", "index.py", "retrieve.py") if (qa / name).exists()}


DOC_TARGETS = {"doc_total_s_50mb": 120.0, "doc_peak_mb_50mb": 4 * 1024.0}


def _document_targets(doc: dict | None) -> list[dict]:
    if not doc or "error" in doc:
        return []
    note = f"{doc['document_mb']} MB, {doc.get('cpus')} CPU" + ("" if abs(doc["document_mb"] - 50) < 2 else "; the target is for 50 MB")
    return [
        {"target": "doc_total_s_50mb", "size": "document", "value": doc["total_s"], "unit": "s", "limit": DOC_TARGETS["doc_total_s_50mb"],
         "met": doc["total_s"] <= DOC_TARGETS["doc_total_s_50mb"], "note": note},
        {"target": "doc_peak_mb_50mb", "size": "document", "value": doc["peak_mb"], "unit": "MB", "limit": DOC_TARGETS["doc_peak_mb_50mb"],
         "met": doc["peak_mb"] <= DOC_TARGETS["doc_peak_mb_50mb"], "note": note},
    ]


def _ratios(row: dict) -> dict:
    lat, ref = row["latency_ms"], row.get("reference", {})
    out = {}
    if "lexical" in ref.get("rank_bm25", {}):
        r = ref["rank_bm25"]["lexical"]
        out["lexical_vs_rank_bm25_p50"] = round(lat["lexical"]["p50"] / r["p50"], 4)
        out["lexical_vs_rank_bm25_p95"] = round(lat["lexical"]["p95"] / r["p95"], 4)
    if "faiss_flat" in ref:
        r = ref["faiss_flat"]["dense"]
        out["dense_vs_flat_p50"] = round(lat["dense"]["p50"] / r["p50"], 4)
        out["dense_vs_flat_p95"] = round(lat["dense"]["p95"] / r["p95"], 4)
    return out


def _targets(rows: list[dict]) -> list[dict]:
    by = {r["spec"]: r for r in rows}
    out = []

    def add(name: str, spec: str, value, limit: float, unit: str):
        row = by.get(spec)
        if row is None:
            out.append({"target": name, "size": spec, "limit": limit, "unit": unit, "value": None, "met": None, "note": "not measured"})
        elif "error" in row:
            out.append({"target": name, "size": spec, "limit": limit, "unit": unit, "value": None, "met": False, "note": row["error"][:200]})
        else:
            v = value(row)
            out.append({"target": name, "size": spec, "limit": limit, "unit": unit, "value": v, "met": v <= limit})

    add("hybrid p95", "1000000", lambda r: r["latency_ms"]["hybrid"]["p95"], TARGETS["hybrid_p95_ms_1m"], "ms")
    add("build time", "1000000", lambda r: r["build_s"], TARGETS["build_s_1m"], "s")
    add("peak memory", "1000000", lambda r: r["peak_mb"], TARGETS["peak_mb_1m"], "MB")
    add("seeds hybrid p95", "seeds", lambda r: r["latency_ms"]["hybrid"]["p95"], TARGETS["seeds_p95_ms"], "ms")
    return out


def _profiles(rows: list[dict], missed: list[dict], profile_size: int, seed: int, timeout, log) -> dict:
    by = {r["spec"]: r for r in rows}
    out: dict = {}
    build_profile = ""  # one cProfile run serves both build targets
    for t in missed:
        row = by.get(t["size"], {})
        if t["target"].endswith("p95") and "hybrid_profile" in row:
            out[f"{t['target']} @ {t['size']}"] = {"why": _why_query(row), "cprofile": row["hybrid_profile"]}
        elif t["target"] in ("build time", "peak memory") and "build_phases" in row:
            entry = {"why": _why_build(row, t["target"]), "phases": row["build_phases"][:8], "inner": row["build_inner"][:8]}
            if not build_profile:
                size = str(min(int(t["size"]), profile_size))
                log(f"[bench] profiling a {size}-clause build with cProfile …")
                tmp = Path(tempfile.mkdtemp(prefix="qa-bench-prof-"))
                try:
                    prof = _run_child(["--child-build", size, "--out", str(tmp / "index"), "--seed", str(seed), "--profile"], timeout)
                    build_profile = f"(cProfile of a {size}-clause build, {prof['build_s']} s under the profiler)\n" + prof["build_profile"]
                except (RuntimeError, subprocess.TimeoutExpired) as e:
                    build_profile = f"profile failed: {e}"
                finally:
                    shutil.rmtree(tmp, ignore_errors=True)
            entry["cprofile"] = build_profile
            out[f"{t['target']} @ {t['size']}"] = entry
    return out


def _why_query(row: dict) -> str:
    lat = row["latency_ms"]
    parts = {k: lat[k]["mean"] for k in ("tokenize", "encode", "lexical", "dense")}
    total = lat["hybrid"]["mean"]
    rest = total - sum(parts.values())
    return (
        f"hybrid mean {total:.1f} ms = tokenize {parts['tokenize']:.1f} + encode {parts['encode']:.1f} + lexical {parts['lexical']:.1f}"
        f" + dense {parts['dense']:.1f} + fusion/rescoring {rest:.1f} ms"
    )


def _why_build(row: dict, target: str) -> str:
    key = "seconds" if target == "build time" else "peak_rss_mb"
    top = sorted(row["build_phases"], key=lambda p: -p[key])[:3]
    if target == "build time":
        return f"build {row['build_s']} s; most time in: " + "; ".join(f"{p['where']} ({p['seconds']} s)" for p in top)
    return f"peak {row['peak_mb']} MB (corpus alone {row['rss_before_build_mb']} MB); highest RSS during: " + "; ".join(
        f"{p['where']} ({p['peak_rss_mb']} MB)" for p in top
    )


# ---------------------------------------------------------------------------------------
# Report


def _fmt(v, nd=1) -> str:
    if v is None:
        return "—"
    if isinstance(v, float):
        return f"{v:.{nd}f}"
    return str(v)


def format_bench(result: dict) -> str:
    """The result as readable tables (Chinese with English labels)."""
    lines = [f"性能基准 benchmark — {result.get('queries')} 个问题/规模，{result.get('cpus')} CPU，seed {result.get('seed')}"]
    if result.get("code"):
        lines.append("代码 code: " + ", ".join(f"{k} {v}" for k, v in result["code"].items()))
    lines.append("")
    lines.append("构建 build")
    head = f"{'规模 size':>12} {'条款':>9} {'段落':>8} {'FAISS':>15} {'生成s':>7} {'构建s':>8} {'CPU s':>8} {'索引MB':>8} {'构建峰值MB':>10} {'查询峰值MB':>10} {'加载s':>7}"
    lines += [head, "-" * len(head)]
    for r in result["rows"]:
        if "error" in r:
            lines.append(f"{r['spec']:>12} 失败 failed: {r['error'][:100]}")
            continue
        lines.append(
            f"{r['spec']:>12} {r['clauses']:>9} {r['paragraphs']:>8} {r['faiss']:>15} {_fmt(r['generate_s']):>7} {_fmt(r['build_s']):>8} {_fmt(r.get('build_cpu_s')):>8}"
            f" {_fmt(r['index_mb']):>8} {_fmt(r['peak_build_mb'], 0):>10} {_fmt(r['peak_serve_mb'], 0):>10} {_fmt(r['load_s'], 2):>7}"
        )
    lines += ["", "查询延迟 warm latency, ms (p50 / p95)"]
    cols = ["tokenize", "encode", "lexical", "rank_bm25", "lex÷ref", "dense", "faiss flat", "dense÷ref", "recall@10", "hybrid"]
    head = f"{'规模 size':>12} " + " ".join(f"{c:>15}" for c in cols)
    lines += [head, "-" * len(head)]
    for r in result["rows"]:
        if "error" in r:
            continue
        lat, ref, rat = r["latency_ms"], r.get("reference", {}), r.get("ratios", {})
        pp = lambda d: f"{d['p50']:.2f}/{d['p95']:.2f}"  # noqa: E731
        rb = ref.get("rank_bm25", {})
        ff = ref.get("faiss_flat", {})
        cells = [
            pp(lat["tokenize"]),
            pp(lat["encode"]),
            pp(lat["lexical"]),
            pp(rb["lexical"]) if "lexical" in rb else "skipped",
            f"{rat['lexical_vs_rank_bm25_p50']:.3f}" if "lexical_vs_rank_bm25_p50" in rat else "—",
            pp(lat["dense"]),
            pp(ff["dense"]) if "dense" in ff else "—",
            f"{rat['dense_vs_flat_p50']:.3f}" if "dense_vs_flat_p50" in rat else "—",
            _fmt(ff.get("recall_at_10_ours_vs_exact"), 3),
            pp(lat["hybrid"]),
        ]
        lines.append(f"{r['spec']:>12} " + " ".join(f"{c:>15}" for c in cells))
    notes = [f"  {r['spec']}: rank_bm25 {r['reference']['rank_bm25'].get('skipped') or r['reference']['rank_bm25'].get('note')}"
             for r in result["rows"] if "error" not in r and ("skipped" in r.get("reference", {}).get("rank_bm25", {}) or "note" in r.get("reference", {}).get("rank_bm25", {}))]
    for r in result["rows"]:
        sweep = r.get("reference", {}).get("ivf_nprobe_sweep") if "error" not in r else None
        if sweep:
            p = r.get("faiss_params", {})
            notes.append(f"  {r['spec']}: IVF {p.get('nlist')} cells, nprobe {p.get('nprobe')}; nprobe → recall@10 vs exact, dense p50/p95: " + "; ".join(
                f"{x['nprobe']} → {x['recall_at_10']:.3f}, {x['dense']['p50']:.2f}/{x['dense']['p95']:.2f} ms" for x in sweep))
    if notes:
        lines += ["", "说明 notes"] + notes
    doc = result.get("document")
    if doc:
        lines += ["", "大文件 one large document"]
        if "error" in doc:
            lines.append(f"  {doc['document_mb']} MB: 失败 failed: {doc['error'][:200]}")
        else:
            lines.append(
                f"  {doc['document_mb']} MB, {doc['clauses']} 条款: 读取+规范化 read+normalize {doc['read_normalize_s']} s ({doc['read_normalize_mb_s']} MB/s),"
                f" 切分 segment {doc['segment_s']} s ({doc['segment_mb_s']} MB/s), 建索引 index {doc['build_s']} s;"
                f" 合计 total {doc['total_s']} s = {doc['total_mb_s']} MB/s (CPU {doc.get('cpu_s')} s), 峰值 peak {doc['peak_mb']:.0f} MB"
            )
            if "segment_cpu_s" in doc:
                lines.append(
                    f"  CPU 秒 CPU seconds: 读取+规范化 {doc['read_normalize_cpu_s']}, 切分 {doc['segment_cpu_s']}, 建索引 {doc['build_cpu_s']};"
                    f" 负载 load average {doc.get('load_average')}"
                )
    lines += ["", "目标 targets"]
    for t in result.get("targets", []):
        mark = {True: "达成 met", False: "未达成 MISSED", None: "未测 not measured"}[t["met"]]
        lines.append(f"  {t['target']} @ {t['size']}: {_fmt(t['value'], 2)} {t['unit']} (≤ {t['limit']:g}) — {mark}" + (f" ({t['note']})" if t.get("note") and t["met"] is not None else ""))
    shown = set()
    for name, p in result.get("profile", {}).items():
        lines += ["", f"剖析 profile — {name}", f"  {p['why']}"]
        phases = p.get("phases", [])
        if name.startswith("peak memory"):
            phases = sorted(phases, key=lambda ph: -ph["peak_rss_mb"])
        for ph in phases:
            lines.append(f"    {ph['seconds']:>8.1f} s  {ph['peak_rss_mb']:>8.0f} MB  {ph['where']}")
        if p.get("cprofile") in shown:
            lines.append("    (cProfile: same as above)")
        elif p.get("cprofile"):
            shown.add(p["cprofile"])
            lines += ["    " + line for line in p["cprofile"].splitlines()[:18]]
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------
# Command line (also the child processes)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m qa.bench", description="构建与查询性能基准")
    ap.add_argument("sizes", nargs="*", type=int, help="synthetic corpus sizes in clauses")
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--no-seeds", action="store_true", help="leave out the seeds row")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--one", metavar="N", help="measure one size (a clause count or 'seeds') and print JSON")
    ap.add_argument("--child-build", metavar="N")
    ap.add_argument("--child-query", metavar="DIR")
    ap.add_argument("--child-doc", metavar="MB", type=float)
    ap.add_argument("--doc-mb", type=float, default=0, help="also index one synthetic document of this many MB")
    ap.add_argument("--out")
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--seeds-questions", action="store_true")
    a = ap.parse_args(argv)
    if a.child_build:
        print(json.dumps(child_build(a.child_build, Path(a.out), a.seed, a.profile), ensure_ascii=False))
        return 0
    if a.child_doc:
        print(json.dumps(child_document(a.child_doc, Path(a.out), a.seed), ensure_ascii=False))
        return 0
    if a.child_query:
        print(json.dumps(child_query(Path(a.child_query), a.queries, a.seed, a.seeds_questions), ensure_ascii=False))
        return 0
    if a.one:
        print(json.dumps(measure(a.one, a.queries, a.seed, log=lambda m: print(m, file=sys.stderr)), ensure_ascii=False))
        return 0
    result = run_bench(a.sizes, a.queries, seeds=not a.no_seeds, seed=a.seed, doc_mb=a.doc_mb)
    print(json.dumps(result, ensure_ascii=False, indent=1) if a.json else format_bench(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
