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


@pytest.fixture(scope="module")
def server(seed_index, tmp_path_factory):
    """`python app.py` on a free port over the test index; yields (url, process); stopped at the end."""
    port = free_port()
    log = tmp_path_factory.mktemp("app") / "app.log"
    # The address through Gradio's own variables, as a deployment would set it.
    env = {**os.environ, "GRADIO_SERVER_NAME": "127.0.0.1", "GRADIO_SERVER_PORT": str(port)}
    cmd = [sys.executable, str(ROOT / "app.py"), "--index", str(seed_index.folder), "--seeds", str(SEEDS)]
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 120
    while True:
        if proc.poll() is not None:
            pytest.fail(f"app.py exited with {proc.returncode}:\n{log.read_text()}")
        try:
            get(url + "config")
            break
        except OSError:
            if time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"app.py did not answer on {url} within 120 s:\n{log.read_text()}")
            time.sleep(0.2)
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
    return [e.text for e in css(driver, "#chat .message-row.bot-row")]


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


def ask(driver, question: str) -> str:
    """Ask in the chat and return the new answer's text."""
    before = len(bot_messages(driver))
    type_question(driver, question)
    wait(driver, lambda d: len(bot_messages(d)) > before, what=f"answer to {question}")
    return bot_messages(driver)[-1]


def test_page_loads_offline_in_chinese(browser, seed_index):
    driver, _ = browser
    header = text_of(driver, "#header")
    assert "政策条款问答" in header
    for doc in seed_index.corpus.docs:
        assert doc.title in header
    assert seed_index.embedder_description in header
    assert [t.text for t in css(driver, "[role=tab]")] == ["问答", "承诺清单", "核查", "原文"]
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

    keyword.send_keys("没有这种指标")  # nothing matches: said so, and the columns stay
    wait(driver, lambda d: "共 0 项" in text_of(d, "#c-count"), what="empty result")
    assert "没有符合条件" in text_of(driver, "#c-count")
    assert "指标" in text_of(driver, "#commitments-table")


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
    statuses = [client.predict(q, [], api_name="/chat")[3] for q, _ in LOAD + LOAD[:4]]
    assert all(s == "" for s in statuses[:8])
    assert "提问太频繁" in statuses[8]
    fresh = Client(server[0], verbose=False).predict(PARKING, [], api_name="/chat")
    assert "4.4万个" in str(fresh[0]) and fresh[3] == ""
