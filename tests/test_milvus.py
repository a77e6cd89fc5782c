"""The Milvus store (on Milvus Lite, really running): same answers as the local store, filters,
alias switching, and the failures a user can meet (unreachable server, foreign collection)."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("pymilvus")
pytest.importorskip("milvus_lite")

from qa.answer import Answerer
from qa.cli import main
from qa.errors import QAError
from qa.index import Settings, build_index, load_index
from qa.ingest import open_index
from qa.milvus_store import LITE_FILE, StoreError, connect, disconnect
from qa.retrieve import Retriever
from qa.store import Where, jurisdiction_of

from .conftest import ROOT, SEEDS

SETTINGS = Settings(embedder="corpus")


@pytest.fixture(scope="session")
def milvus_seed_index(tmp_path_factory):
    folder = tmp_path_factory.mktemp("milvus") / "index"
    build_index(folder, SEEDS, SETTINGS, backend="milvus")
    return load_index(folder)  # read back through the manifest, as qa ask does


def _dev_questions() -> list[str]:
    path = ROOT / "eval" / "dev.jsonl"
    return [json.loads(line)["question"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _compare(local, milvus, questions: list[str]) -> list[str]:
    """Questions on which the two stores' answers differ (top 3 citations or answer text)."""
    a, b = Answerer(local), Answerer(milvus)
    out = []
    for q in questions:
        x, y = a.answer(q), b.answer(q)
        top_x = [(c.doc_id, c.quote, c.line_start) for c in x.citations[:3]]
        top_y = [(c.doc_id, c.quote, c.line_start) for c in y.citations[:3]]
        if top_x != top_y or x.answer != y.answer or x.abstained != y.abstained:
            out.append(q)
    return out


def test_manifest_names_the_backend(milvus_seed_index, seed_index):
    m = milvus_seed_index.manifest
    assert m["store"]["backend"] == "milvus" and m["store"]["uri"] is None
    assert (milvus_seed_index.folder / LITE_FILE).exists()
    assert not (milvus_seed_index.folder / "dense.faiss").exists() and not (milvus_seed_index.folder / "lexical").exists()
    assert seed_index.manifest["store"]["backend"] == "local"
    assert not any(k.startswith("milvus/") for k in m["files"])  # a live database is not a checked file


def test_same_answers_as_local_on_the_dev_set(milvus_seed_index, seed_index):
    questions = _dev_questions()
    assert len(questions) > 100
    assert _compare(seed_index, milvus_seed_index, questions) == []


def test_same_answers_as_local_on_another_corpus(tmp_path):
    """The State Council reports with their own question set (eval/state_council.jsonl)."""
    from qa.evalsets import eval_sets

    evset = eval_sets()["state_council"]
    if evset.missing():
        pytest.skip(f"not on this machine: {evset.missing()}")
    (folder,) = evset.folders
    local = build_index(tmp_path / "local", folder, SETTINGS)
    milvus = build_index(tmp_path / "milvus", folder, SETTINGS, backend="milvus")
    questions = [json.loads(line)["question"] for line in evset.questions.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(questions) > 50
    assert _compare(local, load_index(tmp_path / "milvus"), questions) == []
    assert milvus.manifest["counts"] == local.manifest["counts"]


def test_filters_run_inside_milvus_and_match_local(milvus_seed_index, seed_index):
    q = "新增停车位"
    for where in [Where(doc_ids=("communique2023",)), Where(years=(2023,)), Where(jurisdictions=("呼和浩特市",))]:
        a = Retriever(seed_index).search(q, 5, where=where)
        b = Retriever(milvus_seed_index).search(q, 5, where=where)
        assert a and [h.clause.id for h in a] == [h.clause.id for h in b]
        for h in b:
            assert not where.doc_ids or h.clause.doc_id in where.doc_ids
            assert not where.years or h.clause.year in where.years
    assert Retriever(milvus_seed_index).search(q, 5, where=Where(jurisdictions=("全国",))) == []
    unfiltered = Retriever(milvus_seed_index).search(q, 5)
    assert {h.clause.doc_id for h in unfiltered} != {"communique2023"}  # the filter changed something


def test_jurisdiction_from_issuer():
    class D:
        def __init__(self, issuer, region=None):
            self.issuer, self.region = issuer, region

    assert jurisdiction_of(D("呼和浩特市人民政府")) == "呼和浩特市"
    assert jurisdiction_of(D("中共呼和浩特市委员会")) == "呼和浩特市"
    assert jurisdiction_of(D("国务院")) == "全国"
    assert jurisdiction_of(D("中国共产党中央委员会")) == "全国"
    assert jurisdiction_of(D("某机关", region="赛罕区")) == "赛罕区"
    assert jurisdiction_of(D("")) == ""


def test_cli_index_and_ask_read_the_backend_from_the_manifest(tmp_path, mini_folder, capsys):
    index = tmp_path / "idx"
    assert main(["index", "--index", str(index), "--seeds", str(mini_folder), "--embedder", "corpus", "--backend", "milvus", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["store"]["backend"] == "milvus"
    assert main(["ask", "--index", str(index), "2024年新增停车位目标", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert "4.4万个" in out["answer"] and out["citations"][0]["doc_id"] == "mini"
    # a rebuild without --backend keeps the index's backend
    assert main(["index", "--index", str(index), "--seeds", str(mini_folder), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["store"]["backend"] == "milvus"
    assert open_index(index, mini_folder).store.backend == "milvus"


def test_unreachable_milvus_is_a_one_line_error(tmp_path, mini_folder, capsys):
    code = main(["index", "--index", str(tmp_path / "idx"), "--seeds", str(mini_folder), "--embedder", "corpus", "--milvus-uri", "http://127.0.0.1:9"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "\n" not in err and "无法连接 Milvus 服务" in err
    assert not (tmp_path / "idx").exists()
    with pytest.raises(StoreError):
        connect("http://127.0.0.1:9")


def test_local_backend_rejects_a_milvus_uri(tmp_path, mini_folder, capsys):
    code = main(["index", "--index", str(tmp_path / "idx"), "--seeds", str(mini_folder), "--backend", "local", "--milvus-uri", "http://127.0.0.1:9"])
    assert code == 2 and "--milvus-uri" in capsys.readouterr().err


def test_collection_of_another_schema_is_refused(tmp_path, mini_folder, capsys):
    folder = tmp_path / "idx"
    build_index(folder, mini_folder, SETTINGS, backend="milvus")
    uri = str(folder / LITE_FILE)
    client = connect(uri)
    from pymilvus import DataType

    schema = client.create_schema(auto_id=False)
    schema.add_field("pk", DataType.INT64, is_primary=True)
    schema.add_field("vec", DataType.FLOAT_VECTOR, dim=4)
    index_params = client.prepare_index_params()
    index_params.add_index("vec", index_type="FLAT", metric_type="IP")
    client.create_collection("someone_else", schema=schema, index_params=index_params)
    client.alter_alias("someone_else", "qa_index")
    disconnect(uri)
    with pytest.raises(StoreError, match="结构不符"):
        load_index(folder)
    code = main(["ask", "--index", str(folder), "--seeds", str(mini_folder), "停车位"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "\n" not in err and "结构不符" in err


def test_rebuild_switches_the_alias_and_a_failed_build_leaves_the_old_collection(tmp_path, mini_folder):
    """With a Milvus outside the index folder (here a Lite file standing in for a server), a
    build fills a new collection and only then moves the alias; a build that fails halfway
    leaves the alias on the old, complete collection and drops its own."""
    shared = str(tmp_path / "server" / "milvus.db")
    folder = tmp_path / "idx"
    first = build_index(folder, mini_folder, SETTINGS, backend="milvus", milvus_uri=shared)
    old = first.manifest["store"]["collection"]
    second = build_index(folder, mini_folder, SETTINGS, backend="milvus", milvus_uri=shared)
    new = second.manifest["store"]["collection"]
    client = connect(shared)
    assert new != old and client.describe_alias(second.manifest["store"]["alias"])["collection_name"] == new
    assert not client.has_collection(old)  # the replaced collection is dropped

    class Broken:
        """An embedder that fails after the first batch, as a crash during the build would."""

        def __init__(self, inner):
            self.inner, self.dim, self.calls = inner, inner.dim, 0

        def encode_documents(self, texts):
            raise RuntimeError("simulated crash")

        def __getattr__(self, name):
            return getattr(self.inner, name)

    with pytest.raises(QAError):
        build_index(folder, mini_folder, SETTINGS, backend="milvus", milvus_uri=shared, embedder=Broken(second.embedder))
    assert client.describe_alias(second.manifest["store"]["alias"])["collection_name"] == new
    assert [c for c in client.list_collections() if c != new] == []
    again = load_index(folder)
    assert Retriever(again).search("新增停车位", 1)[0].clause.doc_id == "mini"


def test_a_killed_builds_collection_is_dropped_by_the_next_build(tmp_path, mini_folder):
    shared = str(tmp_path / "server" / "milvus.db")
    folder = tmp_path / "idx"
    first = build_index(folder, mini_folder, SETTINGS, backend="milvus", milvus_uri=shared)
    client = connect(shared)
    alias = first.manifest["store"]["alias"]
    from pymilvus import DataType

    # what a build killed before switching the alias leaves: a collection named for the alias
    schema = client.create_schema(auto_id=False)
    schema.add_field("pk", DataType.INT64, is_primary=True)
    schema.add_field("vec", DataType.FLOAT_VECTOR, dim=4)
    client.create_collection(f"{alias}_20240101000000_abcdef", schema=schema)
    client.create_collection("not_ours", schema=schema)
    second = build_index(folder, mini_folder, SETTINGS, backend="milvus", milvus_uri=shared)
    assert sorted(client.list_collections()) == sorted(["not_ours", second.manifest["store"]["collection"]])


def test_a_killed_build_resumes_its_collection(tmp_path, milvus_seed_index):
    """`qa index --backend milvus` killed (SIGKILL, by the debug hook) after its first batch of
    rows: the index it was replacing still answers from its complete collection; the next run
    fills the same collection from where it stopped, and answers as a build never killed."""
    import os
    import signal
    import subprocess
    import sys

    from qa.index import KILL_AFTER

    shared = str(tmp_path / "server" / "milvus.db")  # a Lite file standing in for a server
    folder = tmp_path / "idx"
    old = build_index(folder, SEEDS, SETTINGS, backend="milvus", milvus_uri=shared).manifest["store"]
    disconnect(shared)  # Milvus Lite serves one process at a time
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop(KILL_AFTER, None)

    def run(**extra):
        cmd = [sys.executable, "-m", "qa", "index", "--index", str(folder), "--seeds", str(SEEDS), "--embedder", "corpus", "--backend", "milvus", "--milvus-uri", shared]
        return subprocess.run(cmd, cwd=ROOT, env={**env, **extra}, capture_output=True, text=True, timeout=300)

    killed = run(**{KILL_AFTER: "rows"})
    assert killed.returncode == -signal.SIGKILL
    (left,) = [p for p in tmp_path.iterdir() if p.name.startswith(".idx.tmp-")]
    progress = json.loads((left / "progress.json").read_text(encoding="utf-8"))
    partial = progress["info"]["rows"]
    assert 0 < partial["rows"] < milvus_seed_index.manifest["counts"]["clauses"]
    client = connect(shared)
    assert client.describe_alias(old["alias"])["collection_name"] == old["collection"]  # the half-filled one is behind no alias
    before = load_index(folder)
    assert before.manifest["store"]["collection"] == old["collection"] and Retriever(before).search("新增停车位", 1)
    disconnect(shared)

    resumed = run()
    assert resumed.returncode == 0, resumed.stderr
    assert f"写入 Milvus {partial['rows']} 条" in resumed.stderr
    index = load_index(folder)  # the collection holds every clause once (load compares the counts)
    assert index.manifest["store"]["collection"] == partial["collection"] and index.manifest["resumed_rows"] == partial["rows"]
    assert sorted(connect(shared).list_collections()) == [partial["collection"]]  # the replaced one dropped
    assert _compare(milvus_seed_index, index, _dev_questions()) == []
    disconnect(shared)
