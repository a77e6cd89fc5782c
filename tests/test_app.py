"""The Gradio app: started as `app.py` on a free port, driven in headless Chromium and loaded with gradio_client.

Chromium and its driver are Debian's (`make test` installs them with apt when missing); screenshots
go to test-artifacts/ (git-ignored) — look at them to see the page as a user does.
"""

from __future__ import annotations

import csv
import glob
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.conftest import ROOT, SEEDS

ARTIFACTS = ROOT / "test-artifacts"
CHROMEDRIVER = Path("/usr/bin/chromedriver")
CHROMIUM = Path("/usr/bin/chromium")
PARKING = "2024年新增停车位目标"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str, timeout: float = 5) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.read()


def start_app(cmd: list[str], port: int, log, timeout: float, env: dict | None = None):
    """Start `app.py` and wait until it answers; (process, url). Fails the test with its log otherwise."""
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            pytest.fail(f"app.py exited with {proc.returncode}:\n{log.read_text()}")
        try:
            get(url + "config")
            return proc, url
        except OSError:
            if time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"app.py did not answer on {url} within {timeout:g} s:\n{log.read_text()}")
            time.sleep(0.2)


@pytest.fixture(scope="module")
def server(seed_index, tmp_path_factory):
    """`python app.py` on a free port over the test index; yields (url, process); stopped at the end."""
    port = free_port()
    log = tmp_path_factory.mktemp("app") / "app.log"
    # The address through Gradio's own variables, as a deployment would set it.
    env = {**os.environ, "GRADIO_SERVER_NAME": "127.0.0.1", "GRADIO_SERVER_PORT": str(port)}
    cmd = [sys.executable, str(ROOT / "app.py"), "--index", str(seed_index.folder), "--seeds", str(SEEDS)]
    proc, url = start_app(cmd, port, log, 120, env)
    yield url, proc
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


# -- in-process: arguments and rendering ----------------------------------------------------


def test_main_reports_an_index_it_cannot_build(tmp_path, capsys):
    import app

    code = app.main(["--index", str(tmp_path / "index"), "--seeds", str(tmp_path / "no-such-folder")])
    assert code == 2
    assert "找不到" in capsys.readouterr().err


def test_address_comes_from_options_then_gradio_variables(monkeypatch):
    import app

    monkeypatch.delenv("GRADIO_SERVER_NAME", raising=False)
    monkeypatch.delenv("GRADIO_SERVER_PORT", raising=False)
    assert app.listen_address() == ("127.0.0.1", 7860)
    monkeypatch.setenv("GRADIO_SERVER_NAME", "0.0.0.0")
    monkeypatch.setenv("GRADIO_SERVER_PORT", "8123")
    assert app.listen_address() == ("0.0.0.0", 8123)
    assert app.listen_address("localhost", 9000) == ("localhost", 9000)


def test_marks_escape_the_text_and_highlight_each_figure():
    import app

    html = app.marked("新增<b>停车位</b>4.4万个，再增4.4万个", ["4.4万个"])
    assert "&lt;b&gt;" in html and "<b>" not in html
    assert html.count('<mark class="figure">4.4万个</mark>') == 2


def test_document_view_highlights_the_cited_clause(seed_index):
    import app

    views = app.Views(seed_index, app.source_documents(seed_index, SEEDS))
    clause = next(c for c in seed_index.corpus.clauses if c.text.startswith("新增停车位4.4万个"))
    page = views.document_html(clause.doc_id, clause.id)
    assert re.search(r'<mark class="cited" id="cited-clause">新增停车位4\.4万个。</mark>', page)
    assert "（五）通过高质量的城市规划建设和管理" in page  # headings are shown
    assert f"第{clause.line_start}行" in page  # the banner names the raw line
    assert page.count('class="cited"') == 1


# -- the page in a browser ------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser(server):
    """Headless Chromium with a fresh profile and a download folder; yields (driver, download_dir)."""
    if not CHROMEDRIVER.exists():
        pytest.skip(
            f"{CHROMEDRIVER} is missing and could not be installed; `make test` installs chromium, "
            "chromium-driver and fonts-noto-cjk with apt-get when run as root"
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    downloads = Path(tempfile.mkdtemp(prefix="qa-downloads-"))
    profile = tempfile.mkdtemp(prefix="qa-chrome-")
    options = webdriver.ChromeOptions()
    if CHROMIUM.exists():
        options.binary_location = str(CHROMIUM)
    for arg in (
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", f"--user-data-dir={profile}", "--window-size=1400,1000", "--lang=zh-CN",
    ):
        options.add_argument(arg)
    options.add_experimental_option(
        "prefs",
        {"download.default_directory": str(downloads), "download.prompt_for_download": False, "intl.accept_languages": "zh-CN,zh"},
    )
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(60)
    ARTIFACTS.mkdir(exist_ok=True)
    driver.get(server[0])
    wait(driver, lambda d: css(d, "#question textarea"), timeout=60, what="the page")
    yield driver, downloads
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)
    shutil.rmtree(downloads, ignore_errors=True)


def wait(driver, condition, timeout: float = 20, what: str = ""):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout, poll_frequency=0.1).until(lambda d: condition(d), message=what)


def shot(driver, name: str) -> None:
    driver.save_screenshot(str(ARTIFACTS / f"{name}.png"))


def css(driver, selector: str):
    from selenium.webdriver.common.by import By

    return driver.find_elements(By.CSS_SELECTOR, selector)


def text_of(driver, selector: str) -> str:
    found = css(driver, selector)
    return found[0].text if found else ""


def open_tab(driver, tab: str) -> None:
    css(driver, f"#tab-{tab}-button")[0].click()
    wait(driver, lambda d: css(d, f"#tab-{tab}-button")[0].get_attribute("aria-selected") == "true", what=f"tab {tab}")


def bot_messages(driver) -> list[str]:
    """The chat's answers, read in one go (the chat re-renders while a page loads)."""
    return driver.execute_script("return [...document.querySelectorAll('#chat .message-row.bot-row')].map(e => e.innerText.trim())")


def type_question(driver, text: str, submit: bool = True, box: str = "#question textarea") -> None:
    """Put text into a text box as a paste would (one input event), then press Enter."""
    from selenium.webdriver.common.keys import Keys

    box = css(driver, box)[0]
    driver.execute_script(
        "const t = arguments[0]; Object.getOwnPropertyDescriptor(HTMLTextAreaElement.prototype, 'value').set.call(t, arguments[1]);"
        "t.dispatchEvent(new Event('input', {bubbles: true}));",
        box,
        text,
    )
    if submit:
        box.send_keys(Keys.ENTER)


def ask(driver, question: str, timeout: float = 20) -> str:
    """Ask in the chat and return the new answer's text."""
    before = len(bot_messages(driver))
    type_question(driver, question)
    wait(driver, lambda d: len(bot_messages(d)) > before, timeout=timeout, what=f"answer to {question}")
    return bot_messages(driver)[-1]


def open_accordion(driver, box: str, inner: str):
    """Open an accordion (its header is a button) until `inner` inside it shows; return that element."""
    from selenium.common.exceptions import TimeoutException

    for _ in range(3):
        shown = [e for e in css(driver, inner) if e.is_displayed()]
        if shown:
            return shown[0]
        header = css(driver, f"{box} button.label-wrap, {box} .label-wrap, {box} button")[0]
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", header)
        header.click()
        try:
            return wait(driver, lambda d: next((e for e in css(d, inner) if e.is_displayed()), None), timeout=5, what=inner)
        except TimeoutException:
            continue
    raise AssertionError(f"{inner} did not show in {box}")


def test_page_loads_offline_in_chinese(browser, seed_index):
    driver, _ = browser
    header = text_of(driver, "#header")
    assert "政策条款问答" in header and "检索方式：关键词 + 语料向量" in header
    assert "TF-IDF" not in header and "BAAI" not in header  # model details are in 关于, not the header
    open_accordion(driver, "#about", "#about-body .about")
    wait(driver, lambda d: seed_index.embedder_description in text_of(d, "#about"), what="the 关于 panel")
    for doc in seed_index.corpus.docs:
        assert doc.title in text_of(driver, "#about")
    assert [t.text for t in css(driver, "[role=tab]")] == ["问答", "承诺清单", "核查", "原文", "文档"]
    outside = driver.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
        ".filter(n => !n.startsWith(location.origin) && !n.startsWith('data:') && !n.startsWith('blob:'))"
    )
    assert outside == [], f"the page fetched from the network: {outside}"
    shot(driver, "01_page")


def test_question_shows_both_figures_with_their_citations(browser):
    driver, _ = browser
    answer = ask(driver, PARKING)
    assert "4.4万个" in answer and "1.8万个" in answer
    assert "[1]" in answer and "[2]" in answer
    assert "⚠" in answer and "不一致" in answer
    assert "（2023年全会公报）" in answer and "第十三届委员会" not in answer  # short titles inline; the full ones on the cards
    wait(driver, lambda d: "1.8万个" in text_of(d, "#cards"), what="citation cards")
    cards = css(driver, "#cards .card")
    texts = [c.text for c in cards]
    report = next(t for t in texts if "4.4万个" in t)
    communique = next(t for t in texts if "1.8万个" in t)
    assert "2024年呼和浩特市人民政府工作报告" in report and "第91行" in report and "要畅通城市路网" in report
    assert "中国共产党呼和浩特市第十三届委员会第七次全体会议公报" in communique and "第238行" in communique
    figures = [m.text for m in css(driver, "#cards blockquote mark.figure")]
    assert "4.4万个" in figures and "1.8万个" in figures
    assert "⚠ 文件之间不一致" in text_of(driver, "#cards .conflict-banner")
    shot(driver, "02_answer_with_citations")


def test_citation_expands_to_its_paragraph_and_opens_the_source(browser):
    driver, _ = browser
    card = next(c for c in css(driver, "#cards .card") if "4.4万个" in c.text)
    card.find_element("css selector", "summary").click()
    para = card.find_element("css selector", ".para")
    wait(driver, lambda d: para.is_displayed(), what="expanded paragraph")
    assert para.text.startswith("要畅通城市路网")
    assert para.find_element("css selector", "mark.clause").text == "新增停车位4.4万个。"
    shot(driver, "03_citation_paragraph")

    card.find_element("css selector", "button.open-source").click()
    wait(driver, lambda d: css(d, "#tab-source-button")[0].get_attribute("aria-selected") == "true", what="原文 tab")
    wait(driver, lambda d: css(d, "#source-view mark.cited"), what="cited clause")
    cited = css(driver, "#source-view mark.cited")[0]
    assert cited.text == "新增停车位4.4万个。"
    assert "2024年呼和浩特市人民政府工作报告" in text_of(driver, "#source-view .doc-head")
    in_view = "const r = arguments[0].getBoundingClientRect(); return r.top >= 0 && r.bottom <= window.innerHeight;"
    wait(driver, lambda d: d.execute_script(in_view, cited), what="scrolled to the cited clause")
    shot(driver, "04_source_at_citation")


def test_short_follow_up_is_understood(browser):
    driver, _ = browser
    open_tab(driver, "ask")
    answer = ask(driver, "那2023年呢？")
    assert "按“2023年新增停车位”理解" in answer
    assert "6.9万个" in answer and "4.4万个" not in answer
    shot(driver, "05_follow_up")


def test_example_questions_can_be_clicked(browser):
    driver, _ = browser
    before = len(bot_messages(driver))
    buttons = [b for b in css(driver, "button") if b.text.strip() == "供热方面有什么新举措？"]
    assert buttons, "example question not on the page"
    buttons[0].click()
    wait(driver, lambda d: len(bot_messages(d)) > before, what="answer to the example")
    assert "供热" in bot_messages(driver)[-1]


ENGLISH_JS = r"""
const allowed = /^(CSV|Shift|TF-IDF|SVD|n-gram|jieba|API|MB|catalog|toml|qa)$/;
const bad = new Set();
// Paths and file extensions are names, not English words.
const bare = (v) => v.replace(/[\w.\-]*\/[\w.\-\/]*/g, '').replace(/\.[A-Za-z]{2,5}\b/g, '');
const english = (v) => (bare(v).match(/[A-Za-z][A-Za-z'-]{2,}/g) || []).filter((w) => !allowed.test(w));
for (const e of document.querySelectorAll('body *')) {
  if (e.closest('#source-view, .card, #verdict, .ctable, .doclist, #about-body')) continue;  // documents' own words
  for (const a of ['aria-label', 'title', 'alt', 'placeholder']) {
    const v = e.getAttribute(a);
    if (v && english(v).length) bad.add(`${e.tagName}@${a}=${v.slice(0, 60)}`);
  }
  if (e.offsetParent !== null && !['SCRIPT', 'STYLE'].includes(e.tagName.toUpperCase())) {
    for (const n of e.childNodes) if (n.nodeType === 3 && english(n.textContent).length) bad.add(`${e.tagName}: ${n.textContent.trim().slice(0, 60)}`);
  }
}
return [...bad];
"""


def test_no_english_on_the_page(browser):
    """Labels, buttons, aria labels, tooltips and the footer read in Chinese on every tab (the documents may quote Latin)."""
    driver, _ = browser
    found = {}
    for tab in ("ask", "commitments", "check", "source", "docs"):
        open_tab(driver, tab)
        time.sleep(0.3)
        found[tab] = driver.execute_script(ENGLISH_JS)
    open_tab(driver, "ask")
    assert not any(found.values()), found


def test_each_answer_keeps_its_citations(browser):
    """Clicking an older answer, or one of its [n], shows that answer's cards; [n] previews its source on hover."""
    driver, _ = browser
    open_tab(driver, "ask")
    ask(driver, PARKING)
    wait(driver, lambda d: "4.4万个" in text_of(d, "#cards"), what="cards of the parking answer")
    ask(driver, "供热方面有什么新举措？")
    wait(driver, lambda d: "供热" in text_of(d, "#cards") and "4.4万个" not in text_of(d, "#cards"), what="cards of the heating answer")
    rows = css(driver, "#chat .message-row.bot-row")
    parking = next(r for r in reversed(rows) if "4.4万个" in r.text)
    links = parking.find_elements("css selector", "a.cite-ref")
    assert [a.text for a in links][:2] == ["[1]", "[2]"]
    preview = links[1].get_attribute("title")
    assert "1.8万个" in preview and "第238行" in preview  # the hover text names the source and quotes it
    links[1].click()
    wait(driver, lambda d: "4.4万个" in text_of(d, "#cards") and "1.8万个" in text_of(d, "#cards"), what="the older answer's cards")
    wait(driver, lambda d: "flash" in (css(d, '#cards .card[data-n="2"]')[0].get_attribute("class") or ""), what="card [2] flashed")
    shot(driver, "10_older_answer_cards")
    heating = next(r for r in reversed(css(driver, "#chat .message-row.bot-row")) if "供热" in r.text)
    heating.click()
    wait(driver, lambda d: "4.4万个" not in text_of(d, "#cards") and "供热" in text_of(d, "#cards"), what="the newer answer's cards again")


def test_copy_gives_plain_text_with_the_quoted_sources(browser):
    driver, _ = browser
    open_tab(driver, "ask")
    parking = next(r for r in reversed(css(driver, "#chat .message-row.bot-row")) if "4.4万个" in r.text)
    parking.click()
    wait(driver, lambda d: "1.8万个" in text_of(d, "#cards"), what="the parking answer's cards")
    driver.execute_script(
        "window.__copied = null; Object.defineProperty(navigator, 'clipboard', {configurable: true, value:"
        " {writeText: (t) => { window.__copied = t; return Promise.resolve(); }}});"
    )
    css(driver, "#cards button.copy-answer")[0].click()
    copied = wait(driver, lambda d: d.execute_script("return window.__copied"), what="copied text")
    assert "\\[" not in copied and "[1]" in copied and "[2]" in copied
    assert "问：2024年新增停车位目标" in copied and "出处：" in copied
    assert "“新增停车位4.4万个。”" in copied and "第91行" in copied  # the quoted source, not just its number
    assert "<a" not in copied


def test_broad_answer_is_a_list_with_short_titles(browser):
    driver, _ = browser
    open_tab(driver, "ask")
    before = len(bot_messages(driver))
    ask(driver, "民生方面今年有哪些举措？")
    message = css(driver, "#chat .message-row.bot-row")[before]
    items = message.find_elements("css selector", "li")
    assert len(items) >= 3 and all(re.search(r"\[\d+\]$", i.text) for i in items)
    heads = [h.text for h in message.find_elements("css selector", "strong")]
    assert any(h.startswith("2024年政府工作报告") for h in heads)  # short title inline; the full one is on the card
    assert "2024年呼和浩特市人民政府工作报告" not in message.text
    assert "出处" not in message.text  # one 出处 block: the cards
    assert "2024年呼和浩特市人民政府工作报告" in text_of(driver, "#cards")
    shot(driver, "11_broad_answer")


def test_conversation_survives_a_reload_and_new_chat_clears_it(browser, server):
    driver, _ = browser
    open_tab(driver, "ask")
    count = len(bot_messages(driver))
    assert count >= 2
    driver.refresh()
    wait(driver, lambda d: len(bot_messages(d)) == count, timeout=60, what="the conversation after a reload")
    assert "出处" in text_of(driver, "#cards") and css(driver, "#cards .card")
    answer = ask(driver, "那2023年呢？")  # the follow-up still knows what came before
    assert re.search(r"按“[^”]*2023年", answer)
    shot(driver, "12_after_reload")

    css(driver, "#clear")[0].click()
    wait(driver, lambda d: not bot_messages(d), what="an empty chat")
    assert not css(driver, "#cards .card")  # the old cards go with the conversation
    type_question(driver, "那2023年呢？")
    wait(driver, lambda d: "追问上一个问题" in text_of(d, "#ask-status"), what="a question about what the follow-up refers to")
    assert not bot_messages(driver)
    driver.refresh()
    wait(driver, lambda d: css(d, "#question textarea"), timeout=60, what="the page")
    time.sleep(1)
    assert not bot_messages(driver)  # 新对话 is remembered across a reload too
    shot(driver, "13_new_chat")


def test_commitments_filter_and_csv_download(browser):
    driver, downloads = browser
    open_tab(driver, "commitments")
    wait(driver, lambda d: css(d, "#commitments-table") and css(d, "#download-csv"), what="commitments tab")
    total = int(re.search(r"共 (\d+) 项", text_of(driver, "#c-count")).group(1))
    assert total > 20
    keyword = css(driver, "#f-keyword textarea, #f-keyword input")[0]
    keyword.send_keys("停车位")
    wait(driver, lambda d: "共 2 项" in text_of(d, "#c-count"), what="filtered count")
    table = text_of(driver, "#commitments-table")
    assert "4.4万个" in table and "1.8万个" in table
    # The two documents disagree: both rows say so, naming the other document's figure.
    marked_rows = [r.text for r in css(driver, "#commitments-table tr.conflict")]
    assert len(marked_rows) == 2
    assert any("与2023年全会公报的1.8万个不一致" in r for r in marked_rows)
    assert any("与2024年政府工作报告的4.4万个不一致" in r for r in marked_rows)
    font = driver.execute_script("return getComputedStyle(arguments[0]).fontFamily", css(driver, "#commitments-table td")[0])
    assert "monospace" not in font
    shot(driver, "06_commitments")

    css(driver, "#download-csv")[0].click()
    deadline = time.monotonic() + 20
    files: list[str] = []
    while time.monotonic() < deadline:
        files = [f for f in glob.glob(str(downloads / "*.csv"))]
        if files:
            break
        time.sleep(0.1)
    assert files, "no CSV was downloaded"
    with open(files[0], encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 2
    assert {r["指标"] for r in rows} == {"新增停车位"}
    assert {r["目标值"] for r in rows} == {"4.4万个", "1.8万个"}
    report = next(r for r in rows if r["目标值"] == "4.4万个")
    assert report["年份"] == "2024" and report["起始行"] == "91" and report["来源文件"].endswith("hohhot_gov_work_report_2024.txt")

    keyword.send_keys("没有这种指标")  # nothing matches: said so
    wait(driver, lambda d: "共 0 项" in text_of(d, "#c-count"), what="empty result")
    assert "没有符合条件" in text_of(driver, "#c-count")
    assert not css(driver, "#commitments-table tr.crow")


def test_commitment_row_opens_the_source_at_its_clause(browser):
    driver, _ = browser
    open_tab(driver, "commitments")
    keyword = css(driver, "#f-keyword textarea, #f-keyword input")[0]
    keyword.clear()
    keyword.send_keys("充电桩")
    wait(driver, lambda d: any("1万个" in r.text for r in css(d, "#commitments-table tr.crow")), what="the 充电桩 row")
    row = next(r for r in css(driver, "#commitments-table tr.crow") if "1万个" in r.text)
    row.click()
    wait(driver, lambda d: css(d, "#tab-source-button")[0].get_attribute("aria-selected") == "true", what="原文 tab")
    wait(driver, lambda d: css(d, "#source-view mark.cited"), what="cited clause")
    assert "新建充电桩1万个" in css(driver, "#source-view mark.cited")[0].text
    shot(driver, "06b_commitment_row_opens_source")


def test_claim_check_shows_verdict_and_evidence(browser):
    driver, _ = browser
    open_tab(driver, "check")
    wait(driver, lambda d: css(d, "#claim textarea"), what="claim box")
    box = css(driver, "#claim textarea")[0]
    box.send_keys("2024年新增停车位4.4万个")
    css(driver, "#check-btn")[0].click()
    wait(driver, lambda d: css(d, "#verdict .verdict"), what="verdict")
    verdict = text_of(driver, "#verdict .verdict")
    assert verdict.startswith(("支持", "部分支持"))  # the report says 4.4万, the communique 1.8万
    evidence = text_of(driver, "#verdict")
    assert "4.4万个" in evidence and "第91行" in evidence
    shot(driver, "07_check")

    type_question(driver, "", submit=False, box="#claim textarea")
    css(driver, "#check-btn")[0].click()
    wait(driver, lambda d: "为空" in text_of(d, "#check-status"), what="message for an empty claim")


def test_several_claims_get_a_verdict_each_and_enter_submits(browser):
    from selenium.webdriver.common.keys import Keys

    driver, _ = browser
    open_tab(driver, "check")
    box = css(driver, "#claim textarea")[0]
    type_question(driver, "", submit=False, box="#claim textarea")
    box.send_keys("2024年新增停车位4.4万个")
    box.send_keys(Keys.SHIFT, Keys.ENTER)  # Shift+Enter: a new line, nothing checked yet
    box.send_keys("2023年完成老旧小区改造309个")
    box.send_keys(Keys.SHIFT, Keys.ENTER)
    box.send_keys("2024年新建火星基地3个")
    assert box.get_attribute("value").count("\n") == 2
    box.send_keys(Keys.ENTER)  # Enter: check
    wait(driver, lambda d: len(css(d, "#verdict .verdict")) == 3, what="three verdicts")
    verdicts = [v.text for v in css(driver, "#verdict .verdict")]
    assert "2024年新增停车位4.4万个" in verdicts[0] and "2023年完成老旧小区改造309个" in verdicts[1]
    assert verdicts[1].startswith("支持")
    assert verdicts[2].startswith("未找到")
    # 未找到 still shows the nearest passages, as 问答 does.
    last = css(driver, "#verdict .verdict-item")[2]
    assert "最接近的段落" in last.text and last.find_elements("css selector", ".card")
    shot(driver, "07b_several_claims")


def test_bad_input_gets_clear_messages_and_the_page_keeps_working(browser):
    driver, _ = browser
    open_tab(driver, "ask")
    answers = len(bot_messages(driver))

    type_question(driver, "")
    send = css(driver, "#send")[0]
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", send)  # longer answers above may push it off screen
    send.click()
    wait(driver, lambda d: "为空" in text_of(d, "#ask-status"), what="message for an empty question")

    type_question(driver, "停车位" * 3334)  # a 10,002-character paste
    wait(driver, lambda d: "太长（10002 个字符）" in text_of(d, "#ask-status"), what="message for a long question")
    shot(driver, "08_too_long")

    type_question(driver, "hello world")
    wait(driver, lambda d: "请用中文" in text_of(d, "#ask-status"), what="message for an English question")
    assert len(bot_messages(driver)) == answers  # none of these was answered

    # Rapid repeated submissions of one question: answered once.
    from selenium.webdriver.common.keys import Keys

    type_question(driver, "2024年新建充电桩目标", submit=False)
    box = css(driver, "#question textarea")[0]
    for _ in range(6):
        box.send_keys(Keys.ENTER)
    wait(driver, lambda d: len(bot_messages(d)) > answers, what="answer to the repeated question")
    time.sleep(0.5)
    assert len(bot_messages(driver)) == answers + 1
    assert "1万个" in bot_messages(driver)[-1]
    type_question(driver, "2024年新建充电桩目标")
    wait(driver, lambda d: "刚刚已经回答过" in text_of(d, "#ask-status"), what="message for a repeated question")
    assert len(bot_messages(driver)) == answers + 1
    shot(driver, "09_repeated")

    # The status clears and the next question is answered.
    answer = ask(driver, "2024年地区生产总值增长目标")
    assert "8％左右" in answer
    assert text_of(driver, "#ask-status") == ""


def test_phone_layout(browser):
    """At 390×844: a short header, the cards below the chat (and the page says so), commitments as cards."""
    driver, _ = browser
    driver.set_window_size(390, 844)
    try:
        open_tab(driver, "ask")
        css(driver, "#clear")[0].click()
        wait(driver, lambda d: not bot_messages(d), what="an empty chat")
        placeholder = text_of(driver, "#chat")
        assert "点击答案" in placeholder and "右侧" not in placeholder
        header = css(driver, "#header")[0]
        assert header.size["height"] < 0.12 * 844, header.size
        ask(driver, PARKING)
        chat, cards = css(driver, "#chat")[0], css(driver, "#cards")[0]
        assert cards.location["y"] >= chat.location["y"] + chat.size["height"] - 1  # below, not beside
        shot(driver, "14_phone_answer")

        open_tab(driver, "commitments")
        keyword = css(driver, "#f-keyword textarea, #f-keyword input")[0]
        keyword.clear()
        keyword.send_keys("停车位")
        wait(driver, lambda d: "共 2 项" in text_of(d, "#c-count"), what="filtered count")
        row = css(driver, "#commitments-table tr.crow")[0]
        cell = row.find_elements("css selector", "td")[1]
        assert driver.execute_script("return getComputedStyle(arguments[0]).display", cell) == "block"
        assert cell.size["width"] > 200  # a card across the screen, not a column 1–2 characters wide
        assert "指标：" in row.text or "指标" in driver.execute_script(
            "return getComputedStyle(arguments[0], '::before').content", cell
        )
        driver.execute_script("arguments[0].scrollIntoView()", row)
        shot(driver, "15_phone_commitments")
    finally:
        driver.set_window_size(1400, 1000)


# -- load, through gradio_client -------------------------------------------------------------

LOAD = [
    ("2024年新增停车位目标", "4.4万个"),
    ("2023年新增停车位多少", "6.9万个"),
    ("2024年新建充电桩目标", "1万个"),
    ("2024年地区生产总值增长目标", "8％左右"),
    ("2023年完成老旧小区改造多少个", "309个"),
]


def test_twenty_simultaneous_questions_are_all_answered_correctly(server):
    from gradio_client import Client

    url, proc = server
    jobs = [LOAD[i % len(LOAD)] for i in range(20)]
    start = threading.Barrier(len(jobs))

    def one(job):
        client = Client(url, verbose=False)
        start.wait(30)  # all 20 requests leave together
        t0 = time.perf_counter()
        result = client.predict(job[0], api_name="/ask")
        return result, time.perf_counter() - t0

    with ThreadPoolExecutor(len(jobs)) as pool:
        results = list(pool.map(one, jobs))
    for (question, figure), (result, _) in zip(jobs, results):
        assert result["question"] == question
        assert not result["abstained"]
        assert figure in result["answer"], (question, result["answer"])
        assert any(figure in c["quote"] for c in result["citations"])
    slowest = max(t for _, t in results)
    assert slowest < 30
    assert proc.poll() is None and get(url)  # still serving


def test_api_rejects_bad_input_with_the_chinese_message(server):
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    client = Client(server[0], verbose=False)
    for question, message in (("", "为空"), ("字" * 10_000, "太长（10000 个字符）"), ("hello", "请用中文")):
        with pytest.raises(AppError, match=message):
            client.predict(question, api_name="/ask")
    verdict = client.predict("2024年新增停车位4.4万个", api_name="/check")
    assert verdict["verdict"] in {"supported", "partly"} and verdict["evidence"]
    assert "4.4万个" in client.predict(PARKING, api_name="/ask")["answer"]  # still answering


def test_chat_session_is_paced(server):
    """One session asking faster than a person could is told to slow down; the server keeps serving."""
    from gradio_client import Client

    client = Client(server[0], verbose=False)
    statuses = [client.predict(q, [], {}, api_name="/chat")[3] for q, _ in LOAD + LOAD[:4]]
    assert all(s == "" for s in statuses[:8])
    assert "提问太频繁" in statuses[8]
    fresh = Client(server[0], verbose=False).predict(PARKING, [], {}, api_name="/chat")
    assert "4.4万个" in str(fresh[0]) and fresh[3] == ""


# -- adding a document in the page ----------------------------------------------------------

PARK_NOTICE = """关于加快建设口袋公园的通知
各旗县区人民政府：
一、工作目标
2024年新建口袋公园37个，改造街角绿地12处。
二、工作要求
各地要按期完成。
呼和浩特市园林局
2024年2月20日
"""


@pytest.fixture(scope="module")
def own_seeds_server(tmp_path_factory):
    """`python app.py` over a copy of the seeds (an upload writes into it), on a free port; yields (url, seeds, index)."""
    root = tmp_path_factory.mktemp("own")
    seeds, index = root / "seeds", root / "index"
    shutil.copytree(SEEDS, seeds)
    port = free_port()
    log = root / "app.log"
    cmd = [
        sys.executable, str(ROOT / "app.py"), "--index", str(index), "--seeds", str(seeds), "--embedder", "corpus", "--port", str(port),
        "--max-upload-mb", "1",  # so a test can go over it
    ]
    proc, url = start_app(cmd, port, log, 180)
    yield url, seeds, index
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


def test_a_document_added_in_the_page_is_answered_without_a_restart(browser, own_seeds_server, tmp_path):
    driver, _ = browser
    url, seeds, index = own_seeds_server
    user_files = {p.name: p.read_bytes() for p in seeds.iterdir()}
    driver.get(url)
    wait(driver, lambda d: css(d, "#question textarea"), timeout=60, what="the page")
    open_tab(driver, "docs")
    listing = text_of(driver, "#docs-list")
    assert "2024年呼和浩特市人民政府工作报告" in listing and "已收录" in listing

    # A file of a type that is not supported: a clear message, nothing written.
    bad = tmp_path / "表格.xlsx"
    bad.write_bytes(b"PK\x03\x04 not really")
    css(driver, "#upload input[type=file]")[0].send_keys(str(bad))
    wait(driver, lambda d: "不支持的文件类型 .xlsx" in text_of(d, "#docs-status"), timeout=60, what="the message for an unsupported file")
    assert not driver.execute_script(ENGLISH_JS)
    css(driver, "#d-add")[0].click()
    time.sleep(1)
    assert "不支持的文件类型" in text_of(driver, "#docs-status")
    assert sorted(p.name for p in seeds.iterdir()) == sorted(user_files)

    # A file over the size limit: refused with a Chinese message, nothing written.
    driver.get(url)
    wait(driver, lambda d: css(d, "#question textarea"), timeout=60, what="the page")
    open_tab(driver, "docs")
    assert "不超过 1 MB" in text_of(driver, "#tab-docs")
    big = tmp_path / "大文件.txt"
    big.write_text(PARK_NOTICE * 8000, encoding="utf-8")  # about 2 MB
    css(driver, "#upload input[type=file]")[0].send_keys(str(big))
    wait(driver, lambda d: "文件超过大小上限" in d.find_element("css selector", "body").text, timeout=30, what="the message for a large file")
    assert not driver.execute_script(ENGLISH_JS)
    assert sorted(p.name for p in seeds.iterdir()) == sorted(user_files)

    driver.get(url)
    wait(driver, lambda d: css(d, "#question textarea"), timeout=60, what="the page")
    open_tab(driver, "docs")
    upload = tmp_path / "口袋公园通知.txt"
    upload.write_text(PARK_NOTICE, encoding="utf-8")
    css(driver, "#upload input[type=file]")[0].send_keys(str(upload))
    title = lambda d: css(d, "#d-title textarea, #d-title input")[0].get_attribute("value")
    wait(driver, lambda d: title(d) == "关于加快建设口袋公园的通知", timeout=90, what="the title read from the file")
    assert css(driver, "#d-date textarea, #d-date input")[0].get_attribute("value") == "2024-02-20"
    assert css(driver, "#d-year input")[0].get_attribute("value") == "2024"
    shot(driver, "16_upload_form")

    t0 = time.monotonic()
    css(driver, "#d-add")[0].click()
    wait(driver, lambda d: "正在重建索引" in text_of(d, "#docs-status") or "索引已更新" in text_of(d, "#docs-status"), timeout=60, what="the rebuild notice")
    wait(driver, lambda d: "索引已更新" in text_of(d, "#docs-status"), timeout=180, what="the rebuilt index")
    open_tab(driver, "ask")
    answer = ask(driver, "2024年新建口袋公园多少个", timeout=60)
    seconds = time.monotonic() - t0
    print(f"\nupload to answered: {seconds:.1f} s")
    assert "37个" in answer
    assert "关于加快建设口袋公园的通知" in text_of(driver, "#cards")
    shot(driver, "17_uploaded_document_answered")

    # The user's files are untouched; the new one sits beside them with its catalog entry appended.
    for name, data in user_files.items():
        if name != "catalog.toml":
            assert (seeds / name).read_bytes() == data
    assert (seeds / "catalog.toml").read_bytes().startswith(user_files["catalog.toml"])
    assert (seeds / "口袋公园通知.txt").exists()

    # The command line answers from the same folder.
    out = subprocess.run(
        [sys.executable, "-m", "qa", "ask", "2024年新建口袋公园多少个", "--index", str(index), "--seeds", str(seeds), "--json"],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )
    assert out.returncode == 0, out.stderr
    assert "37个" in out.stdout

    # A .docx is titled by its heading, not its file name.
    import docx

    from tests.test_text import CJK_FONT, scanned_pdf

    open_tab(driver, "docs")
    d = docx.Document()
    d.add_heading("关于推进社区食堂建设的实施意见", level=1)
    d.add_paragraph("2024年新建社区食堂15个。")
    d.save(tmp_path / "draft-v3.docx")
    css(driver, "#upload input[type=file]")[0].send_keys(str(tmp_path / "draft-v3.docx"))
    wait(driver, lambda d: title(d) == "关于推进社区食堂建设的实施意见", timeout=90, what="the .docx heading as its title")

    # A scanned PDF (no text layer) is read with OCR and its citations say so.
    if Path(CJK_FONT).exists() and not __import__("qa.ocr", fromlist=["missing"]).missing():
        driver.get(url)
        wait(driver, lambda d: css(d, "#question textarea"), timeout=60, what="the page")
        open_tab(driver, "docs")
        scan = tmp_path / "扫描件.pdf"
        scanned_pdf(scan, ["关于建设城市书房的通知", "一、工作目标", "今年新建城市书房26个。", "呼和浩特市文化旅游局", "2024年3月25日"])
        css(driver, "#upload input[type=file]")[0].send_keys(str(scan))
        wait(driver, lambda d: title(d) == "关于建设城市书房的通知", timeout=120, what="the title read from the scan")
        assert css(driver, "#d-year input")[0].get_attribute("value") == "2024"  # from the date the OCR read
        css(driver, "#d-add")[0].click()
        wait(driver, lambda d: "索引已更新" in text_of(d, "#docs-status"), timeout=180, what="the index with the scan")
        assert "含扫描页" in text_of(driver, "#docs-list")
        open_tab(driver, "ask")
        answer = ask(driver, "2024年新建城市书房多少个", timeout=60)
        assert "26个" in answer
        wait(driver, lambda d: "识别自扫描件" in text_of(d, "#cards"), timeout=60, what="the scan mark on the card")
        assert text_of(driver, "#cards").startswith("出处")  # answered, not the nearest passages
        shot(driver, "18_scanned_pdf_answer")

    # Removing it: only files added here can be removed.
    open_tab(driver, "docs")
    box = open_accordion(driver, "#d-remove-box", "#d-remove-name input")
    box.click()
    wait(driver, lambda d: [o for o in css(d, "ul[role=listbox] li") if "口袋公园通知.txt" in o.text], timeout=30, what="the added file offered for removal")
    options = [o.text for o in css(driver, "ul[role=listbox] li")]
    assert not any("hohhot" in o for o in options)  # the user's own files are not offered
    next(o for o in css(driver, "ul[role=listbox] li") if "口袋公园通知.txt" in o.text).click()
    css(driver, "#d-remove")[0].click()
    wait(driver, lambda d: "索引已更新" in text_of(d, "#docs-status"), timeout=180, what="the index without the document")
    assert not (seeds / "口袋公园通知.txt").exists()
    assert "口袋公园通知.txt" not in (seeds / "catalog.toml").read_text(encoding="utf-8")
    assert (seeds / "catalog.toml").read_bytes().startswith(user_files["catalog.toml"])
