"""End-to-end ingest benchmark: from document files to a searchable index, per store.

Documents of the seeds' shape (the synthetic corpus of qa.bench, written out as text files
with a catalog.toml) go through everything a user's ingest does — load and normalize,
segment, time scope and measures, tokenize, embed, store — in a fresh process per (size,
backend). Reported: documents/s, clauses/s, peak memory (the process and its tokenizing
workers), seconds per phase (from the build's own phase timers, and for loading/segmenting
and, per clause on one core, loading/segmenting/measures split by module from a sampling
profiler), warm hybrid query latency, and the time to add
one more document incrementally.

    python -m qa.ingest_bench 10000 --backends local,milvus
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from .bench import SEED, PhaseSampler, _cpu_s, _folder_mb, _ms, _peak_mb, _timed, seed_material, synthetic_corpus, synthetic_questions
from .text import repo_root

TARGETS = {"local_1m_s": 300.0, "local_1m_peak_mb": 6 * 1024.0, "add_one_s_1m": 10.0}
_MODULE_PHASE = {"text.py": "load/normalize", "segment.py": "segment", "timescope.py": "time scope", "facts.py": "measures"}


def render(clauses) -> str:
    """A document's text from its clauses: headings on their own lines, one paragraph a line."""
    lines: list[str] = []
    path: tuple[str, ...] = ()
    para = None
    for c in clauses:
        if c.heading_path != path:
            common = 0
            while common < min(len(path), len(c.heading_path)) and path[common] == c.heading_path[common]:
                common += 1
            lines.extend(c.heading_path[common:])
            path, para = c.heading_path, None
        if c.para != para:
            lines.append("")
            para = c.para
        lines[-1] += c.text
    return "\n".join(lines) + "\n"


def write_documents(n: int, folder: Path, seed: int = SEED, material=None, doc_clauses: int = 400, first: int = 0) -> int:
    """Text files (and catalog.toml entries) of about n clauses of the seeds' shape; returns the file count."""
    corpus = synthetic_corpus(n, seed, material, doc_clauses)
    folder.mkdir(parents=True, exist_ok=True)
    by_doc: dict[str, list] = {}
    for c in corpus.clauses:
        by_doc.setdefault(c.doc_id, []).append(c)
    with open(folder / "catalog.toml", "a", encoding="utf-8") as cat:
        for k, d in enumerate(corpus.docs):
            name = f"doc{first + k:06d}.txt"
            (folder / name).write_text(f"{d.title}\n" + render(by_doc[d.id]), encoding="utf-8")
            cat.write(f'\n["{name}"]\nid = "d{first + k:06d}"\ntitle = "{d.title}"\nissuer = "合成市人民政府"\ndate = "2024-01-15"\nthis_year = 2024\nkind = "report"\n')
    return len(corpus.docs)


def child_ingest(spec: int, work: Path, backend: str, seed: int = SEED, queries: int = 100) -> dict:
    """Ingest `spec` clauses' worth of documents with one backend, in this process; measure it."""
    from .index import Settings, build_index, load_index
    from .ingest import update_index
    from .retrieve import Retriever

    material = seed_material()
    docs = work / "docs"
    t = time.perf_counter()
    files = write_documents(spec, docs, seed, material)
    generate_s = time.perf_counter() - t
    sampler = PhaseSampler(interval=0.05)
    sampler.start()
    t, cpu = time.perf_counter(), _cpu_s()
    index = build_index(work / "index", docs, Settings(embedder="corpus"), progress=False, backend=backend)
    ingest_s, ingest_cpu = time.perf_counter() - t, _cpu_s() - cpu
    sampled = sampler.stop()
    m = index.manifest
    counts = m["counts"]
    load_split = _load_split(docs)
    # warm hybrid latency, on questions made of the corpus' own words
    questions = synthetic_questions(index.corpus, queries, seed)
    retriever = Retriever(index)
    retriever.search(questions[0])
    latency = _ms(_timed(lambda q: retriever.search(q, 10), questions))
    # one more document, added incrementally: the update itself (as `qa index --update` runs it),
    # then reading the updated index back and querying it (segments and deleted rows)
    del retriever, index
    write_documents(400, docs, seed + 1, material, first=files)
    t, cpu = time.perf_counter(), _cpu_s()
    _, update = update_index(work / "index", docs, load=False)
    add_s, add_cpu = time.perf_counter() - t, _cpu_s() - cpu
    t = time.perf_counter()
    updated = load_index(work / "index")
    reload_s = time.perf_counter() - t
    retriever = Retriever(updated)
    retriever.search(questions[0])
    latency_after = _ms(_timed(lambda q: retriever.search(q, 10), questions))
    return {
        "spec": spec,
        "backend": backend,
        "documents": counts["documents"],
        "clauses": counts["clauses"],
        "facts": counts["facts"],
        "generate_s": round(generate_s, 2),
        "ingest_s": round(ingest_s, 2),
        "ingest_cpu_s": round(ingest_cpu, 2),
        "docs_per_s": round(counts["documents"] / ingest_s, 2),
        "clauses_per_s": round(counts["clauses"] / ingest_s, 1),
        "peak_mb": round(max(_peak_mb(), sampled["tree_peak_mb"]), 1),
        "index_mb": round(_folder_mb(work / "index"), 1),
        "phases_s": m.get("phases", {}),
        "load_us_per_clause_one_core": load_split,
        "hybrid_ms": latency,
        "add_one_document_s": round(add_s, 2),
        "add_one_document_cpu_s": round(add_cpu, 2),
        "load_after_update_s": round(reload_s, 2),
        "hybrid_ms_after_update": latency_after,
        "load_average": list(os.getloadavg()),
        "add_one_document": {"added": list(update.added), "rebuilt": update.rebuilt, "note": update.note},
        "store": {k: v for k, v in m["store"].items() if k != "collection"},
    }


def _load_split(docs: Path, files: int = 20) -> dict:
    """Microseconds per clause of loading, segmenting, time scope and measures, on one core: the
    first files loaded again in this process under a sampling profiler (the ingest itself loads
    them in worker processes, which the sampler cannot see)."""
    from .segment import Segmenter
    from .text import load_document, read_catalog

    catalog = read_catalog(docs)
    paths = sorted(docs.glob("doc*.txt"))[:files]
    segmenter = Segmenter()
    sampler = PhaseSampler(interval=0.005)
    sampler.start()
    n = 0
    for p in paths:
        n += len(segmenter.segment(load_document(p, catalog.get(p.name))))
    sampler.stop()
    by_module = Counter()
    for where, secs in sampler.inner.items():
        by_module[_MODULE_PHASE.get(where.split(":")[0], "other")] += secs
    return {k: round(v / max(n, 1) * 1e6, 1) for k, v in by_module.items()}


def measure(spec: int, backend: str, seed: int = SEED, queries: int = 100, timeout: float | None = None) -> dict:
    work = Path(tempfile.mkdtemp(prefix="qa-ingest-"))
    try:
        env = dict(os.environ)
        root = str(repo_root())
        env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        args = [sys.executable, "-m", "qa.ingest_bench", "--child", str(spec), "--backend", backend, "--work", str(work), "--seed", str(seed), "--queries", str(queries)]
        proc = subprocess.run(args, capture_output=True, text=True, env=env, timeout=timeout, cwd=root)
        if proc.returncode != 0:
            tail = (proc.stderr or "").strip().splitlines()[-3:]
            return {"spec": spec, "backend": backend, "error": ("killed (out of memory?)" if proc.returncode < 0 else f"exit {proc.returncode}") + ": " + " | ".join(tail)}
        return json.loads(proc.stdout.strip().splitlines()[-1])
    except subprocess.TimeoutExpired:
        return {"spec": spec, "backend": backend, "error": f"timed out after {timeout} s"}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(sizes: list[int], backends: list[str], seed: int = SEED, queries: int = 100, timeout: float | None = None, log=None) -> dict:
    log = log or (lambda msg: print(msg, file=sys.stderr))
    rows = []
    for n in sizes:
        for b in backends:
            log(f"[ingest] {n} clauses, {b} …")
            row = measure(n, b, seed, queries, timeout)
            log(f"[ingest] {n} {b}: " + (row["error"] if "error" in row else f"{row['ingest_s']} s, {row['clauses_per_s']} clauses/s, peak {row['peak_mb']} MB"))
            rows.append(row)
    return {"seed": seed, "cpus": os.cpu_count(), "python": sys.version.split()[0], "rows": rows, "targets": TARGETS}


def format_ingest(result: dict) -> str:
    lines = [f"端到端入库基准 end-to-end ingest — {result['cpus']} CPU，seed {result['seed']}", ""]
    head = f"{'规模':>9} {'后端':>7} {'文档':>6} {'条款':>8} {'入库s':>8} {'CPU s':>8} {'文档/s':>8} {'条款/s':>9} {'峰值MB':>8} {'索引MB':>8} {'hybrid p50/p95 ms':>18} {'增1文档s':>9}"
    lines += [head, "-" * len(head)]
    for r in result["rows"]:
        if "error" in r:
            lines.append(f"{r['spec']:>9} {r['backend']:>7} 失败 failed: {r['error'][:120]}")
            continue
        h = r["hybrid_ms"]
        lines.append(
            f"{r['spec']:>9} {r['backend']:>7} {r['documents']:>6} {r['clauses']:>8} {r['ingest_s']:>8.1f} {r['ingest_cpu_s']:>8.1f} {r['docs_per_s']:>8.2f} {r['clauses_per_s']:>9.0f}"
            f" {r['peak_mb']:>8.0f} {r['index_mb']:>8.0f} {h['p50']:>8.1f}/{h['p95']:<9.1f} {r['add_one_document_s']:>9.2f}"
        )
    for r in result["rows"]:
        if "error" not in r and "load_after_update_s" in r:
            h = r["hybrid_ms_after_update"]
            lines.append(
                f"  {r['spec']} {r['backend']}: 增1文档 CPU {r['add_one_document_cpu_s']:.1f} s；更新后读入索引 {r['load_after_update_s']:.1f} s，"
                f"hybrid p50/p95 {h['p50']:.1f}/{h['p95']:.1f} ms；load average {' '.join(f'{x:.1f}' for x in r['load_average'])}"
            )
    lines += ["", "各阶段耗时 phases, s"]
    for r in result["rows"]:
        if "error" not in r:
            lines.append(f"  {r['spec']} {r['backend']}: " + ", ".join(f"{k} {v:.1f}" for k, v in r["phases_s"].items()))
            if r.get("load_us_per_clause_one_core"):
                split = sorted(r["load_us_per_clause_one_core"].items(), key=lambda kv: -kv[1])
                lines.append("    µs per clause on one core (sampled): " + ", ".join(f"{k} {v:.0f}" for k, v in split))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m qa.ingest_bench", description="端到端入库基准")
    ap.add_argument("sizes", nargs="*", type=int, default=[10_000])
    ap.add_argument("--backends", default="local,milvus")
    ap.add_argument("--queries", type=int, default=100)
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--child", type=int)
    ap.add_argument("--backend", default="local")
    ap.add_argument("--work")
    a = ap.parse_args(argv)
    if a.child:
        print(json.dumps(child_ingest(a.child, Path(a.work), a.backend, a.seed, a.queries), ensure_ascii=False))
        return 0
    result = run(a.sizes, [b.strip() for b in a.backends.split(",") if b.strip()], a.seed, a.queries)
    print(json.dumps(result, ensure_ascii=False, indent=1) if a.json else format_ingest(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
