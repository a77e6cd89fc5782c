"""Auditor tools: claim check, cross-document conflicts, commitments by area."""

from __future__ import annotations

import csv
import io
import json
import math
import re

import pytest

from qa.audit import (
    AGREEMENT,
    CONTRADICTION,
    MEASURE,
    Auditor,
    agrees,
    area_of,
    commitments,
    conflicts,
    similarity,
    value_range,
)
from qa.cli import main
from qa.errors import InputError
from qa.facts import Fact

from .conftest import COMMUNIQUE, REPORT, find_clause


@pytest.fixture(scope="module")
def auditor(seed_index):
    return Auditor(seed_index)


@pytest.fixture(scope="module")
def entries(seed_index):
    return conflicts(seed_index.corpus)


def _fact(value: float, unit: str, qualifier: str = "") -> Fact:
    return Fact("指标", f"{value:g}{unit}", value, unit, qualifier, 2024, "target", "quantity", "", 0, 0)


# -- values and indicators -------------------------------------------------------------------


def test_units_normalize_and_qualifiers_read_as_ranges():
    assert value_range(4.4, "万个", "") == (44000.0, 44000.0, 44000.0)
    assert value_range(6, "万人", "以上")[:2] == (60000.0, math.inf)
    lo, hi, _ = value_range(10, "家", "左右")
    assert lo < 10 < hi and hi < 11
    assert agrees(_fact(10000, "个"), _fact(1, "万个"))
    assert agrees(_fact(6, "万人"), _fact(6, "万人", "以上"))  # the target named by its floor
    assert agrees(_fact(5, "万人", "超过"), _fact(6, "万人", "以上"))  # implied by the document
    assert not agrees(_fact(5, "万人"), _fact(6, "万人", "以上"))
    assert not agrees(_fact(7, "万人"), _fact(6, "万人", "以上"))
    assert not agrees(_fact(4, "万个", "约"), _fact(4.4, "万个"))


def test_indicator_similarity():
    assert similarity("新建充电桩", "充电桩") == 1.0
    assert similarity("2024年新增停车位目标", "新增停车位") == 1.0
    assert similarity("停车位", "新增停车位") == 1.0
    assert similarity("新增车位", "新增停车位") == 0.9
    assert similarity("城市绿道和健身步道", "城市绿道") == 0.7  # a part of a wider measure
    assert similarity("新增停车位", "农村劳动力转移就业") == 0.0


# -- claim check -------------------------------------------------------------------------------


def test_parking_claim_is_partly_supported_across_documents(auditor):
    v = auditor.check("2024年新增停车位4.4万个")
    assert (v.verdict, v.label) == ("partly", "部分支持")
    by_doc = {c.doc_id: c for c in v.evidence}
    assert "4.4万个" in by_doc[REPORT].quote and "1.8万个" in by_doc[COMMUNIQUE].quote
    assert "1.8万个" in v.reason and "不一致" in v.reason


def test_charging_piles_1wan_and_10000_both_support(auditor):
    for claim in ("2024年新建充电桩1万个", "2024年新建充电桩10000个"):
        v = auditor.check(claim)
        assert v.verdict == "supported", (claim, v.reason)
        assert {c.doc_id for c in v.evidence} == {REPORT, COMMUNIQUE}


def test_2023_result_given_as_2024_target_is_a_contradiction(auditor):
    v = auditor.check("2024年新增停车位目标6.9万个")
    assert (v.verdict, v.label) == ("contradicted", "矛盾")
    assert "6.9万个是2023年的完成情况" in v.reason
    cited = {c.n: c for c in v.evidence}
    n = int(v.reason.split("6.9万个是2023年的完成情况[")[1].split("]")[0])
    assert "6.9万个" in cited[n].quote and cited[n].line_start == 17


def test_absent_claims_are_not_found(auditor):
    for claim in ("2024年开通地铁3号线", "2024年新建地铁10公里", "2024年全市常住人口达到400万人"):
        v = auditor.check(claim)
        assert (v.verdict, v.label) == ("not_found", "未找到"), (claim, v.reason)
        assert not v.evidence


CLAIMS = [
    # (claim, verdict) — true, false and absent claims about the seeds
    ("2024年地区生产总值增长8%左右", "supported"),
    ("2024年地区生产总值预期增长8％", "supported"),
    ("2024年地区生产总值增长10%", "contradicted"),  # 10% was 2023's growth
    ("2024年老旧小区改造229个", "supported"),
    ("2024年老旧小区改造300个", "contradicted"),
    ("2024年新增奶牛6万头", "supported"),
    ("2024年新增奶牛60000头", "supported"),
    ("2024年新增奶牛5万头", "contradicted"),
    ("2024年新增绿色工厂10家左右", "supported"),
    ("2024年城市绿道200公里", "supported"),
    ("2023年城市绿道和健身步道235公里", "supported"),
    ("2023年新增城镇就业6.1万人", "partly"),  # the communique says 5.63万人
    ("2023年新增城镇就业5.63万人", "partly"),
    ("2023年农村劳动力转移就业37.6万人", "supported"),
    ("2024年农村劳动力转移就业37.6万人", "contradicted"),
    ("2024年新增城镇就业6万人以上", "supported"),
    ("2024年新增城镇就业超过5万人", "supported"),
    ("2024年新增城镇就业5万人", "contradicted"),
    ("2023年创新能力指数全国排名第30位", "supported"),
    ("2023年创新能力指数全国排名第20位", "contradicted"),
    ("2030年新增停车位10万个", "not_found"),
    ("2024年新建充电桩2万个", "contradicted"),
    ("2023年新增停车位4.4万个", "contradicted"),
    ("今年新增车位4.4万个", "partly"),
    ("2024年社零增长10%", "supported"),
    ("2024年改扩建停车场108处", "supported"),
    ("2024年要实施城市更新", "supported"),
    ("2024年改扩建停车场108处、新增停车位4.4万个", "partly"),
]


@pytest.mark.parametrize("claim,verdict", CLAIMS)
def test_claims(auditor, claim, verdict):
    v = auditor.check(claim)
    assert v.verdict == verdict, v.reason
    for c in v.evidence:  # every [n] in the reason names a citation, and every citation is used
        assert f"[{c.n}]" in v.reason


def test_supporting_evidence_quotes_the_figure(auditor):
    v = auditor.check("2024年新增奶牛60000头")
    assert all("6万头" in c.quote for c in v.evidence)


def test_bad_claims_are_refused(auditor):
    for claim, words in (("", "说法为空"), ("x" * 2000, "太长"), ("parking spaces", "中文")):
        with pytest.raises(InputError, match=words):
            auditor.check(claim)


# -- conflicts ---------------------------------------------------------------------------------


def _entry(entries, indicator, year):
    found = [e for e in entries if e.year == year and indicator == re.sub(r"^(?:新增|新建)", "", e.indicator)]
    assert len(found) == 1, [e.indicator for e in found]
    return found[0]


def test_parking_target_is_a_contradiction(entries):
    e = _entry(entries, "停车位", 2024)
    assert e.group == CONTRADICTION and e.label == "矛盾"
    assert {(f.citation.doc_id, f.fact.value) for f in e.figures} == {(REPORT, "4.4万个"), (COMMUNIQUE, "1.8万个")}


def test_charging_piles_agree(entries):
    e = _entry(entries, "充电桩", 2024)
    assert e.group == AGREEMENT
    assert {f.fact.value for f in e.figures} == {"1万个", "10000个"}


def test_differences_of_measure_are_explained(entries):
    schools = _entry(entries, "中小学、幼儿园", 2024)  # 新建14所 + 续建47所 = 新建续建61所
    assert schools.group == MEASURE and "合计61所" in schools.reason
    farmland = _entry(entries, "高标准农田", 2024)  # 新建14.5万 + 提升改造13万 = 27.5万, against 27万
    assert farmland.group == CONTRADICTION and "合计27.5万亩" in farmland.reason and "27万亩" in farmland.reason
    greenway = _entry(entries, "城市绿道和健身步道", 2023)
    assert greenway.group == MEASURE
    farming = _entry(entries, "设施农业", 2024)  # 新增1万亩 + 改造提升5000亩 = 新建、改造提升1.5万亩
    assert farming.group == MEASURE and "合计1.5万亩" in farming.reason


def test_respectively_lists_become_contradictions(entries):
    visitors = _entry(entries, "接待国内游客增长", 2023)
    assert visitors.group == CONTRADICTION
    assert {f.fact.value for f in visitors.figures} == {"261.6％", "256%"}


def test_a_document_figure_that_agrees_speaks_for_it(entries):
    e = _entry(entries, "重点项目", 2024)  # not the report's 农业重点项目17个
    assert e.group == AGREEMENT and {f.fact.value for f in e.figures} == {"1100个"}


def test_conflict_figures_are_cited_exactly(entries, documents):
    for e in entries:
        assert len({f.citation.doc_id for f in e.figures}) >= 2
        for f in e.figures:
            doc = documents[f.citation.doc_id]
            assert doc.text[f.citation.char_start : f.citation.char_end] == f.citation.quote
            assert f.fact.value in f.citation.quote


# -- commitments -------------------------------------------------------------------------------


def test_commitments_by_area(seed_index):
    items = commitments(seed_index.corpus, year=2024)
    assert items and all(m.year == 2024 and m.kind == "target" for m in items)
    area = {(m.doc_id, m.indicator, m.value): m.area for m in items}
    assert area[(REPORT, "新增停车位", "4.4万个")] == "城市建设"
    assert area[(REPORT, "地区生产总值增长", "8％左右")] == "总体目标"
    assert area[(COMMUNIQUE, "新增城镇就业", "6万人以上")] == "民生保障"
    assert area[(REPORT, "新增供热能力", "3300万平方米")] == "民生保障"  # placed by its words, not its review heading
    assert not any("重点工作" in m.quote and m.value in ("8个", "9项") for m in items)  # the documents' own parts
    assert [m.area for m in items] == sorted((m.area for m in items), key=[m.area for m in items].index)  # grouped


def test_area_of_reads_enumerated_headings(corpus):
    assert area_of(find_clause(corpus, COMMUNIQUE, "新建充电站")) == "生态环保"
    assert area_of(find_clause(corpus, REPORT, "新建高标准农田14.5万亩")) == "现代农业"


# -- CLI ---------------------------------------------------------------------------------------


def _run(capsys, argv):
    rc = main(argv)
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_cli_check_json_contract(seed_index, capsys):
    rc, out, _ = _run(capsys, ["check", "2024年新增停车位6.9万个", "--json", "--index", str(seed_index.folder)])
    assert rc == 0
    obj = json.loads(out)
    assert list(obj) == ["claim", "verdict", "label", "reason", "evidence"]
    assert (obj["verdict"], obj["label"]) == ("contradicted", "矛盾")
    assert obj["evidence"][0]["source"] == "seeds/hohhot_gov_work_report_2024.txt"


def test_cli_check_batch_and_bad_input(seed_index, tmp_path, capsys):
    batch = tmp_path / "claims.txt"
    batch.write_text('2024年新增奶牛6万头\n\n{"claim": "2024年开通地铁3号线"}\n   \nparking\n', encoding="utf-8")
    rc, out, _ = _run(capsys, ["check", "--json", "--batch", str(batch), "--index", str(seed_index.folder)])
    lines = [json.loads(x) for x in out.splitlines()]
    assert rc == 0 and [x.get("verdict") for x in lines] == ["supported", "not_found", None]
    assert "中文" in lines[2]["error"]
    rc, _, err = _run(capsys, ["check", "", "--index", str(seed_index.folder)])
    assert rc == 2 and "说法为空" in err


def test_cli_conflicts_formats(seed_index, capsys):
    idx = ["--index", str(seed_index.folder)]
    rc, out, _ = _run(capsys, ["conflicts", "--format", "json", *idx])
    data = json.loads(out)
    assert rc == 0 and {e["group"] for e in data} == {"contradiction", "measure", "agreement"}
    assert all(set(e) == {"indicator", "year", "group", "label", "reason", "figures"} for e in data)
    assert all(f["citation"]["quote"] for e in data for f in e["figures"])
    rc, out, _ = _run(capsys, ["conflicts", "--format", "csv", *idx])
    rows = list(csv.DictReader(io.StringIO(out)))
    assert {r["value"] for r in rows if r["group"] == "矛盾" and r["indicator"] == "新增停车位"} == {"4.4万个", "1.8万个"}
    rc, out, _ = _run(capsys, ["conflicts", "--format", "markdown", *idx])
    assert out.startswith("# 文件间数字对照") and "| 矛盾 | 新增停车位 | 2024 |" in out
    rc, out, err = _run(capsys, ["conflicts", *idx])
    assert "【矛盾】" in out and "【一致】" in out and "矛盾 6 项" in err


def test_cli_facts_grouped_by_area(seed_index, capsys):
    rc, out, _ = _run(capsys, ["facts", "--year", "2024", "--kind", "target", "--format", "csv", "--index", str(seed_index.folder)])
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rc == 0 and rows[0]["area"] == "总体目标"
    areas = [r["area"] for r in rows]
    assert len(set(areas)) >= 8
    assert all(areas.index(a) == i or areas[i - 1] == a for i, a in enumerate(areas))  # each area in one block


def test_area_is_the_one_a_heading_speaks_of_most():
    from qa.audit import _match_area

    assert _match_area("（三）围绕打造现代消费中心、休闲度假中心，让现代服务业这个朝阳产业“引得来人、留得住财”") == "消费与服务业"
    assert _match_area("（二）咬紧牙关、持之以恒做大做强工业支柱") == "工业与科技"
    assert _match_area("（七）一点一滴办好民生实事，让最具幸福感城市有名有实") == "民生保障"  # 民生, 幸福 over 城市
    assert _match_area("各位代表") is None
