"""The `qa` command: index, ask, check, conflicts, facts, eval, bench. Translates between people and the API."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .errors import QAError


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--index", type=Path, default=None, help="索引目录（默认 ./index）")
    p.add_argument("--seeds", type=Path, default=None, help="文档目录（默认 ./seeds；索引缺失或过期时据此重建）")
    p.add_argument("--embedder", default=None, help="auto | corpus | 模型名或本地路径（默认沿用索引的设置，新建时为 auto）")
    p.add_argument("--max-doc-mb", type=float, default=None, help="单个文件的大小上限（MB，默认沿用索引的设置，新建时为 QA_MAX_DOC_MB 或 64）；更大的文件跳过并列出")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="qa", description="政策条款问答：有出处的政策文件问答")
    sub = parser.add_subparsers(dest="verb", required=True)

    p = sub.add_parser("index", help="建立或重建索引")
    _common(p)
    p.add_argument("--backend", choices=["local", "milvus"], default=None, help="存储后端：local（默认，本机文件）或 milvus（默认沿用已有索引的设置）")
    p.add_argument("--milvus-uri", default=None, help="Milvus 服务地址，如 http://host:19530；不给则用索引目录内的 Milvus Lite 文件")
    p.add_argument("--update", action="store_true", help="增量更新：只处理新增、修改或删除的文档，其余不重建")
    p.add_argument("--json", action="store_true", help="输出 JSON 摘要")

    p = sub.add_parser("ask", help="提问")
    _common(p)
    p.add_argument("question", nargs="?", help="问题")
    p.add_argument("--json", action="store_true", help="按约定输出 JSON")
    p.add_argument("--batch", type=Path, help="每行一个问题（纯文本或含 question 字段的 JSON）")

    p = sub.add_parser("check", help="核查一条说法：支持 / 矛盾 / 部分支持 / 未找到，附原文出处")
    _common(p)
    p.add_argument("claim", nargs="?", help="要核查的说法，例如：2024年新增停车位4.4万个")
    p.add_argument("--json", action="store_true", help="输出 JSON")
    p.add_argument("--batch", type=Path, help="每行一条说法（纯文本或含 claim 字段的 JSON）")

    p = sub.add_parser("conflicts", help="各文件对同一指标、同一年份给出的数字：矛盾 / 口径不同 / 一致")
    _common(p)
    p.add_argument("--format", choices=["table", "csv", "json", "markdown"], default="table")

    p = sub.add_parser("facts", help="列出文件中的数字（指标、数值、年份、目标/完成），按领域分组")
    _common(p)
    p.add_argument("--year", type=int)
    p.add_argument("--kind", choices=["target", "result", "other"])
    p.add_argument("--doc", help="只看某个文档 id")
    p.add_argument("--format", choices=["table", "csv", "json"], default="table")

    p = sub.add_parser("eval", help="在问题集上评测质量")
    _common(p)
    p.add_argument("file", nargs="?", type=Path, default=None, help="问题集（默认 eval/dev.jsonl）")
    p.add_argument(
        "--set",
        action="append",
        dest="sets",
        metavar="NAME",
        help="按名称评测问题集：seeds、state_council、cpc、mixed 或 all（可重复，或用逗号分隔）；每个集用它自己的文档建索引，索引放在 --index 目录（默认 ./index-eval）下",
    )
    p.add_argument("--cmrc", type=Path, help="CMRC 2018 SQuAD 格式文件：句子级检索命中率")
    p.add_argument("--out", type=Path, default=None, help="结果 JSON（默认 eval/results.json）")
    p.add_argument("--calibrate", action="store_true", help="另列出各拒答阈值下的拒答率与误拒率")

    p = sub.add_parser("bench", help="性能基准：合成语料上的建索引时间、大小、内存与查询延迟")
    p.add_argument("--sizes", default="10000,100000,1000000", help="逗号分隔的条款数（默认 10000,100000,1000000）")
    p.add_argument("--queries", type=int, default=200, help="每个规模的查询数")
    p.add_argument("--ingest", action="store_true", help="端到端入库基准：从文档文件经读取、切分、数字抽取、分词、向量化到写入存储")
    p.add_argument("--backends", default="local,milvus", help="--ingest 时比较的存储后端（逗号分隔，默认 local,milvus）")
    p.add_argument("--doc-mb", type=float, default=50, help="另测一份这么大的合成文本（MB）从读取到建好索引的速度（MB/s）与峰值内存；0 为不测")
    p.add_argument("--json", action="store_true", help="输出 JSON")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        verbs = {"index": _index, "ask": _ask, "check": _check, "conflicts": _conflicts, "facts": _facts, "eval": _eval, "bench": _bench}
        return verbs[args.verb](args)
    except QAError as e:
        print(f"错误：{e}", file=sys.stderr)
        return 2
    except FileNotFoundError as e:
        print(f"错误：找不到文件 {e.filename or e}", file=sys.stderr)
        return 2
    except OSError as e:  # a folder given for a file, a file that cannot be read
        where = f" {e.filename}" if e.filename else ""
        print(f"错误：无法读取{where}（{e.strerror or e}）", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `qa facts | head`
        return 0


def _settings(args, index_dir: Path):
    from .index import Settings, read_manifest

    try:  # keep the embedder and size limit an existing index was built with
        saved = read_manifest(index_dir)["settings"]
    except QAError:
        saved = {}
    chosen = {"embedder": args.embedder or saved.get("embedder"), "max_doc_mb": getattr(args, "max_doc_mb", None) or saved.get("max_doc_mb")}
    return Settings(**{k: v for k, v in chosen.items() if v is not None})


def _store(args, index_dir: Path) -> tuple[str, str | None]:
    """Backend and Milvus URI for `qa index`: as given, else as the existing index has them."""
    from .index import read_manifest

    try:
        saved = read_manifest(index_dir).get("store") or {}
    except QAError:
        saved = {}
    backend = args.backend or ("milvus" if args.milvus_uri else saved.get("backend", "local"))
    uri = args.milvus_uri if args.milvus_uri else (saved.get("uri") if saved.get("backend") == backend == "milvus" else None)
    if uri and backend != "milvus":
        from .errors import InputError

        raise InputError("--milvus-uri 只能与 --backend milvus 一起使用")
    return backend, uri


def _open(args):
    from .index import default_index_dir
    from .ingest import open_index

    index_dir = args.index or default_index_dir()
    return open_index(index_dir, args.seeds, _settings(args, index_dir))


def _index(args) -> int:
    from .index import build_index, default_index_dir, default_seeds_dir

    index_dir = args.index or default_index_dir()
    seeds = args.seeds or default_seeds_dir()
    log = lambda msg: print(msg, file=sys.stderr)  # noqa: E731
    if args.update:
        return _update(args, index_dir, log)
    backend, uri = _store(args, index_dir)
    idx = build_index(index_dir, seeds, _settings(args, index_dir), progress=None, log=log, backend=backend, milvus_uri=uri)
    m = idx.manifest
    if args.json:
        print(json.dumps({k: m[k] for k in ("counts", "embedder", "store", "faiss", "skipped", "build_seconds")}, ensure_ascii=False))
        return 0
    c = m["counts"]
    print(f"索引已建好：{index_dir}")
    print(f"  文档 {c['documents']} 份，段落 {c['paragraphs']} 个，条款 {c['clauses']} 条，数字事实 {c['facts']} 个（{m['build_seconds']} 秒）")
    if m["store"]["backend"] == "milvus":
        where = m["store"]["uri"] or "索引目录内的 Milvus Lite 文件"
        print(f"  向量：{idx.embedder_description}；存储：Milvus（{where}，集合 {m['store']['collection']}，别名 {m['store']['alias']}）")
    else:
        print(f"  向量：{idx.embedder_description}；FAISS {m['faiss']['type']}")
    for d in idx.corpus.docs:
        print(f"  · {d.id}：{d.title}（{d.source}）" + ("" if d.cataloged else " —— 目录中无此文档的条目，标题取自文本或文件名"))
    for s in m["skipped"]:
        print(f"  已跳过 {s['path']}：{s['reason']}")
    return 0


def _update(args, index_dir: Path, log) -> int:
    from .errors import InputError
    from .index import read_manifest
    from .ingest import update_index

    if args.backend or args.milvus_uri or args.embedder:
        raise InputError("--update 沿用索引原有的存储后端与向量设置，不能同时指定 --backend、--milvus-uri 或 --embedder")
    read_manifest(index_dir)  # a missing index is an error here, not a silent full build
    idx, update = update_index(index_dir, args.seeds, log=log, load=False)  # the clauses kept are not read
    if args.json:
        m = idx.manifest if idx is not None else read_manifest(index_dir)
        print(json.dumps({"update": {**m.get("update", {}), "rebuilt": update.rebuilt, "note": update.note}, "counts": m["counts"], "store": m["store"]}, ensure_ascii=False))
    else:
        print(update.describe())
    return 0


class BatchLine:
    """One line of a --batch file: its number, its text, and why it cannot be used ('' when it can)."""

    def __init__(self, number: int, text: str, error: str = ""):
        self.number, self.text, self.error = number, text, error


def _read_batch(path: Path, field: str = "question") -> list[BatchLine]:
    """The non-blank lines of a batch file; a line that is bad JSON or not text carries its error."""
    from .errors import InputError

    if path.is_dir():
        raise InputError(f"--batch 应是一个文件，{path} 是目录")
    try:
        content = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = path.read_bytes()[: e.start].count(b"\n") + 1
        raise InputError(f"{path} 不是 UTF-8 文本（第 {line} 行起无法解码），请另存为 UTF-8 后再试") from e
    items = []
    for number, line in enumerate(content.splitlines(), 1):
        line = line.strip()
        if not line:
            continue
        if not line.startswith("{"):
            items.append(BatchLine(number, line))
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            items.append(BatchLine(number, line, f"第 {number} 行不是合法 JSON（{e.msg}，第 {e.colno} 列）"))
            continue
        value = obj.get(field) if isinstance(obj, dict) else None
        if not isinstance(value, str):
            items.append(BatchLine(number, line, f"第 {number} 行的 JSON 应是含 {field} 文本字段的对象"))
            continue
        items.append(BatchLine(number, value))
    return items


def _printable(text: str) -> str:
    """Text as it can be printed: a lone surrogate (from JSON "\\ud800") becomes U+FFFD."""
    return text.encode("utf-8", "replace").decode("utf-8") if isinstance(text, str) else text


def _ask(args) -> int:
    from .answer import Answerer
    from .errors import InputError

    if args.batch is None and args.question is None:
        raise InputError("请给出问题，例如：qa ask \"2024年新增停车位目标\"")
    questions = _read_batch(args.batch) if args.batch else [BatchLine(0, args.question)]
    from .answer import normalize_question

    if not args.batch:
        normalize_question(args.question)  # bad input fails before the index is opened
    answerer = Answerer(_open(args))
    return _each(args, questions, "question", "问题", answerer.answer, render_answer)


def _each(args, items: list[BatchLine], key: str, label: str, call, render) -> int:
    """Print call(item) for each item; in a batch a bad line prints its error (with its number) and the rest go on."""
    from .errors import InputError

    for item in items:
        error = item.error
        if not error:
            try:
                result = call(item.text)
            except InputError as e:
                if not args.batch:
                    raise
                error = str(e)
        if error:
            text = _printable(item.text)
            print(json.dumps({key: text, "line": item.number, "error": error}, ensure_ascii=False) if args.json else f"第 {item.number} 行 {label}：{text}\n错误：{error}\n")
            continue
        print(json.dumps(result.to_dict(), ensure_ascii=False) if args.json else render(result))
    return 0


def render_answer(a) -> str:
    """A readable Chinese answer with its numbered citations."""
    lines = [f"问：{a.question}", f"答：{a.answer}"]
    if a.conflicts:
        for c in a.conflicts:
            vals = "、".join(f"{v.value}[{v.citation}]" for v in c.values)
            lines.append(f"⚠ 文件之间不一致：{c.indicator}（{c.year}年）{vals}")
    lines += _render_citations(a.citations)
    lines.append(f"（{a.elapsed_ms} 毫秒；{a.embedder}）")
    return "\n".join(lines) + "\n"


def _facts(args) -> int:
    from .audit import area_of, area_order, is_commitment

    idx = _open(args)
    rows = []
    for f, c in idx.corpus.facts(year=args.year, kind=args.kind, doc=args.doc):
        if args.kind == "target" and not is_commitment(f, c):
            continue  # "抓好8个方面重点工作" counts the document's parts, it promises nothing
        cite = idx.corpus.cite(c, 0).to_dict()
        del cite["n"], cite["score"]
        rows.append(
            {
                "area": area_of(c, f),
                "indicator": f.indicator,
                "value": f.value,
                "number": f.number,
                "unit": f.unit,
                "qualifier": f.qualifier,
                "year": f.year,
                "kind": f.kind,
                "type": f.type,
                "clause_id": f.clause_id,
                **cite,
            }
        )
    rows.sort(key=lambda r: area_order(r["area"]))  # stable: document order within an area
    if args.format == "json":
        print(json.dumps(rows, ensure_ascii=False, indent=1))
    elif args.format == "csv":
        fields = ["area", "indicator", "value", "qualifier", "year", "kind", "type", "title", "section", "source", "line_start", "line_end", "quote"]
        _write_csv(rows, fields)
    else:
        kind = {"target": "目标", "result": "完成", "other": "—"}
        area = None
        for r in rows:
            if r["area"] != area:
                area = r["area"]
                print(f"【{area}】")
            value = r["value"] + (f"（{r['qualifier']}）" if r["qualifier"] else "")
            print(f"  {r['year'] or '—'}\t{kind[r['kind']]}\t{r['indicator']}\t{value}\t{r['doc_id']}:{r['line_start']}\t{r['section']}")
        print(f"共 {len(rows)} 条", file=sys.stderr)
    return 0


def _write_csv(rows: list[dict], fields: list[str]) -> None:
    from .export import csv_text

    sys.stdout.write(csv_text(fields, ([r.get(f, "") for f in fields] for r in rows)))


def _check(args) -> int:
    from .answer import normalize_question
    from .audit import Auditor
    from .errors import InputError

    if args.batch is None and args.claim is None:
        raise InputError("请给出要核查的说法，例如：qa check \"2024年新增停车位4.4万个\"")
    claims = _read_batch(args.batch, "claim") if args.batch else [BatchLine(0, args.claim)]
    if not args.batch:
        normalize_question(args.claim, "说法")  # bad input fails before the index is opened
    auditor = Auditor(_open(args))
    return _each(args, claims, "claim", "说法", auditor.check, render_verdict)


def render_verdict(v) -> str:
    """A verdict with its reason and cited evidence, for people."""
    lines = [f"说法：{v.claim}", f"结论：{v.label}", f"理由：{v.reason}"]
    lines += _render_citations(v.evidence)
    return "\n".join(lines) + "\n"


def _render_citations(citations) -> list[str]:
    if not citations:
        return []
    lines = ["出处："]
    for c in citations:
        where = f"第{c.line_start}行" if c.line_start == c.line_end else f"第{c.line_start}–{c.line_end}行"
        scan = "（识别自扫描件）" if getattr(c, "scanned", False) else ""
        lines.append(f"  [{c.n}] {c.title} · {c.section or '（无标题）'} · {c.source} {where}{scan}")
        lines.append(f"      “{c.quote}”")
    return lines


def _conflicts(args) -> int:
    from .audit import GROUP_LABELS, conflicts

    idx = _open(args)
    entries = conflicts(idx.corpus)
    if args.format == "json":
        print(json.dumps([e.to_dict() for e in entries], ensure_ascii=False, indent=1))
        return 0
    rows = []
    for e in entries:
        for fig in e.figures:
            c = fig.citation
            rows.append({"group": e.label, "indicator": e.indicator, "year": e.year, "doc_id": c.doc_id, "title": c.title,
                         "figure_indicator": fig.fact.indicator, "value": fig.to_dict()["value"], "kind": fig.fact.kind,
                         "source": c.source, "line_start": c.line_start, "line_end": c.line_end, "quote": c.quote, "reason": e.reason})
    if args.format == "csv":
        _write_csv(rows, ["group", "indicator", "year", "doc_id", "figure_indicator", "value", "kind", "source", "line_start", "line_end", "quote", "reason"])
        return 0
    counts = {g: sum(e.group == g for e in entries) for g in GROUP_LABELS}
    summary = "，".join(f"{GROUP_LABELS[g]} {n} 项" for g, n in counts.items())
    if args.format == "markdown":
        print(f"# 文件间数字对照\n\n{summary}\n")
        print("| 分组 | 指标 | 年份 | 文件 | 原文数字 | 出处 | 说明 |\n|---|---|---|---|---|---|---|")
        for r in rows:
            print(f"| {r['group']} | {r['indicator']} | {r['year']} | {r['title']} | {r['figure_indicator']}{r['value']} | {r['source']}:{r['line_start']} | {r['reason']} |")
        return 0
    label = None
    for e in entries:
        if e.label != label:
            label = e.label
            print(f"【{label}】")
        print(f"  {e.year}年 {e.indicator}：{e.reason}")
        for fig in e.figures:
            c = fig.citation
            print(f"    · {fig.fact.indicator}{fig.to_dict()['value']}（{c.doc_id}，{c.source} 第{c.line_start}行）")
    print(summary, file=sys.stderr)
    return 0


ROWS = (
    ("answered_right", "答对（证据在前3条引文、未拒答）"),
    ("figure_accuracy", "所问数字全部给出"),
    ("false_abstention", "有答案却拒答"),
    ("abstention", "无答案时拒答"),
    ("wrong_figure", "把别的年份或指标的数字当答案"),
    ("recall@1", "recall@1"),
    ("recall@3", "recall@3"),
    ("recall@5", "recall@5"),
    ("mrr", "MRR"),
    ("conflicts_flagged", "冲突已标出"),
)


def _print_metrics(label: str, path: Path, result: dict) -> None:
    from .evaluate import ISSUE_TARGETS
    from .text import display_path

    m = result["metrics"]
    print(f"{label}{display_path(path)}：{m['questions']} 题（可回答 {m['answerable']}）；{m['embedder']}")
    for key, name in ROWS:
        target = ISSUE_TARGETS.get(key)
        bar = f"  （目标 {target[0]} {target[1]:.2f}）" if target else ""
        print(f"  {key:18s} {m[key]:.3f}  {name}{bar}")


def _eval(args) -> int:
    from .evaluate import evaluate, read_questions
    from .text import repo_root

    if args.sets:
        return _eval_sets(args)
    idx = _open(args)
    path = args.file or repo_root() / "eval" / "dev.jsonl"
    result = evaluate(idx, read_questions(path))
    out = {"dev": {"file": str(path), **result}}
    _print_metrics("问题集 ", path, result)
    print("  未达标：" + ("、".join(result["failed"]) if result["failed"] else "无"))
    if args.calibrate:
        from .evaluate import calibrate

        out["calibration"] = rows = calibrate(idx, read_questions(path))
        print("  拒答阈值    拒答率（无答案题）  误拒率（有答案题）")
        for r in rows:
            print(f"  {r['threshold']:<10.2f}  {r['abstention']:<18.3f}  {r['false_abstention']:.3f}")
    if args.cmrc:
        from .cmrc import format_cmrc, run_cmrc

        cm = run_cmrc(args.cmrc)
        out["cmrc"] = cm
        print(format_cmrc(cm))
    target = args.out or repo_root() / "eval" / "results.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(out, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"结果已保存：{target}")
    return 1 if result["failed"] else 0


def _eval_sets(args) -> int:
    """Each named set over an index of its own documents; reports issue #12's measures per set."""
    from .errors import InputError
    from .evalsets import pick_sets, seeds_for
    from .evaluate import evaluate, read_questions
    from .ingest import open_index
    from .text import repo_root

    if args.file or args.seeds or args.calibrate or args.cmrc:
        raise InputError("--set 不能与问题集文件、--seeds、--calibrate 或 --cmrc 同时使用")
    base = args.index or repo_root() / "index-eval"
    out, short = {}, []
    for evset in pick_sets(args.sets):
        missing = evset.missing()
        if missing:
            print(f"问题集 {evset.name}：跳过，本机没有 {'、'.join(str(p) for p in missing)}")
            out[evset.name] = {"skipped": [str(p) for p in missing]}
            continue
        index_dir = base / evset.name
        idx = open_index(index_dir, seeds_for(evset, index_dir), _settings(args, index_dir))
        result = evaluate(idx, read_questions(evset.questions))
        out[evset.name] = {"file": str(evset.questions), "folders": [str(f) for f in evset.folders], **result}
        _print_metrics(f"问题集 {evset.name}：", evset.questions, result)
        gaps = result["short_of_issue"]
        print("  距目标：" + ("、".join(gaps) if gaps else "全部达到"))
        short += [f"{evset.name}:{g}" for g in gaps]
    target = args.out or repo_root() / "eval" / "results.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps({"sets": out}, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"结果已保存：{target}")
    return 1 if short else 0


def _bench(args) -> int:
    from .bench import format_bench, run_bench
    from .errors import InputError

    try:
        sizes = [int(x) for x in args.sizes.split(",") if x.strip()]
    except ValueError as e:
        raise InputError(f"--sizes 应是逗号分隔的整数，例如 10000,100000：{args.sizes!r}") from e
    if not sizes or min(sizes) < 100:
        raise InputError("--sizes 中每个规模至少 100 条")
    if args.ingest:
        from .ingest_bench import format_ingest, run

        backends = [b.strip() for b in args.backends.split(",") if b.strip()]
        if not backends or set(backends) - {"local", "milvus"}:
            raise InputError(f"--backends 只能是 local、milvus 或两者（逗号分隔）：{args.backends!r}")
        result = run(sizes, backends, queries=args.queries)
        print(json.dumps(result, ensure_ascii=False) if args.json else format_ingest(result))
        return 0
    if args.doc_mb < 0:
        raise InputError("--doc-mb 不能为负数")
    result = run_bench(sizes, args.queries, doc_mb=args.doc_mb)
    print(json.dumps(result, ensure_ascii=False) if args.json else format_bench(result))
    return 0


if __name__ == "__main__":  # python -m qa.cli … works as python -m qa …
    sys.exit(main())
