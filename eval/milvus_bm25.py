"""Milvus's built-in BM25 (its jieba analyzer) against the project's clause BM25, lexical only.

Evidence recall@1/@3 and top-3 overlap on eval/dev.jsonl (seeds) and eval/state_council.jsonl,
with Milvus Lite. Run from the repository root:

    PYTHONPATH=. python eval/milvus_bm25.py
"""

import json
import re
import tempfile
from pathlib import Path

import numpy as np
from pymilvus import MilvusClient, DataType, Function, FunctionType
from qa.index import Settings, build_index


def nows(s):
    return re.sub(r"\s+", "", s)



res = {}
from qa.evalsets import eval_sets

work = Path(tempfile.mkdtemp(prefix="milvus-bm25-"))
for name in ("seeds", "state_council"):
    evset = eval_sets()[name]
    folder, qfile = evset.folders[0], evset.questions
    idx = build_index(work / name, folder, Settings(embedder="corpus"))
    clauses = idx.corpus.clauses
    c = MilvusClient(str(work / f"{name}.db"))
    s = c.create_schema(auto_id=False)
    s.add_field("pos", DataType.INT64, is_primary=True)
    s.add_field("text", DataType.VARCHAR, max_length=8000, enable_analyzer=True, analyzer_params={"tokenizer": "jieba"})
    s.add_field("sp", DataType.SPARSE_FLOAT_VECTOR)
    s.add_function(Function(name="bm", function_type=FunctionType.BM25, input_field_names=["text"], output_field_names=["sp"]))
    ip = c.prepare_index_params(); ip.add_index("sp", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25")
    if c.has_collection("b"): c.drop_collection("b")
    c.create_collection("b", schema=s, index_params=ip)
    for a in range(0, len(clauses), 2000):
        c.insert("b", [{"pos": i, "text": clauses[i].text} for i in range(a, min(a + 2000, len(clauses)))])
    c.load_collection("b")
    rows = [json.loads(l) for l in open(qfile) if l.strip()]
    rows = [r for r in rows if r.get("answerable", True) and r.get("evidence")]
    hit = {"ours": [0, 0], "milvus": [0, 0]}; overlap = []
    for r in rows:
        ev = [nows(e) for e in r["evidence"]]
        good = lambda i: any(e in nows(clauses[i].text) or nows(clauses[i].text) in e for e in ev)
        ours = np.argsort(-idx.lexical.raw_clause_scores(idx.tokenizer.query_tokens(r["question"])), kind="stable")[:3].tolist()
        mv = [h["pos"] for h in c.search("b", data=[r["question"]], anns_field="sp", limit=3, output_fields=["pos"])[0]]
        for k, top in (("ours", ours), ("milvus", mv)):
            hit[k][0] += any(good(i) for i in top[:1]); hit[k][1] += any(good(i) for i in top[:3])
        overlap.append(len(set(ours) & set(mv)) / 3)
    n = len(rows)
    res[name] = {"questions": n, "ours_recall@1": round(hit["ours"][0] / n, 3), "ours_recall@3": round(hit["ours"][1] / n, 3),
                 "milvus_bm25_recall@1": round(hit["milvus"][0] / n, 3), "milvus_bm25_recall@3": round(hit["milvus"][1] / n, 3), "top3_overlap": round(float(np.mean(overlap)), 3)}
    print(name, res[name], flush=True)
