"""What resuming costs a local build's dense step: the step with and without its bookkeeping
(fitted embedder and trained FAISS index saved first, every batch of vectors written and
recorded), alternated in one process so that both see the same machine. Run from the
repository root:

    PYTHONPATH=. python eval/resume_cost.py [CLAUSES] [RUNS]     # default 100000 5

Prints the clause count and, per way, (wall s, CPU s) of each run; the first run of each warms up.
"""

import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

from qa.corpus import load_documents
from qa.dense import CorpusEmbedder
from qa.index import _CHUNKS, _TRAINED, Settings, _dense, _DenseTexts, _fit, _write_json_atomic
from qa.ingest_bench import seed_material, write_documents
from qa.segment import Segmenter


class Progress:
    """What qa.index._Progress does for a build that can resume: progress.json after each step and batch."""

    def __init__(self, folder: Path):
        self.folder, self.signature, self.done, self.info = folder, "a/b", [], {}

    def finish(self, step, info=None):
        self.done.append(step)
        self.note(step, info)

    def note(self, step, info=None):
        if info is not None:
            self.info[step] = info
        _write_json_atomic(self.folder / "progress.json", {"signature": self.signature, "done": self.done, "info": self.info})


def main(n: int, runs: int) -> None:
    work = Path(tempfile.mkdtemp(prefix="resume-cost-"))
    try:
        write_documents(n, work / "docs", 7, seed_material())
        clauses = list(load_documents(work / "docs", Segmenter(), 1, 64)[0].clauses)
        embedder = CorpusEmbedder()
        _fit(embedder, _DenseTexts(clauses))  # fitted once: both ways embed with it
        settings = Settings(embedder="corpus")
        out = {"without": [], "with": []}
        for k in range(runs):
            for way in out:
                folder = work / f"{way}{k}"
                folder.mkdir()
                t, cpu = time.perf_counter(), time.process_time()
                if way == "without":
                    vectors = _dense(clauses, embedder, settings, False)
                    embedder.save(folder / "embedder")
                else:
                    vectors = _dense(clauses, embedder, settings, False, folder, Progress(folder))
                vectors.save(folder / "dense.faiss")
                if way == "with":  # as _build_local does once the dense index is written
                    shutil.rmtree(folder / _CHUNKS)
                    (folder / _TRAINED).unlink()
                out[way].append((round(time.perf_counter() - t, 2), round(time.process_time() - cpu, 2)))
                shutil.rmtree(folder)
        print(len(clauses), json.dumps(out))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000, int(sys.argv[2]) if len(sys.argv) > 2 else 5)
