"""政策条款问答 — the Gradio app: ask, browse commitments, check claims, read the sources.

    python app.py [--host 127.0.0.1] [--port 7860] [--index DIR] [--seeds DIR] [--embedder auto]

A thin layer over the Python API (CONVENTIONS #1, #6): layout, event wiring, HTML rendering of
answers, citation cards, verdicts and documents, and QAError turned into messages on the page.
Works offline: analytics, the version check and share links are off and no web font is loaded.
Besides the page, two API endpoints serve programs (gradio_client): /ask and /check return the
JSON objects of `qa ask --json` and `qa check`.
"""

from __future__ import annotations

import os

# Before gradio is imported: no telemetry, no version check (both live behind this switch).
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"

import argparse
import atexit
import csv
import hashlib
import html
import re
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

import gradio as gr

from qa import Answerer, QAError, Settings, open_index
from qa.audit import Auditor, commitments
from qa.dialogue import resolve
from qa.index import Index
from qa.text import Document, load_folder, repo_root

EXAMPLES = ["2024年新增停车位目标", "今年打算再添多少个车位？", "2023年新增停车位多少", "供热方面有什么新举措？", "2024年地区生产总值增长目标"]
CLAIM_EXAMPLES = ["2024年新增停车位4.4万个", "2024年新建充电桩1万个", "2023年完成老旧小区改造309个"]
SAME_QUESTION_SECONDS = 5.0  # the same question again within this time is not answered twice
BURST = (8, 10.0)  # at most 8 questions in 10 seconds per browser session
ALL = ""  # the value of the 全部 choice in filters

FONTS = ["Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", "ui-sans-serif", "system-ui", "sans-serif"]
THEME = gr.themes.Default(primary_hue="blue", font=FONTS, font_mono=["ui-monospace", "monospace"])  # system fonts only: no CDN

CSS = """
#header h1 {font-size: 1.6rem; margin: 0 0 .3rem 0;}
#header .meta {color: var(--body-text-color-subdued); font-size: .9rem; line-height: 1.6;}
.status-msg {padding: .5rem .8rem; border-radius: 6px; background: #fff4e5; border: 1px solid #f0b45b; color: #7a4b00;}
.cards-head {font-weight: 600; margin: .2rem 0 .5rem 0;}
.conflict-banner {padding: .5rem .8rem; border-radius: 6px; background: #fdecea; border: 1px solid #e57373; color: #8a1c1c; margin-bottom: .6rem;}
.card {border: 1px solid var(--border-color-primary); border-radius: 8px; padding: .6rem .8rem; margin-bottom: .6rem; background: var(--background-fill-primary);}
.card.conflict {border-color: #e57373;}
.card .num {font-weight: 700; color: var(--color-accent);}
.card .title {font-weight: 600;}
.card .badge {color: #b71c1c; font-size: .85rem; margin-left: .3rem;}
.card .where {color: var(--body-text-color-subdued); font-size: .85rem; margin: .2rem 0;}
.card blockquote {margin: .3rem 0; padding: .2rem .6rem; border-left: 3px solid var(--color-accent); background: var(--background-fill-secondary);}
.card details summary {cursor: pointer; color: var(--color-accent); font-size: .9rem;}
.card .para {line-height: 1.8; font-size: .92rem;}
.card button.open-source {margin-top: .3rem; font-size: .85rem; padding: .15rem .6rem; border-radius: 5px; border: 1px solid var(--color-accent); color: var(--color-accent); background: transparent; cursor: pointer;}
mark.figure {background: #ffe082; padding: 0 .1em; font-weight: 600;}
mark.clause, mark.cited {background: #fff3c4;}
mark.cited {outline: 2px solid #f0b400;}
.verdict {border-radius: 8px; padding: .7rem .9rem; margin-bottom: .7rem; border: 1px solid;}
.verdict .label {font-weight: 700; font-size: 1.15rem; margin-right: .5rem;}
.v-supported {background: #e8f5e9; border-color: #66bb6a;}
.v-contradicted {background: #fdecea; border-color: #e57373;}
.v-partly {background: #fff8e1; border-color: #ffb300;}
.v-not_found {background: #eceff1; border-color: #90a4ae;}
.v-scope {background: #e3f2fd; border-color: #64b5f6;}
.doc-head {margin-bottom: .5rem;}
.doc-head .meta {color: var(--body-text-color-subdued); font-size: .9rem;}
.focus-banner {padding: .5rem .8rem; border-radius: 6px; background: #fff8e1; border: 1px solid #ffb300; margin-bottom: .6rem;}
.toc {text-align: left; font-size: .9rem; columns: 2; margin-bottom: .8rem; border-bottom: 1px solid var(--border-color-primary); padding-bottom: .5rem;}
.toc a {display: block; text-decoration: none;}
.toc .l1 {padding-left: 1.2em;}
.doc p.para {line-height: 1.9; margin: .35rem 0;}
.doc .ln {color: var(--body-text-color-subdued); font-size: .75rem; margin-right: .5rem; font-family: monospace;}
.doc h3, .doc h4 {margin: 1rem 0 .3rem 0;}
.doc strong.inline-head {color: var(--color-accent);}
#commitments-table td, #commitments-table th {font-family: var(--font);}
.doc p.focus {background: var(--background-fill-secondary); border-radius: 6px;}
"""

# A click on a card's "在原文中查看" button sends the clause id to the server.
OPEN_JS = """
element.addEventListener('click', (e) => {
  const b = e.target.closest('button[data-clause]');
  if (b) { e.preventDefault(); trigger('click', {clause: b.dataset.clause}); }
});
"""
SCROLL_TO_CITED_JS = """() => { setTimeout(() => {
  const m = document.querySelector('#source-view mark.cited');
  if (m) m.scrollIntoView({block: 'center'});
}, 150); }"""

esc = html.escape


# -- rendering ------------------------------------------------------------------------------


def marked(text: str, words=()) -> str:
    """Escaped text with every occurrence of the given words in <mark class="figure">."""
    spans = []
    for w in sorted({w for w in words if w}, key=len, reverse=True):
        for m in re.finditer(r"(?<![\d.])" + re.escape(w), text):  # "4万个" is not inside "14万个"
            if not any(a < m.end() and m.start() < b for a, b in spans):
                spans.append((m.start(), m.end()))
    out, pos = [], 0
    for a, b in sorted(spans):
        out.append(esc(text[pos:a]) + f'<mark class="figure">{esc(text[a:b])}</mark>')
        pos = b
    return "".join(out) + esc(text[pos:])


def lines_label(a: int, b: int) -> str:
    return f"第{a}行" if a == b else f"第{a}–{b}行"


def md_escape(text: str) -> str:
    """Text shown verbatim in the chat's Markdown."""
    return re.sub(r"([\\`*_\[\]<>#|~])", r"\\\1", text)


def status_html(message: str) -> str:
    return f'<div class="status-msg" role="alert">⚠ {esc(message)}</div>' if message else ""


class Views:
    """What the page shows, rendered from the index (and the source files, for the 原文 tab)."""

    def __init__(self, index: Index, documents: dict[str, Document]):
        self.index = index
        self.corpus = index.corpus
        self.documents = documents
        self.at = {(c.doc_id, c.start): c for c in self.corpus.clauses}

    def clause_of(self, cite):
        return self.at.get((cite.doc_id, cite.char_start))

    def paragraph_html(self, clause, words=()) -> str:
        """The clause's paragraph, the clause in <mark class="clause">, its figures marked."""
        around = self.corpus.neighbours(clause)
        doc = self.documents.get(clause.doc_id)
        if doc is not None:
            before = doc.text[around[0].start : clause.start]
            after = doc.text[clause.end : around[-1].end]
        else:  # source file not at hand: the paragraph's clauses, as indexed
            i = around.index(clause)
            before, after = "".join(c.text for c in around[:i]), "".join(c.text for c in around[i + 1 :])
        return f'{esc(before)}<mark class="clause">{marked(clause.text, words)}</mark>{esc(after)}'

    def card(self, cite, words=(), badge: str = "") -> str:
        clause = self.clause_of(cite)
        para = (
            f'<details><summary>展开所在段落</summary><p class="para">{self.paragraph_html(clause, words)}</p></details>'
            if clause
            else ""
        )
        button = f'<button class="open-source" data-clause="{esc(clause.id)}">在原文中查看</button>' if clause else ""
        badge_html = f'<span class="badge">⚠ {esc(badge)}</span>' if badge else ""
        return (
            f'<div class="card{" conflict" if badge else ""}" data-n="{cite.n}">'
            f'<div><span class="num">[{cite.n}]</span> <span class="title">{esc(cite.title)}</span>{badge_html}</div>'
            f'<div class="where">{esc(cite.section or "（无标题）")} · {esc(cite.source)} {lines_label(cite.line_start, cite.line_end)}</div>'
            f"<blockquote>{marked(cite.quote, words)}</blockquote>{para}{button}</div>"
        )

    def answer_cards(self, answer) -> str:
        if not answer.citations:
            return '<div class="cards-head">没有可引用的条款</div>'
        words: dict[int, list[str]] = {}
        for f in answer.facts:
            words.setdefault(f.citation, []).append(f.value)
        badges: dict[int, str] = {}
        banners = []
        for c in answer.conflicts:
            ns = [v.citation for v in c.values]
            for v in c.values:
                others = "、".join(f"[{n}]" for n in ns if n != v.citation)
                badges[v.citation] = f"与{others}不一致"
            year = f"（{c.year}年）" if c.year else ""
            vals = "、".join(f"{esc(v.value)}[{v.citation}]" for v in c.values)
            banners.append(f'<div class="conflict-banner">⚠ 文件之间不一致：{esc(c.indicator)}{year} {vals}，请以原文为准。</div>')
        head = "最接近的段落（仅供参考）" if answer.abstained else f"出处（{len(answer.citations)} 条）"
        cards = "".join(self.card(c, words.get(c.n, ()), badges.get(c.n, "")) for c in answer.citations)
        return f'<div class="cards-head">{head}</div>{"".join(banners)}{cards}'

    def answer_markdown(self, answer, asked: str, resolved: str) -> str:
        parts = []
        if resolved != asked:
            parts.append(f"*（按“{md_escape(resolved)}”理解）*")
        parts.append(md_escape(answer.answer))
        for c in answer.conflicts:
            year = f"（{c.year}年）" if c.year else ""
            vals = "、".join(f"{v.value}[{v.citation}]" for v in c.values)
            parts.append(f"⚠ **文件之间不一致**：{md_escape(c.indicator + year + ' ' + vals)}")
        if answer.citations:
            where = "；".join(f"[{c.n}] {c.title} {lines_label(c.line_start, c.line_end)}" for c in answer.citations)
            parts.append(f"出处：{md_escape(where)}")
        return "\n\n".join(parts)

    def verdict_html(self, v) -> str:
        reason_words = set()
        for cite in v.evidence:
            clause = self.clause_of(cite)
            for f in clause.facts if clause else ():
                if f.value in v.reason:
                    reason_words.add(f.value)
        head = (
            f'<div class="verdict v-{esc(v.verdict)}"><span class="label">{esc(v.label)}</span>'
            f"<span>核查：“{esc(v.claim)}”</span><p>{esc(v.reason)}</p></div>"
        )
        if not v.evidence:
            return head
        cards = "".join(self.card(c, [w for w in reason_words if w in c.quote]) for c in v.evidence)
        return f'{head}<div class="cards-head">依据（{len(v.evidence)} 条）</div>{cards}'

    def header_html(self) -> str:
        docs = "；".join(f"《{esc(d.title)}》{esc(d.date)}" for d in self.corpus.docs)
        counts = f"{len(self.corpus.clauses)} 个条款，{sum(len(c.facts) for c in self.corpus.clauses)} 个数字"
        extra = "".join(f"<div>{esc(n)}</div>" for n in self.index.notes)
        if self.corpus.skipped:
            extra += "<div>未收录的文件：" + "；".join(f"{esc(s.path)}（{esc(s.reason)}）" for s in self.corpus.skipped) + "</div>"
        return (
            "<h1>政策条款问答</h1>"
            f'<div class="meta"><div>文件（{len(self.corpus.docs)} 份）：{docs}</div>'
            f"<div>{counts} · 向量检索：{esc(self.index.embedder_description)}</div>{extra}</div>"
        )

    def document_html(self, doc_id: str, focus: str | None = None) -> str:
        """A document with its headings, raw line numbers and (optionally) one clause highlighted."""
        info = self.corpus.by_doc.get(doc_id)
        doc = self.documents.get(doc_id)
        if info is None:
            return status_html("没有这份文件")
        head = (
            f'<div class="doc-head"><h2>{esc(info.title)}</h2><div class="meta">'
            f"{esc(' · '.join(x for x in (info.issuer, info.date, info.source) if x))}</div></div>"
        )
        if doc is None:
            return head + status_html(f"找不到原文文件 {info.source}（或文件已在建索引后改动），无法显示全文")
        clauses = [c for c in self.corpus.clauses if c.doc_id == doc_id]
        depth: dict[str, int] = {}
        for c in clauses:
            for i, h in enumerate(c.heading_path):
                depth[h] = min(i, depth.get(h, i))
        target = self.corpus.by_id.get(focus) if focus else None
        banner = ""
        if target is not None and target.doc_id == doc_id:
            banner = (
                f'<div class="focus-banner">引用的条款：{esc(target.section or "（无标题）")} · '
                f"{lines_label(target.line_start, target.line_end)}<br>“{esc(target.text)}”</div>"
            )
        else:
            target = None
        toc, body = [], []
        for k, (a, b) in enumerate(doc.paragraphs):
            text = doc.text[a:b]
            la, lb = doc.line_span(a, b)
            anchor = f"src-{k}"
            if text in depth:  # a heading paragraph
                level = depth[text]
                tag = "h3" if level == 0 else "h4"
                body.append(f'<{tag} id="{anchor}"><span class="ln">{la}</span>{esc(text)}</{tag}>')
                if level <= 1:
                    toc.append(f'<a class="l{level}" href="#{anchor}">{esc(text)}</a>')
                continue
            inner, focus_here = self._paragraph_body(doc, a, b, depth, target, anchor, toc)
            cls = "para focus" if focus_here else "para"
            lines = str(la) if la == lb else f"{la}–{lb}"
            body.append(f'<p class="{cls}" id="{anchor}"><span class="ln" title="原文件行号">{lines}</span>{inner}</p>')
        toc_html = f'<nav class="toc" aria-label="目录">{"".join(toc)}</nav>' if toc else ""
        return f'<div class="doc">{head}{banner}{toc_html}{"".join(body)}</div>'

    def _paragraph_body(self, doc, a: int, b: int, depth, target, anchor: str, toc: list) -> tuple[str, bool]:
        """A paragraph's HTML: inline headings (一是…) bold, the cited clause marked."""
        text = doc.text[a:b]
        spans = []  # (start, end, kind) in paragraph coordinates
        for h, level in depth.items():
            i = text.find(h)
            if i >= 0 and len(h) < len(text):
                spans.append((i, i + len(h), "head", level))
        focus_here = target is not None and a <= target.start < b
        if focus_here:
            spans = [s for s in spans if s[1] <= target.start - a or s[0] >= target.end - a]
            spans.append((target.start - a, target.end - a, "cited", 0))
        out, pos = [], 0
        for s, e, kind, level in sorted(spans):
            if s < pos:
                continue
            out.append(esc(text[pos:s]))
            if kind == "cited":
                out.append(f'<mark class="cited" id="cited-clause">{esc(text[s:e])}</mark>')
            else:
                hid = f"{anchor}-{s}"
                out.append(f'<strong class="inline-head" id="{hid}">{esc(text[s:e])}</strong>')
                if level <= 1:
                    toc.append(f'<a class="l{level}" href="#{hid}">{esc(_short(text[s:e]))}</a>')
            pos = e
        out.append(esc(text[pos:]))
        return "".join(out), focus_here


def _short(text: str, limit: int = 30) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


# -- the commitments table ------------------------------------------------------------------

TABLE_COLUMNS = ["领域", "指标", "目标值", "文件", "章节", "行号", "原文"]
CSV_COLUMNS = ["领域", "指标", "目标值", "年份", "文件", "章节", "来源文件", "起始行", "结束行", "原文", "条款编号"]


def filter_commitments(items, year, area, doc, keyword):
    keyword = (keyword or "").strip()
    return [
        m
        for m in items
        if (not year or m.year == int(year))
        and (not area or m.area == area)
        and (not doc or m.doc_id == doc)
        and (not keyword or keyword in m.indicator or keyword in m.quote or keyword in m.section)
    ]


def table_rows(items):
    """The table's rows, as a DataFrame so an empty result keeps its column names."""
    import pandas as pd  # a dependency of gradio

    rows = [[m.area, m.indicator, m.value, m.title, m.section, lines_label(m.line_start, m.line_end), m.quote] for m in items]
    return pd.DataFrame(rows, columns=TABLE_COLUMNS)


def write_csv(items, folder: Path, year) -> str:
    """The rows as CSV (UTF-8 with BOM, so spreadsheet programs read the Chinese), in a folder of their own."""
    rows = [
        [m.area, m.indicator, m.value, m.year, m.title, m.section, m.source, m.line_start, m.line_end, m.quote, m.clause_id]
        for m in items
    ]
    digest = hashlib.sha1(repr(rows).encode()).hexdigest()[:12]
    path = folder / digest / f"{year or '全部'}年承诺清单.csv"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", encoding="utf-8-sig", newline="", dir=path.parent, delete=False) as f:
            w = csv.writer(f)
            w.writerow(CSV_COLUMNS)
            w.writerows(rows)
        os.replace(f.name, path)  # whole or not at all, even with two sessions writing the same list
    return str(path)


# -- the app --------------------------------------------------------------------------------


def source_documents(index: Index, seeds: Path | None = None) -> dict[str, Document]:
    """The indexed documents' texts, for the 原文 tab; only files unchanged since the index was built."""
    folder = Path(seeds) if seeds else None
    if folder is None and index.manifest.get("seeds_dir"):
        folder = Path(index.manifest["seeds_dir"])
        folder = folder if folder.is_absolute() else repo_root() / folder
    if folder is None or not folder.is_dir():
        return {}
    docs, _ = load_folder(folder)
    known = {d.id: d.sha256 for d in index.corpus.docs}
    return {d.id: d for d in docs if known.get(d.id) == d.sha256}


def build_app(index: Index, seeds: Path | None = None, documents: dict[str, Document] | None = None) -> gr.Blocks:
    """The page over an index: 问答, 承诺清单, 核查, 原文; plus the /ask and /check API endpoints."""
    views = Views(index, documents if documents is not None else source_documents(index, seeds))
    answerer, auditor = Answerer(index), Auditor(index)
    # One question at a time through the QA core: answers take milliseconds, and the retriever's
    # lazily built caches (cached_property, the tokenizer) are not documented as thread-safe.
    lock = threading.Lock()
    items = commitments(index.corpus, year=None, kind="target")
    years = sorted({m.year for m in items if m.year}, reverse=True)
    default_year = 2024 if 2024 in years else (years[0] if years else None)
    areas = list(dict.fromkeys(m.area for m in items))
    csv_dir = Path(tempfile.mkdtemp(prefix="qa-app-csv-"))
    atexit.register(shutil.rmtree, csv_dir, ignore_errors=True)
    doc_choices = [(d.title, d.id) for d in index.corpus.docs]

    def answer(question: str):
        with lock:
            return answerer.answer(question)

    def chat_turn(message, history, session):
        """The 问答 tab: answer in the chat, cards beside it; bad input gets a message, not an answer."""
        history, session = list(history or []), dict(session or {})
        text = message.strip() if isinstance(message, str) else ""
        keep = gr.skip()  # cards stay as they are when nothing is answered

        def refuse(why: str):
            return history, keep, message, status_html(why), session

        now = time.monotonic()
        recent = [t for t in session.get("times", []) if now - t < BURST[1]]
        last, last_at = session.get("last", ("", -1e9))
        if text and text == last and now - last_at < SAME_QUESTION_SECONDS:
            return refuse("这个问题刚刚已经回答过了，答案见上方。")
        if len(recent) >= BURST[0]:
            return refuse("提问太频繁了，请稍等几秒再问。")
        resolved = resolve(text, session.get("previous"))
        try:
            a = answer(resolved)
        except QAError as e:
            return refuse(str(e))
        history += [
            {"role": "user", "content": md_escape(text)},
            {"role": "assistant", "content": views.answer_markdown(a, text, resolved)},
        ]
        session.update(previous=resolved, last=(text, now), times=recent + [now])
        return history, views.answer_cards(a), "", "", session

    def check_claim(claim):
        try:
            with lock:
                v = auditor.check(claim if isinstance(claim, str) else "")
        except QAError as e:
            return status_html(str(e)), ""
        return "", views.verdict_html(v)

    def open_source(evt: gr.EventData):
        """A card's "在原文中查看": the 原文 tab, at the clause, highlighted."""
        clause = index.corpus.by_id.get(getattr(evt, "clause", None) or "")
        if clause is None:
            return gr.skip(), gr.skip(), gr.skip()
        return gr.Tabs(selected="source"), gr.Dropdown(value=clause.doc_id), views.document_html(clause.doc_id, clause.id)

    def show_commitments(year, area, doc, keyword):
        rows = filter_commitments(items, year, area, doc, keyword)
        count = f"共 {len(rows)} 项" + ("" if rows else "：没有符合条件的目标，请放宽筛选条件")
        return table_rows(rows), write_csv(rows, csv_dir, year), count

    def api_ask(question: str) -> dict:
        """Answer one question; the object `qa ask --json` prints, plus the embedder used."""
        try:
            a = answer(question)
        except QAError as e:
            raise gr.Error(str(e)) from e
        return {**a.to_dict(), "embedder": a.embedder}

    def api_check(claim: str) -> dict:
        """Check one claim against the documents: verdict, reason and evidence."""
        try:
            with lock:
                return auditor.check(claim).to_dict()
        except QAError as e:
            raise gr.Error(str(e)) from e

    first_rows, first_csv, first_count = show_commitments(default_year, ALL, ALL, "")
    # delete_cache: Gradio's copies of downloaded CSVs older than a day go, checked hourly.
    with gr.Blocks(title="政策条款问答", analytics_enabled=False, delete_cache=(3600, 86400)) as demo:
        session = gr.State({})
        gr.HTML(views.header_html(), elem_id="header")
        with gr.Tabs(selected="ask", elem_id="tabs") as tabs:
            with gr.Tab("问答", id="ask", elem_id="tab-ask"):
                with gr.Row():
                    with gr.Column(scale=3):
                        chat = gr.Chatbot(
                            label="问答", height=520, elem_id="chat", feedback_options=None, buttons=["copy", "copy_all"],
                            placeholder="用中文提问，答案中的每个数字都标明出处 [n]，出处卡片显示在右侧。",
                        )
                        status = gr.HTML("", elem_id="ask-status")
                        with gr.Row():
                            question = gr.Textbox(
                                show_label=False, placeholder="输入问题，例如：2024年新增停车位目标（可追问：那2023年呢？）",
                                elem_id="question", scale=5, lines=1, max_lines=4, autofocus=True,
                            )
                            send = gr.Button("提问", variant="primary", scale=1, min_width=80, elem_id="send")
                        examples = gr.Examples(EXAMPLES, inputs=[question], label="示例问题（点击即问）")
                        clear = gr.Button("清空对话", size="sm", elem_id="clear")
                    with gr.Column(scale=2):
                        cards = gr.HTML('<div class="cards-head">出处</div><p>提问后，这里显示答案引用的条款。</p>',
                                        elem_id="cards", js_on_load=OPEN_JS)
            with gr.Tab("承诺清单", id="commitments", elem_id="tab-commitments"):
                gr.Markdown("各文件提出的目标（由文中数字自动整理，每项附出处）。可按领域、文件和关键词筛选，下载为 CSV。")
                with gr.Row():
                    year = gr.Dropdown([(f"{y}年", y) for y in years], value=default_year, label="年份", elem_id="f-year")
                    area = gr.Dropdown([("全部领域", ALL)] + [(a, a) for a in areas], value=ALL, label="领域", elem_id="f-area")
                    doc = gr.Dropdown([("全部文件", ALL)] + doc_choices, value=ALL, label="文件", elem_id="f-doc")
                    keyword = gr.Textbox(label="关键词", placeholder="例如：停车位", elem_id="f-keyword")
                with gr.Row():
                    count = gr.Markdown(first_count, elem_id="c-count")
                    download = gr.DownloadButton("下载 CSV", value=first_csv, elem_id="download-csv", size="sm")
                table = gr.Dataframe(
                    first_rows, headers=TABLE_COLUMNS, interactive=False, wrap=True, elem_id="commitments-table",
                    column_widths=["8%", "14%", "9%", "16%", "18%", "8%", "27%"],
                )
            with gr.Tab("核查", id="check", elem_id="tab-check"):
                gr.Markdown("粘贴一句说法（如材料中的数字），对照原文给出结论：支持、矛盾、部分支持或未找到，并列出依据。")
                claim = gr.Textbox(label="要核查的说法", placeholder="例如：2024年新增停车位4.4万个", lines=2, elem_id="claim")
                check_btn = gr.Button("核查", variant="primary", elem_id="check-btn")
                claim_examples = gr.Examples(CLAIM_EXAMPLES, inputs=[claim], label="示例（点击即核查）")
                check_status = gr.HTML("", elem_id="check-status")
                verdict = gr.HTML("", elem_id="verdict", js_on_load=OPEN_JS)
            with gr.Tab("原文", id="source", elem_id="tab-source"):
                first_doc = doc_choices[0][1] if doc_choices else None
                source_doc = gr.Dropdown(doc_choices, value=first_doc, label="文件", elem_id="source-doc")
                viewer = gr.HTML(views.document_html(first_doc) if first_doc else "", elem_id="source-view", js_on_load=None)

        ask_io = dict(fn=chat_turn, inputs=[question, chat, session], outputs=[chat, cards, question, status, session])
        question.submit(**ask_io, api_name="chat")
        send.click(**ask_io, api_visibility="private")
        examples.load_input_event.then(**ask_io, api_visibility="private")
        clear.click(lambda: ([], {}, "", ""), outputs=[chat, session, status, question], api_visibility="private")
        chat.clear(lambda: ({}, ""), outputs=[session, status], api_visibility="private")  # the chat's own 🗑

        filters = [year, area, doc, keyword]
        for f in filters:
            f.change(show_commitments, filters, [table, download, count], api_visibility="private")

        for event in (check_btn.click, claim.submit, claim_examples.load_input_event.then):
            event(check_claim, claim, [check_status, verdict], api_visibility="private")

        for panel in (cards, verdict):
            panel.click(open_source, None, [tabs, source_doc, viewer], api_visibility="private").then(
                None, js=SCROLL_TO_CITED_JS
            )
        source_doc.input(views.document_html, source_doc, viewer, api_visibility="private")

        gr.api(api_ask, api_name="ask")
        gr.api(api_check, api_name="check")
    demo.queue(default_concurrency_limit=8, max_size=256)
    return demo


def serve(demo: gr.Blocks, host: str, port: int, **kwargs):
    """Launch offline: no share link, no SSR, theme with system fonts only."""
    return demo.launch(
        server_name=host, server_port=port, share=False, ssr_mode=False, show_error=False,
        theme=THEME, css=CSS, footer_links=["api"], inbrowser=False, **kwargs,
    )


def listen_address(host: str | None = None, port: int | None = None) -> tuple[str, int]:
    """--host/--port, else Gradio's GRADIO_SERVER_NAME/GRADIO_SERVER_PORT, else 127.0.0.1:7860."""
    host = host or os.environ.get("GRADIO_SERVER_NAME") or "127.0.0.1"
    port = port or int(os.environ.get("GRADIO_SERVER_PORT") or 7860)
    return host, port


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="app.py", description="政策条款问答的网页界面")
    p.add_argument("--host", help="监听地址（默认 127.0.0.1，或环境变量 GRADIO_SERVER_NAME）")
    p.add_argument("--port", type=int, help="端口（默认 7860，或环境变量 GRADIO_SERVER_PORT）")
    p.add_argument("--index", type=Path, help="索引目录（默认 index/；缺失或过期时自动重建）")
    p.add_argument("--seeds", type=Path, help="文档目录（默认 seeds/，或索引记录的目录）")
    p.add_argument("--embedder", help="向量模型：auto | corpus | 模型名或路径（改变时重建索引）")
    args = p.parse_args(argv)
    host, port = listen_address(args.host, args.port)
    try:
        index = open_index(args.index, args.seeds, Settings(embedder=args.embedder) if args.embedder else None)
        demo = build_app(index, args.seeds)
    except QAError as e:
        print(f"app.py：{e}", file=sys.stderr)
        return 2
    print(f"政策条款问答：{len(index.corpus.docs)} 份文件，{len(index.corpus.clauses)} 个条款；{index.embedder_description}", file=sys.stderr)
    try:
        serve(demo, host, port)
    except OSError as e:
        print(f"app.py：无法在 {host}:{port} 启动（{e}）；请用 --port 换一个端口", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
