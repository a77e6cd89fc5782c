"""政策条款问答 — the Gradio app: ask, browse commitments, check claims, read the sources, add documents.

    python app.py [--host 127.0.0.1] [--port 7860] [--index DIR] [--seeds DIR] [--embedder auto]

A thin layer over the Python API (CONVENTIONS #1, #6): layout, event wiring, HTML rendering of
answers, citation cards, verdicts and documents, and QAError turned into messages on the page.
Works offline: analytics, the version check and share links are off and no web font is loaded.
Besides the page, two API endpoints serve programs (gradio_client): /ask and /check return the
JSON objects of `qa ask --json` and `qa check`.

The conversation lives in the browser (gr.BrowserState: each turn's message, cards and plain text),
so every answer keeps its citations and a reload loses nothing. The 文档 tab adds files to the
seeds folder through qa.library and has the index rebuilt in the background.
"""

from __future__ import annotations

import os

# Before gradio is imported: no telemetry, no version check (both live behind this switch).
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"

import argparse
import atexit
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

from qa import Answerer, QAError, Settings
from qa.audit import CONTRADICTION, Auditor, area_of, commitments, conflicts
from qa.cli import render_answer
from qa.dense import CorpusEmbedder
from qa.dialogue import needs_previous, resolve
from qa.export import write_csv as write_csv_rows
from qa.index import Index
from qa.library import KINDS, MAX_BYTES, Draft, add_document, added_in_app, guess, remove_document
from qa.live import REBUILDING, LiveIndex
from qa.text import Document, load_folder, repo_root
from qa.webguard import RequestGuard, allowed_hosts

EXAMPLES = ["2024年新增停车位目标", "今年打算再添多少个车位？", "2023年新增停车位多少", "供热方面有什么新举措？", "2024年地区生产总值增长目标"]
CLAIM_EXAMPLES = ["2024年新增停车位4.4万个", "2024年新建充电桩1万个", "2023年完成老旧小区改造309个"]
MAX_CLAIMS = 20  # claims checked at once, one per line
MAX_TURNS = 30  # turns of a conversation kept in the browser
LIST_SHOWN = 10  # items of a broad answer shown before "另有N条"
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
.doc p.focus {background: var(--background-fill-secondary); border-radius: 6px;}
#header .meta a {cursor: pointer;}
.cards-head .copy-answer {float: right; font-size: .8rem; padding: .1rem .5rem; border-radius: 5px; border: 1px solid var(--color-accent); color: var(--color-accent); background: transparent; cursor: pointer;}
.card.flash {box-shadow: 0 0 0 3px #f0b400;}
.card .scan {color: #7a4b00; font-size: .8rem; margin-left: .3rem;}
a.cite-ref {color: var(--color-accent); cursor: pointer; text-decoration: none; font-weight: 600;}
a.cite-ref:hover, a.cite-ref:focus {text-decoration: underline;}
#chat .message-row.bot-row .message {cursor: pointer;}
.turn-note {color: var(--body-text-color-subdued); font-size: .85rem; margin: 0 0 .4rem 0;}
footer {display: none !important;}
/* 承诺清单: a table on wide screens, one card per row on narrow ones */
.ctable {width: 100%; border-collapse: collapse; font-size: .9rem;}
.ctable th, .ctable td {border-bottom: 1px solid var(--border-color-primary); padding: .35rem .4rem; text-align: left; vertical-align: top; font-family: var(--font);}
.ctable th {background: var(--background-fill-secondary); white-space: nowrap;}
.ctable tr.crow {cursor: pointer;}
.ctable tr.crow:hover, .ctable tr.crow:focus {background: var(--background-fill-secondary); outline: none;}
.ctable tr.conflict td.value {color: #8a1c1c; font-weight: 600;}
.ctable .badge {display: block; color: #b71c1c; font-size: .8rem; font-weight: 400;}
.ctable td.quote {min-width: 16em;}
.verdict-list .verdict-item {margin-bottom: 1rem;}
.doclist {width: 100%; border-collapse: collapse; font-size: .9rem;}
.doclist th, .doclist td {border-bottom: 1px solid var(--border-color-primary); padding: .35rem .4rem; text-align: left;}
.rebuild-msg {padding: .4rem .8rem; border-radius: 6px; background: #e3f2fd; border: 1px solid #64b5f6; color: #0d47a1;}
.ok-msg {padding: .5rem .8rem; border-radius: 6px; background: #e8f5e9; border: 1px solid #66bb6a; color: #1b5e20;}
@media (max-width: 700px) {
  #header h1 {font-size: 1.2rem; margin: 0;}
  #header .meta {font-size: .8rem;}
  .ctable thead {display: none;}
  .ctable, .ctable tbody, .ctable tr, .ctable td {display: block; width: auto;}
  .ctable tr.crow {border: 1px solid var(--border-color-primary); border-radius: 8px; margin-bottom: .6rem; padding: .3rem .5rem;}
  .ctable td {border: none; padding: .15rem 0;}
  .ctable td::before {content: attr(data-label) "："; font-weight: 600; color: var(--body-text-color-subdued);}
  .ctable td.quote {min-width: 0;}
  .toc {columns: 1;}
  .doclist thead {display: none;}
  .doclist, .doclist tbody, .doclist tr, .doclist td {display: block;}
  .doclist tr {border: 1px solid var(--border-color-primary); border-radius: 8px; margin-bottom: .5rem; padding: .3rem .5rem;}
  .doclist td {border: none; padding: .1rem 0;}
  .doclist td::before {content: attr(data-label) "："; font-weight: 600; color: var(--body-text-color-subdued);}
}
"""

# Clicks inside a panel: "在原文中查看" (or a 承诺清单 row) sends the clause id to the server; "复制答案和出处"
# copies the answer's plain text, kept in the panel, to the clipboard.
OPEN_JS = """
const copy = (text, button) => {
  const done = () => { button.textContent = '已复制'; setTimeout(() => { button.textContent = '复制答案和出处'; }, 1500); };
  const fallback = () => {
    const t = document.createElement('textarea'); t.value = text; t.style.position = 'fixed'; t.style.opacity = '0';
    document.body.appendChild(t); t.select(); document.execCommand('copy'); t.remove(); done();
  };
  if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(text).then(done, fallback); else fallback();
};
const open = (e) => {
  const c = e.target.closest('button.copy-answer');
  if (c) { e.preventDefault(); const p = element.querySelector('pre.plain'); copy(p ? p.textContent : '', c); return; }
  const b = e.target.closest('[data-clause]');
  if (b) { e.preventDefault(); trigger('click', {clause: b.dataset.clause}); }
};
element.addEventListener('click', open);
element.addEventListener('keydown', (e) => { if (e.key === 'Enter' && e.target.matches('[data-clause]')) open(e); });
"""
SCROLL_TO_CITED_JS = """() => { setTimeout(() => {
  const m = document.querySelector('#source-view mark.cited');
  if (m) m.scrollIntoView({block: 'center'});
}, 150); }"""
# After an answer's cards are shown: the card of the [n] that was clicked is scrolled to and flashed.
SHOW_CITED_CARD_JS = """() => { const n = window.__qaCite; window.__qaCite = null; if (!n) return;
  setTimeout(() => {
    const card = document.querySelector(`#cards .card[data-n="${n}"]`);
    if (card) { card.scrollIntoView({block: 'nearest'}); card.classList.add('flash'); setTimeout(() => card.classList.remove('flash'), 1600); }
  }, 200); }"""
# In <head>: remembers which [n] was clicked, and puts Chinese on the few English attributes that
# Gradio's own markup carries whatever the translations (tab overflow, chat log, footer, file input).
HEAD = r"""<script>
(() => {
  // Gradio's own English, whatever the browser's language (its translations cannot be overridden
  // for the words it ships): attributes and whole text nodes are replaced as they appear.
  const words = {'More tabs': '更多标签页', 'chatbot conversation': '对话记录', 'Gradio footer navigation': '页脚',
    'File upload': '选择文件', 'logo': '标志', 'Stop Recording': '停止录制', 'Clear': '清空', 'Copy message': '复制',
    'Fullscreen': '全屏', 'Exit fullscreen mode': '退出全屏', 'Download': '下载', 'Remove': '移除', 'Share': '分享',
    'Click to upload or drop files': '点击上传或把文件拖到这里', 'Drop File Here': '把文件拖到这里', 'Click to Upload': '点击上传',
    '- or -': '或', 'Uploading...': '正在上传…', 'Loading...': '加载中…', 'Error': '错误', 'Close': '关闭',
    'Lost connection due to leaving page. Rejoining queue...': '连接已断开，正在重新连接…'};
  const said = {"bot's message: ": '回答：', "user's message: ": '提问：'};
  const attrs = ['aria-label', 'title', 'alt', 'placeholder'];
  const fix = (el) => { for (const a of attrs) {
    const v = el.getAttribute && el.getAttribute(a);
    if (!v) continue;
    if (words[v]) { el.setAttribute(a, words[v]); continue; }
    for (const [en, zh] of Object.entries(said)) {  // the chat's message labels carry the message's markup
      if (v.startsWith(en)) el.setAttribute(a, zh + v.slice(en.length).replace(/<[^>]*>/g, '').replace(/[*\\]/g, ''));
    }
  } };
  const patterns = [[/^File\(s\) exceed the maximum allowed size of (.+?): (.*)$/, '文件超过大小上限（$1）：$2']];
  const fixText = (n) => {
    const t = n.nodeValue.trim();
    if (words[t]) { n.nodeValue = n.nodeValue.replace(t, words[t]); return; }
    for (const [re, zh] of patterns) if (re.test(t)) n.nodeValue = t.replace(re, zh);
  };
  const sweep = (root) => {
    if (root.nodeType === 3) { fixText(root); return; }
    if (root.nodeType !== 1) return;
    fix(root);
    root.querySelectorAll('[aria-label],[title],[alt],[placeholder]').forEach(fix);
    const w = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    let n; while ((n = w.nextNode())) fixText(n);
  };
  new MutationObserver((ms) => { for (const m of ms) {
    if (m.type === 'attributes') fix(m.target);
    else if (m.type === 'characterData') fixText(m.target);
    else m.addedNodes.forEach(sweep);
  } }).observe(document.documentElement, {subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: attrs});
  document.addEventListener('DOMContentLoaded', () => sweep(document.body));
  document.addEventListener('click', (e) => { const r = e.target.closest && e.target.closest('.cite-ref'); window.__qaCite = r ? (r.textContent.match(/\d+/) || [null])[0] : null; }, true);
})();
</script>"""
# Gradio's own words on the page, in Chinese for a browser set to Chinese or English: keys it does
# not translate itself (a browser set to Chinese gets its own zh-CN words for the rest).
PAGE_WORDS = {
    "chatbot": {"copy_message": "复制", "copied_message": "已复制", "clear": "清空对话", "retry": "重试", "undo": "撤销",
                "edit": "编辑", "submit": "提交", "cancel": "取消", "like": "有用", "dislike": "没用", "complete": "完成"},
    "common": {"complete": "完成", "clear": "清空", "download": "下载", "download_all": "全部下载", "edit": "编辑", "empty": "空", "error": "错误",
               "loading": "加载中", "logo": "标志", "or": "或", "remove": "移除", "submit": "提交", "undo": "撤销",
               "settings": "设置", "share": "分享", "built_with": "构建于", "built_with_gradio": "使用 Gradio 构建",
               "language": "语言", "display_theme": "显示主题", "progress": "进度", "stop_recording": "停止录制", "record": "录制"},
    "upload_text": {"click_to_upload": "点击上传", "drop_file": "把文件拖到这里", "drop_csv": "把 CSV 拖到这里",
                    "paste_clipboard": "从剪贴板粘贴"},
    "file": {"uploading": "正在上传…"},
    "dropdown": {"dropdown": "下拉选择"},
    "blocks": {"lost_connection": "连接已断开，正在重新连接…", "waiting_for_inputs": "正在等待文件上传完成，请稍后重试。",
               "connection_can_break": "在手机上，切到其他页面或锁屏可能使连接中断。", "long_requests_queue": "排队的请求较多，请稍候。"},
    "errors": {"use_via_api": "通过 API 使用"},
}

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
        self.short = short_titles(self.corpus.docs)

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
        if getattr(cite, "scanned", False):
            badge_html += '<span class="scan" title="这段文字由扫描件识别而来，请对照原件核对">识别自扫描件</span>'
        return (
            f'<div class="card{" conflict" if badge else ""}" data-n="{cite.n}">'
            f'<div><span class="num">[{cite.n}]</span> <span class="title">{esc(cite.title)}</span>{badge_html}</div>'
            f'<div class="where">{esc(cite.section or "（无标题）")} · {esc(cite.source)} {lines_label(cite.line_start, cite.line_end)}</div>'
            f"<blockquote>{marked(cite.quote, words)}</blockquote>{para}{button}</div>"
        )

    def answer_cards(self, answer, turn: int = 0, plain: str = "") -> str:
        """The cards of one answer; with `plain`, a button that copies the answer and its sources as text."""
        copy = (
            f'<button class="copy-answer" type="button">复制答案和出处</button><pre class="plain" hidden>{esc(plain)}</pre>'
            if plain else ""
        )
        which = f'<p class="turn-note">第 {turn} 问：{esc(_short(answer.question, 40))}</p>' if turn else ""
        if not answer.citations:
            return f'<div class="cards-head">没有可引用的条款{copy}</div>{which}'
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
        return f'<div class="cards-head">{head}{copy}</div>{which}{"".join(banners)}{cards}'

    def cite_link(self, cite) -> str:
        """[n] as a link whose hover text previews the source; a click shows the answer's cards at card n."""
        preview = f"{self.short.get(cite.doc_id, cite.title)} {lines_label(cite.line_start, cite.line_end)}：{_short(cite.quote, 80)}"
        return f'<a class="cite-ref" title="{esc(preview)}">[{cite.n}]</a>'

    def linked(self, text: str, answer) -> str:
        """Markdown-escaped text with every [n] as a link to its citation."""
        by_n = {c.n: c for c in answer.citations}
        return re.sub(r"\\\[(\d+)\\\]", lambda m: self.cite_link(by_n[int(m.group(1))]) if int(m.group(1)) in by_n else m.group(0), md_escape(text))

    def shortened(self, text: str) -> str:
        """Full document titles in an answer's text replaced by their short names (the cards keep the full ones)."""
        for d in sorted(self.corpus.docs, key=lambda d: -len(d.title)):
            short = self.short.get(d.id, d.title)
            if short != d.title:
                text = text.replace(f"（{d.title}）", f"（{short}）").replace(f"【{d.title}】", f"【{short}】")
        return text

    def is_list(self, answer) -> bool:
        """A broad answer: several passages and no figure — shown as a list, not a paragraph."""
        return not answer.abstained and not answer.facts and len(answer.citations) > 1

    def list_markdown(self, answer) -> str:
        """A broad answer as a list grouped by document and area, short titles, up to LIST_SHOWN items shown."""
        groups: dict[tuple[str, str], list] = {}
        for c in answer.citations:
            clause = self.clause_of(c)
            area = area_of(clause) if clause else ""
            groups.setdefault((self.short.get(c.doc_id, c.title), area), []).append(c)
        shown, rest, out = 0, [], []
        for (title, area), cites in groups.items():
            lines = []
            for c in cites:
                item = f"- {md_escape(c.quote.rstrip('，；。'))} {self.cite_link(c)}"
                if shown < LIST_SHOWN:
                    lines.append(item)
                    shown += 1
                else:
                    rest.append(f"{item}（{md_escape(title)}）")
            if lines:
                out.append(f"**{md_escape(title)}{' · ' + md_escape(area) if area else ''}**\n\n" + "\n".join(lines))
        if rest:
            out.append(f"<details><summary>另有 {len(rest)} 条，点击展开</summary>\n\n" + "\n".join(rest) + "\n\n</details>")
        return "\n\n".join(out)

    def answer_markdown(self, answer, asked: str, resolved: str) -> str:
        """The chat message: the answer with linked [n]; the sources are in the cards (one 出处 block)."""
        parts = []
        if resolved != asked:
            parts.append(f"*（按“{md_escape(resolved)}”理解）*")
        parts.append(self.list_markdown(answer) if self.is_list(answer) else self.linked(self.shortened(answer.answer), answer))
        for c in answer.conflicts:
            year = f"（{c.year}年）" if c.year else ""
            vals = "、".join(f"{v.value}[{v.citation}]" for v in c.values)
            parts.append("⚠ **文件之间不一致**：" + self.linked(c.indicator + year + " " + vals, answer))
        return "\n\n".join(parts)

    def answer_text(self, answer, asked: str, resolved: str) -> str:
        """The answer as plain text with [n] and its quoted sources, for copying."""
        lines = render_answer(answer).rstrip("\n").split("\n")[:-1]  # without the timing line
        lines[0] = f"问：{asked}" + (f"（按“{resolved}”理解）" if resolved != asked else "")
        return "\n".join(lines)

    def verdict_html(self, v, nearest=()) -> str:
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
            if not nearest:
                return head
            cards = "".join(self.card(c) for c in nearest)
            return f'{head}<div class="cards-head">最接近的段落（仅供参考）</div>{cards}'
        cards = "".join(self.card(c, [w for w in reason_words if w in c.quote]) for c in v.evidence)
        return f'{head}<div class="cards-head">依据（{len(v.evidence)} 条）</div>{cards}'

    def header_html(self) -> str:
        """One short line under the title; the details are in the 关于 panel."""
        return (
            "<h1>政策条款问答</h1>"
            f'<div class="meta">{len(self.corpus.docs)} 份文件 · 检索方式：关键词 + {retrieval_label(self.index)}'
            f"{' · ' + str(len(self.corpus.skipped)) + ' 个文件未收录（见“关于”）' if self.corpus.skipped else ''}</div>"
        )

    def about_html(self) -> str:
        docs = "".join(f"<li>《{esc(d.title)}》{esc(d.date)}</li>" for d in self.corpus.docs)
        counts = f"{len(self.corpus.clauses)} 个条款，{sum(len(c.facts) for c in self.corpus.clauses)} 个数字"
        notes = "".join(f"<p>说明：{esc(n)}。这不影响使用：关键词检索照常工作，向量由本地文件训练。</p>" for n in self.index.notes)
        skipped = ""
        if self.corpus.skipped:
            skipped = "<p>未收录的文件：" + "；".join(f"{esc(s.path)}（{esc(s.reason)}）" for s in self.corpus.skipped) + "</p>"
        return (
            f'<div class="about"><p>收录文件（{len(self.corpus.docs)} 份，{counts}）：</p><ul>{docs}</ul>'
            f"<p>检索方式：按关键词（jieba 分词与双字）和向量相似度综合排序。向量模型：{esc(self.index.embedder_description)}。</p>"
            f"{notes}{skipped}<p>每个答案只引用文件原文，并标明文件、章节和行号；文件之间数字不一致时会同时列出并提示。</p></div>"
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


_DOC_WORD = re.compile(r"(政府工作报告|全体会议公报|工作报告|公报|规划纲要|规划|纲要|实施意见|意见|实施方案|方案|通知|决定|决议|条例|办法|规定|细则)$")


def short_titles(docs) -> dict[str, str]:
    """A short name per document for inline use ("2024年政府工作报告"); the full title stays on the cards.

    A long title becomes its year and its kind of document; when two documents would share a short
    name, both keep their full titles.
    """
    short = {}
    for d in docs:
        m = _DOC_WORD.search(d.title)
        year = d.this_year or (int(d.date[:4]) if re.match(r"\d{4}", d.date or "") else None)
        if len(d.title) <= 14 or not m or not year:
            short[d.id] = d.title
        else:
            word = {"全体会议公报": "全会公报"}.get(m.group(1), m.group(1))
            short[d.id] = f"{year}年{word}"
    names = list(short.values())
    return {i: (next(d.title for d in docs if d.id == i) if names.count(t) > 1 else t) for i, t in short.items()}


def retrieval_label(index: Index) -> str:
    """How passages are found, in plain words: 语料向量 (fitted on the documents) or 语义向量 (a neural model)."""
    return "语料向量" if isinstance(index.embedder, CorpusEmbedder) else "语义向量"


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


def disagreements(corpus) -> dict[tuple[str, str], list[tuple[str, str]]]:
    """For each (clause id, figure) that another document contradicts: [(other document id, its figure)]."""
    out: dict[tuple[str, str], list[tuple[str, str]]] = {}
    at = {(c.doc_id, c.start): c for c in corpus.clauses}
    for entry in conflicts(corpus):
        if entry.group != CONTRADICTION:
            continue
        figs = [(at.get((f.citation.doc_id, f.citation.char_start)), f) for f in entry.figures]
        for clause, f in figs:
            if clause is None:
                continue
            others = [(g.citation.doc_id, g.to_dict()["value"]) for c2, g in figs if g.citation.doc_id != f.citation.doc_id]
            out.setdefault((clause.id, f.to_dict()["value"]), []).extend(others)
    return out


def commitments_html(items, views: Views, marks) -> str:
    """The commitments as a table (cards on a narrow screen); a row opens its clause in the 原文 tab."""
    if not items:
        return '<p class="empty">没有符合条件的目标，请放宽筛选条件。</p>'
    head = "".join(f"<th>{c}</th>" for c in TABLE_COLUMNS)
    rows = []
    for m in items:
        against = marks.get((m.clause_id, m.value), [])
        badge = "".join(
            f'<span class="badge">⚠ 与{esc(views.short.get(d, d))}的{esc(v)}不一致</span>' for d, v in against
        )
        cells = [
            ("领域", esc(m.area), ""), ("指标", esc(m.indicator), ""), ("目标值", esc(m.value) + badge, "value"),
            ("文件", esc(views.short.get(m.doc_id, m.title)), ""), ("章节", esc(_short(m.section.split(" > ")[-1], 24)), ""),
            ("行号", lines_label(m.line_start, m.line_end), ""), ("原文", marked(m.quote, [m.value]), "quote"),
        ]
        tds = "".join(f'<td data-label="{label}"{f" class={chr(34)}{cls}{chr(34)}" if cls else ""}>{body}</td>' for label, body, cls in cells)
        cls = "crow conflict" if against else "crow"
        rows.append(f'<tr class="{cls}" data-clause="{esc(m.clause_id)}" tabindex="0" title="点击在原文中查看">{tds}</tr>')
    return f'<table class="ctable"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


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
            write_csv_rows(f, CSV_COLUMNS, rows)  # the CLI's writer: formula-like cells made text
        os.replace(f.name, path)  # whole or not at all, even with two sessions writing the same list
    return str(path)


def documents_html(pg: Page, folder: Path | None, pending: tuple[str, ...] = ()) -> str:
    """The 文档 tab's list: every document with its catalog fields and counts, and the files not indexed, with why."""
    corpus = pg.index.corpus
    clauses: dict[str, int] = {}
    figures: dict[str, int] = {}
    for c in corpus.clauses:
        clauses[c.doc_id] = clauses.get(c.doc_id, 0) + 1
        figures[c.doc_id] = figures.get(c.doc_id, 0) + len(c.facts)
    added = added_in_app(folder) if folder else set()
    cols = ["标题", "发文单位", "地区", "日期", "今年", "条款", "数字", "文件", "状态"]
    rows = []
    for d in corpus.docs:
        name = Path(d.source).name
        state = "已收录" + ("（在网页中添加）" if name in added else "") + ("，含扫描页" if d.ocr_pages else "")
        cells = [d.title, d.issuer or "—", getattr(d, "region", "") or "—", d.date or "—", f"{d.this_year}年" if d.this_year else "—",
                 str(clauses.get(d.id, 0)), str(figures.get(d.id, 0)), name, state]
        rows.append(cells)
    for sk in corpus.skipped:
        rows.append(["—", "—", "—", "—", "—", "0", "0", sk.path, f"未收录：{sk.reason}"])
    for name in pending:
        rows.append(["—", "—", "—", "—", "—", "—", "—", name, "正在收录…"])
    head = "".join(f"<th>{c}</th>" for c in cols)
    body = "".join("<tr>" + "".join(f'<td data-label="{c}">{esc(v)}</td>' for c, v in zip(cols, r)) + "</tr>" for r in rows)
    where = f"<p>文档目录：{esc(str(folder))}。在这里添加的文件会存入该目录，并在 catalog.toml 末尾追加一条目录信息；命令行 qa 使用同一目录。</p>" if folder else ""
    return f'{where}<table class="doclist"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


# -- the app --------------------------------------------------------------------------------


def seeds_folder(index: Index, seeds: Path | None = None) -> Path | None:
    """The documents folder: --seeds, else the one the index was built from."""
    folder = Path(seeds) if seeds else None
    if folder is None and index.manifest.get("seeds_dir"):
        folder = Path(index.manifest["seeds_dir"])
        folder = folder if folder.is_absolute() else repo_root() / folder
    return folder if folder is not None and folder.is_dir() else None


def source_documents(index: Index, seeds: Path | None = None) -> dict[str, Document]:
    """The indexed documents' texts, for the 原文 tab; only files unchanged since the index was built."""
    folder = seeds_folder(index, seeds)
    if folder is None:
        return {}
    docs, _ = load_folder(folder)
    known = {d.id: d.sha256 for d in index.corpus.docs}
    return {d.id: d for d in docs if known.get(d.id) == d.sha256}


class Page:
    """What the page answers from: the index and everything made from it, replaced together when it is rebuilt."""

    def __init__(self, index: Index, documents: dict[str, Document]):
        self.index = index
        self.views = Views(index, documents)
        self.answerer, self.auditor = Answerer(index), Auditor(index)
        self.items = commitments(index.corpus, year=None, kind="target")
        self.marks = disagreements(index.corpus)
        years = sorted({m.year for m in self.items if m.year}, reverse=True)
        self.years = years
        self.default_year = 2024 if 2024 in years else (years[0] if years else None)
        self.areas = list(dict.fromkeys(m.area for m in self.items))
        self.doc_choices = [(d.title, d.id) for d in index.corpus.docs]


EMPTY_CARDS = '<div class="cards-head">出处</div><p>提问后，这里显示答案引用的条款；点击对话中的任一答案或其中的 [n]，可查看那个答案的出处。</p>'


def build_app(
    index: Index | LiveIndex, seeds: Path | None = None, documents: dict[str, Document] | None = None,
    max_upload_mb: float = MAX_BYTES / 2**20,
) -> gr.Blocks:
    """The page over an index: 问答, 承诺清单, 核查, 原文, 文档; plus the /ask and /check API endpoints.

    Given a LiveIndex, every handler works on the index in use (`live.current()`) and the Page made
    from it (`live.derived`, once per index version), and shows citations only after `live`
    re-checked them against the files.
    """
    live = index if isinstance(index, LiveIndex) else LiveIndex(index=index, seeds=seeds)
    index = live.current()
    folder = seeds_folder(index, seeds) or live.seeds
    first_page = Page(index, documents if documents is not None else source_documents(index, seeds))

    def page_now() -> Page:
        """The Page of the index in use (after a look at the seeds folder, every few seconds at most)."""
        live.current()
        if live.generation == 0:
            return first_page
        return live.derived("page", lambda i: Page(i, source_documents(i, folder)))

    def notice_html() -> str:
        return status_html(live.status().notice)

    pg = first_page  # what the page is first drawn from
    upload_limit = int(max_upload_mb * 2**20)
    # One question at a time through the QA core: answers take milliseconds, and the retriever's
    # lazily built caches (cached_property, the tokenizer) are not documented as thread-safe.
    lock = threading.Lock()
    csv_dir = Path(tempfile.mkdtemp(prefix="qa-app-csv-"))
    atexit.register(shutil.rmtree, csv_dir, ignore_errors=True)

    def answer(question: str, pg: Page | None = None):
        pg = pg or page_now()
        with lock:
            a = pg.answerer.answer(question)
        return live.verified(a)  # a citation the files no longer bear out is not shown

    def history_of(conv) -> list[dict]:
        out = []
        for t in (conv or {}).get("turns", []):
            out += [{"role": "user", "content": md_escape(t["q"])}, {"role": "assistant", "content": t["md"]}]
        return out

    def chat_turn(message, history, session, conv):
        """The 问答 tab: answer in the chat, its cards beside it, the turn kept in the browser; bad input gets a message."""
        session, conv = dict(session or {}), dict(conv or {})
        turns = list(conv.get("turns", []))
        text = message.strip() if isinstance(message, str) else ""
        keep = gr.skip()  # chat and cards stay as they are when nothing is answered

        def refuse(why: str):
            return keep, keep, message, status_html(why), session, keep

        now = time.monotonic()
        recent = [t for t in session.get("times", []) if now - t < BURST[1]]
        last, last_at = session.get("last", ("", -1e9))
        if text and text == last and now - last_at < SAME_QUESTION_SECONDS:
            return refuse("这个问题刚刚已经回答过了，答案见上方。")
        if len(recent) >= BURST[0]:
            return refuse("提问太频繁了，请稍等几秒再问。")
        previous = conv.get("previous") or ""
        if not previous and needs_previous(text):
            return refuse(f"“{text}”像是在追问上一个问题，但现在没有可以接着问的问题。请把问题说完整，例如：2023年新增停车位多少")
        resolved = resolve(text, previous)
        pg = page_now()
        try:
            a = answer(resolved, pg)
        except QAError as e:
            return refuse(str(e))
        n = len(turns) + 1
        plain = pg.views.answer_text(a, text, resolved)
        turns.append({"q": text, "md": pg.views.answer_markdown(a, text, resolved), "cards": pg.views.answer_cards(a, n, plain)})
        turns = turns[-MAX_TURNS:]
        conv.update(turns=turns, previous=resolved)
        session.update(last=(text, now), times=recent + [now])
        return history_of(conv), turns[-1]["cards"], "", notice_html(), session, conv

    def show_turn(conv, evt: gr.SelectData):
        """A click on a message (or its [n]): that answer's cards."""
        turns = (conv or {}).get("turns", [])
        i = evt.index[0] if isinstance(evt.index, (list, tuple)) else evt.index
        if not isinstance(i, int) or not 0 <= i // 2 < len(turns):
            return gr.skip()
        return turns[i // 2]["cards"]

    def restore(conv):
        """After a reload: the conversation kept in the browser, and its last answer's cards."""
        turns = (conv or {}).get("turns", [])
        return history_of(conv), (turns[-1]["cards"] if turns else EMPTY_CARDS)

    def new_chat(session):
        """A fresh conversation: no messages, no cards, nothing to follow up on (the pacing stays)."""
        session = {k: v for k, v in (session or {}).items() if k != "last"}
        return [], EMPTY_CARDS, "", "", {"turns": [], "previous": ""}, session

    def check_claims(text):
        """The 核查 tab: each non-empty line is a claim of its own, with its own verdict."""
        claims = [line.strip() for line in (text if isinstance(text, str) else "").splitlines() if line.strip()]
        if not claims:
            claims = [""]  # the checker's own message for an empty claim
        if len(claims) > MAX_CLAIMS:
            return status_html(f"一次最多核查 {MAX_CLAIMS} 条说法（每行一条），现在有 {len(claims)} 条"), gr.skip()
        out, pg = [], page_now()
        try:
            with lock:
                for claim in claims:
                    v = live.verified_verdict(pg.auditor.check(claim))
                    if v is None:  # its evidence changed in the files
                        return status_html(live.status().notice or "文件已更新，请稍后再核查"), ""
                    nearest = tuple(c for c in pg.auditor.nearest(claim) if live.holds(c)) if not v.evidence else ()
                    out.append(f'<div class="verdict-item">{pg.views.verdict_html(v, nearest)}</div>')
        except QAError as e:
            return status_html(str(e)), ""
        head = f'<p class="cards-head">共 {len(claims)} 条说法，逐条核查：</p>' if len(claims) > 1 else ""
        return notice_html(), f'<div class="verdict-list">{head}{"".join(out)}</div>'

    def open_source(evt: gr.EventData):
        """A card's "在原文中查看" or a 承诺清单 row: the 原文 tab, at the clause, highlighted."""
        pg = page_now()
        clause = pg.index.corpus.by_id.get(getattr(evt, "clause", None) or "")
        if clause is None:
            return gr.skip(), gr.skip(), gr.skip()
        return gr.Tabs(selected="source"), gr.Dropdown(value=clause.doc_id), pg.views.document_html(clause.doc_id, clause.id)

    def show_commitments(year, area, doc, keyword):
        pg = page_now()
        rows = [m for m in filter_commitments(pg.items, year, area, doc, keyword) if live.holds(m)]
        count = f"共 {len(rows)} 项" + ("" if rows else "：没有符合条件的目标，请放宽筛选条件")
        return commitments_html(rows, pg.views, pg.marks), write_csv(rows, csv_dir, year), count

    def api_ask(question: str) -> dict:
        """Answer one question; the object `qa ask --json` prints, plus the embedder used."""
        try:
            a = answer(question)
        except QAError as e:
            raise gr.Error(str(e)) from e
        notice = live.status().notice
        return {**a.to_dict(), "embedder": a.embedder, **({"notice": notice} if notice else {})}

    def api_check(claim: str) -> dict:
        """Check one claim against the documents: verdict, reason and evidence."""
        try:
            pg = page_now()
            with lock:
                v = live.verified_verdict(pg.auditor.check(claim))
        except QAError as e:
            raise gr.Error(str(e)) from e
        if v is None:
            raise gr.Error(live.status().notice or "文件已更新，请稍后再核查")
        return v.to_dict()

    def read_upload(path):
        """An uploaded file: its catalog fields guessed from the text, for the person to confirm."""
        if not path:
            return gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip(), ""
        try:
            d = guess(Path(path), max_bytes=upload_limit)
        except QAError as e:
            return gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip(), status_html(str(e))
        note = '<div class="ok-msg">已读取文件。请核对下面的标题、日期和“今年”（文件中的“今年”指哪一年），再点“加入文档库”。</div>'
        return d.title, d.issuer, d.date, d.this_year, d.kind, note

    def add_upload(path, title, issuer, region, date, this_year, kind, seen):
        if folder is None:
            return status_html("没有可写入的文档目录（请用 --seeds 指定）"), gr.skip(), gr.skip(), gr.skip(), seen
        if not path:
            return status_html("请先选择要上传的文件"), gr.skip(), gr.skip(), gr.skip(), seen
        try:
            year_value = int(this_year) if this_year not in (None, "") else None
            added = add_document(folder, Path(path), Draft(title or "", issuer or "", date or "", year_value, kind or "other", region or ""),
                                 max_bytes=upload_limit)
        except (QAError, ValueError) as e:
            return status_html(str(e).split("\n")[0]), gr.skip(), gr.skip(), gr.skip(), seen
        seen = live.generation
        live.refresh()  # look at the folder now: the rebuild starts in the background
        note = f'<div class="rebuild-msg">已加入《{esc(title.strip())}》（{esc(added.name)}）。{REBUILDING}提问不受影响，完成后自动切换。</div>'
        pending = documents_html(page_now(), folder, (added.name,))
        return note, pending, None, gr.Timer(active=True), seen

    def remove_added(name, seen):
        if folder is None or not name:
            return status_html("请选择要移除的文件"), gr.skip(), gr.skip(), seen
        try:
            remove_document(folder, name)
        except QAError as e:
            return status_html(str(e)), gr.skip(), gr.skip(), seen
        seen = live.generation
        live.refresh()
        return f'<div class="rebuild-msg">已移除 {esc(name)}。{REBUILDING}</div>', gr.skip(), gr.Timer(active=True), seen

    def poll(seen):
        """While a rebuild runs: nothing; when it is done, the page's lists switch to the new index."""
        state = live.status()
        if state.state == "rebuilding" or live.generation == seen:
            if state.state == "failed":
                return (status_html(state.notice),) + (gr.skip(),) * 6 + (gr.Timer(active=False), seen)
            if state.state == "ready":  # nothing changed in the files (the same bytes again): done
                return (status_html(""),) + (gr.skip(),) * 6 + (gr.Timer(active=False), seen)
            return (gr.skip(),) * 7 + (gr.skip(), seen)
        pg = page_now()
        choices = pg.doc_choices
        removable = sorted(added_in_app(folder)) if folder else []
        done = f'<div class="ok-msg">索引已更新：现有 {len(pg.index.corpus.docs)} 份文件，可以提问了。</div>'
        return (
            done, documents_html(pg, folder), pg.views.header_html(), pg.views.about_html(),
            gr.Dropdown(choices=choices), gr.Dropdown(choices=[("全部文件", ALL)] + choices), gr.Dropdown(choices=removable, value=None),
            gr.Timer(active=False), live.generation,
        )

    first_rows, first_csv, first_count = show_commitments(pg.default_year, ALL, ALL, "")
    # delete_cache: Gradio's copies of downloaded CSVs older than a day go, checked hourly.
    with gr.Blocks(title="政策条款问答", analytics_enabled=False, delete_cache=(3600, 86400)) as demo:
        session = gr.State({})
        conv = gr.BrowserState({"turns": [], "previous": ""}, storage_key="policy-qa-conversation")
        header = gr.HTML(pg.views.header_html(), elem_id="header")
        with gr.Accordion("关于", open=False, elem_id="about"):
            about = gr.HTML(pg.views.about_html(), elem_id="about-body")
        with gr.Tabs(selected="ask", elem_id="tabs") as tabs:
            with gr.Tab("问答", id="ask", elem_id="tab-ask"):
                with gr.Row():
                    with gr.Column(scale=3, min_width=320):
                        chat = gr.Chatbot(
                            label="对话", show_label=False, height=520, elem_id="chat", feedback_options=None, buttons=[],
                            placeholder="用中文提问，答案中的每个数字都标明出处 [n]；点击答案可查看它引用的条款。",
                        )
                        status = gr.HTML("", elem_id="ask-status")
                        with gr.Row():
                            question = gr.Textbox(
                                label="问题", show_label=False, placeholder="输入问题，例如：2024年新增停车位目标（可追问：那2023年呢？）",
                                elem_id="question", scale=5, lines=1, max_lines=4, autofocus=True,
                            )
                            send = gr.Button("提问", variant="primary", scale=1, min_width=80, elem_id="send")
                        examples = gr.Examples(EXAMPLES, inputs=[question], label="示例问题（点击即问）")
                        clear = gr.Button("新对话", size="sm", elem_id="clear")
                    with gr.Column(scale=2, min_width=320):
                        cards = gr.HTML(EMPTY_CARDS, elem_id="cards", js_on_load=OPEN_JS)
            with gr.Tab("承诺清单", id="commitments", elem_id="tab-commitments"):
                gr.Markdown("各文件提出的目标（由文中数字自动整理，每项附出处）。点击一行可在原文中查看；可按领域、文件和关键词筛选，下载为 CSV。")
                with gr.Row():
                    year = gr.Dropdown([(f"{y}年", y) for y in pg.years], value=pg.default_year, label="年份", elem_id="f-year")
                    area = gr.Dropdown([("全部领域", ALL)] + [(a, a) for a in pg.areas], value=ALL, label="领域", elem_id="f-area")
                    doc = gr.Dropdown([("全部文件", ALL)] + pg.doc_choices, value=ALL, label="文件", elem_id="f-doc")
                    keyword = gr.Textbox(label="关键词", placeholder="例如：停车位", elem_id="f-keyword")
                with gr.Row():
                    count = gr.Markdown(first_count, elem_id="c-count")
                    download = gr.DownloadButton("下载 CSV", value=first_csv, elem_id="download-csv", size="sm")
                table = gr.HTML(first_rows, elem_id="commitments-table", js_on_load=OPEN_JS)
            with gr.Tab("核查", id="check", elem_id="tab-check"):
                gr.Markdown("粘贴说法（如材料中的数字），每行一条，对照原文逐条给出结论：支持、矛盾、部分支持或未找到，并列出依据。按回车核查，Shift+回车换行。")
                claim = gr.Textbox(label="要核查的说法", placeholder="例如：2024年新增停车位4.4万个", lines=1, max_lines=12, elem_id="claim")
                check_btn = gr.Button("核查", variant="primary", elem_id="check-btn")
                claim_examples = gr.Examples(CLAIM_EXAMPLES, inputs=[claim], label="示例（点击即核查）")
                check_status = gr.HTML("", elem_id="check-status")
                verdict = gr.HTML("", elem_id="verdict", js_on_load=OPEN_JS)
            with gr.Tab("原文", id="source", elem_id="tab-source"):
                first_doc = pg.doc_choices[0][1] if pg.doc_choices else None
                source_doc = gr.Dropdown(pg.doc_choices, value=first_doc, label="文件", elem_id="source-doc")
                viewer = gr.HTML(pg.views.document_html(first_doc) if first_doc else "", elem_id="source-view", js_on_load=None)
            with gr.Tab("文档", id="docs", elem_id="tab-docs"):
                docs_status = gr.HTML("", elem_id="docs-status")
                docs_list = gr.HTML(documents_html(pg, folder), elem_id="docs-list")
                gr.Markdown(f"**添加文件**：支持 .txt、.md、.pdf（含扫描件，自动识别文字）和 .docx，单个文件不超过 {max_upload_mb:g} MB。")
                # No file_types: Gradio's own refusal is in English; qa.library checks the type and says so in Chinese.
                upload = gr.File(label="选择文件", type="filepath", elem_id="upload")
                with gr.Row():
                    f_title = gr.Textbox(label="标题", elem_id="d-title", scale=3)
                    f_issuer = gr.Textbox(label="发文单位", elem_id="d-issuer", scale=2)
                    f_region = gr.Textbox(label="地区（可不填，如 呼和浩特市）", elem_id="d-region", scale=1)
                with gr.Row():
                    f_date = gr.Textbox(label="日期（如 2024-01-15）", elem_id="d-date")
                    f_year = gr.Number(label="“今年”指哪一年", precision=0, elem_id="d-year")
                    f_kind = gr.Dropdown([(v, k) for k, v in KINDS.items()], value="other", label="类型", elem_id="d-kind")
                add_btn = gr.Button("加入文档库", variant="primary", elem_id="d-add")
                with gr.Accordion("移除在网页中添加的文件", open=False, elem_id="d-remove-box"):
                    gr.Markdown("只能移除在这里添加的文件（连同它的目录信息）；其他文件请到文档目录中手动处理。")
                    with gr.Row():
                        rm_name = gr.Dropdown(sorted(added_in_app(folder)) if folder else [], label="文件", elem_id="d-remove-name")
                        rm_btn = gr.Button("移除", variant="stop", elem_id="d-remove")
        seen = gr.State(0)
        timer = gr.Timer(1.0, active=False)

        ask_io = dict(fn=chat_turn, inputs=[question, chat, session, conv], outputs=[chat, cards, question, status, session, conv])
        question.submit(**ask_io, api_name="chat")
        send.click(**ask_io, api_visibility="private")
        examples.load_input_event.then(**ask_io, api_visibility="private")
        fresh = dict(fn=new_chat, inputs=session, outputs=[chat, cards, status, question, conv, session], api_visibility="private")
        clear.click(**fresh)
        chat.clear(**fresh)  # the chat's own 🗑
        chat.select(show_turn, conv, cards, api_visibility="private").then(None, js=SHOW_CITED_CARD_JS)
        demo.load(restore, conv, [chat, cards], api_visibility="private")

        filters = [year, area, doc, keyword]
        for f in filters:
            f.change(show_commitments, filters, [table, download, count], api_visibility="private")

        for event in (check_btn.click, claim.submit, claim_examples.load_input_event.then):
            event(check_claims, claim, [check_status, verdict], api_visibility="private")

        for panel in (cards, verdict, table):
            panel.click(open_source, None, [tabs, source_doc, viewer], api_visibility="private").then(
                None, js=SCROLL_TO_CITED_JS
            )
        source_doc.input(lambda d: page_now().views.document_html(d), source_doc, viewer, api_visibility="private")

        upload.upload(read_upload, upload, [f_title, f_issuer, f_date, f_year, f_kind, docs_status], api_visibility="private")
        add_btn.click(
            add_upload, [upload, f_title, f_issuer, f_region, f_date, f_year, f_kind, seen], [docs_status, docs_list, upload, timer, seen],
            api_visibility="private",
        )
        rm_btn.click(remove_added, [rm_name, seen], [docs_status, docs_list, timer, seen], api_visibility="private")
        timer.tick(
            poll, seen, [docs_status, docs_list, header, about, source_doc, doc, rm_name, timer, seen], api_visibility="private"
        )

        gr.api(api_ask, api_name="ask")
        gr.api(api_check, api_name="check")
    demo.queue(default_concurrency_limit=8, max_size=256)
    return demo


MAX_UPLOAD_MB = 50.0


def serve(demo: gr.Blocks, host: str, port: int, hosts=(), max_upload_mb: float = MAX_UPLOAD_MB, **kwargs):
    """Launch offline: no share link, no SSR, theme with system fonts only, Chinese throughout.

    Behind a guard (qa.webguard): Host headers other than the bound address (and, for a
    loopback or wildcard address, localhost) or the names in `hosts` get 421; request bodies
    over `max_upload_mb` (and uploaded files, through Gradio's own limit) get 413.
    """
    from starlette.middleware import Middleware

    limit = int(max_upload_mb * 2**20)
    guard = Middleware(RequestGuard, hosts=allowed_hosts(host, hosts), max_body=limit + 2**20)  # + the form's own bytes
    return demo.launch(
        server_name=host, server_port=port, share=False, ssr_mode=False, show_error=False,
        theme=THEME, css=CSS, head=HEAD, footer_links=[], inbrowser=False,
        i18n=gr.I18n(**{lang: PAGE_WORDS for lang in ("en", "zh-CN", "zh")}),
        max_file_size=limit, app_kwargs={"middleware": [guard]}, **kwargs,
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
    p.add_argument("--allowed-hosts", default="", help="另外允许的主机名（逗号分隔，* 为不限）；默认只接受监听地址（回环地址时另加 localhost）")
    p.add_argument("--max-upload-mb", type=float, default=MAX_UPLOAD_MB, help=f"上传与请求的大小上限（MB，默认 {MAX_UPLOAD_MB:g}）")
    p.add_argument("--check-seconds", type=float, default=3.0, help="检查文档目录是否有改动的最短间隔（秒，默认 3）")
    args = p.parse_args(argv)
    host, port = listen_address(args.host, args.port)
    try:
        live = LiveIndex(args.index, args.seeds, Settings(embedder=args.embedder) if args.embedder else None,
                         check_seconds=args.check_seconds, log=lambda msg: print(msg, file=sys.stderr))
        index = live.current()
        demo = build_app(live, args.seeds, max_upload_mb=args.max_upload_mb)
    except QAError as e:
        print(f"app.py：{e}", file=sys.stderr)
        return 2
    print(f"政策条款问答：{len(index.corpus.docs)} 份文件，{len(index.corpus.clauses)} 个条款；{index.embedder_description}", file=sys.stderr)
    try:
        serve(demo, host, port, hosts=[h for h in args.allowed_hosts.split(",") if h.strip()], max_upload_mb=args.max_upload_mb)
    except OSError as e:
        print(f"app.py：无法在 {host}:{port} 启动（{e}）；请用 --port 换一个端口", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
