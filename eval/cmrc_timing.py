"""Warm retrieval time per CMRC 2018 question: `Retriever.search` over every answerable question,
with the sentence ranker (the default) and with the fused order alone, three passes each (the
first pass includes what is read at first use; the README quotes the second). Wall and CPU
milliseconds per question. Run from the repository root:

    PYTHONPATH=. python eval/cmrc_timing.py ../shared/bench/cmrc2018_trial.json
"""

import json
import sys
import tempfile
import time
from pathlib import Path

from qa.cmrc import _nows, read_squad, write_documents
from qa.corpus import load_corpus
from qa.index import Settings, build_index
from qa.retrieve import Retriever

path = Path(sys.argv[1])
work = Path(tempfile.mkdtemp(prefix="cmrc-timing-"))
articles = read_squad(path, None)
write_documents(articles, work / "docs")
corpus, _ = load_corpus(work / "docs")
index = build_index(work / "index", corpus=corpus, settings=Settings(embedder="corpus"), progress=False)
questions = [
    q["question"].strip()
    for a in articles
    for p in a["paragraphs"]
    for q in p.get("qas", [])
    if q.get("question", "").strip() and any(_nows(x.get("text", "")) for x in q.get("answers", []))
]
out = {"questions": len(questions), "clauses": len(index.corpus.clauses)}
for name, retriever in (("default", Retriever(index)), ("fused_order_alone", Retriever(index, ranker=None))):
    passes = []
    for _ in range(3):
        t, cpu = time.perf_counter(), time.process_time()
        for q in questions:
            retriever.search(q, 5)
        passes.append({"wall_ms": round(1000 * (time.perf_counter() - t) / len(questions), 2), "cpu_ms": round(1000 * (time.process_time() - cpu) / len(questions), 2)})
    out[name] = passes
print(json.dumps(out))
