"""Every claim example of issue #12, with its right verdict and the sentence it rests on."""

from __future__ import annotations

import pytest

from qa.audit import Auditor

from .conftest import COMMUNIQUE, REPORT


@pytest.fixture(scope="module")
def auditor(seed_index):
    return Auditor(seed_index)


CLAIMS = [
    # (claim, verdict, what the evidence must quote)
    ("2024年新建中小学、幼儿园61所", "scope", "61所"),  # 61 is 新建14 + 续建47: part and whole
    ("2024年计划不新建充电桩1万个", "contradicted", "充电桩1万个"),  # negation
    ("2024年新增停车位-4.4万个", "contradicted", "4.4万个"),  # sign
    ("2024年拆除充电桩1万个", "contradicted", "充电桩1万个"),  # opposite action
    ("2024年减少充电桩1万个", "contradicted", "充电桩1万个"),
    ("2024年新建充电桩一万个", "supported", "1万个"),  # Chinese numerals
    ("2024年地区生产总值增长百分之八", "supported", "8％左右"),
    ("2024年新增停车位四万四千个", "partly", "4.4万个"),  # the report 4.4万, the communique 1.8万
    ("2024年新增停车位44000个", "partly", "4.4万个"),  # unit conversion
    ("2024年新建充电桩10000个", "supported", "1万个"),
    ("2024年新增停车位超过5万个", "contradicted", "4.4万个"),  # bounds
    ("2024年新增停车位不足4万个", "partly", "1.8万个"),  # under 4万: the communique's 1.8万, not the report's 4.4万
    ("2024年新增城镇就业至少6万人", "supported", "6万人以上"),
    ("2024年完成新增停车位4.4万个", "scope", "4.4万个"),  # a target stated as a result
    ("2023年新增停车位4.4万个", "contradicted", "4.4万个"),  # another year's figure
    ("全国2024年新增停车位4.4万个", "not_found", None),  # no national document among the seeds
]


@pytest.mark.parametrize("claim,verdict,quoted", CLAIMS)
def test_issue_claims(auditor, claim, verdict, quoted):
    v = auditor.check(claim)
    assert v.verdict == verdict, (claim, v.verdict, v.reason)
    for c in v.evidence:  # every verdict cites the sentence it rests on, and says [n] for each
        assert f"[{c.n}]" in v.reason
    if quoted:
        assert any(quoted in c.quote for c in v.evidence), [c.quote for c in v.evidence]


def test_a_contradicted_claim_is_never_supported(auditor):
    for claim in ("2024年计划不新建充电桩1万个", "2024年新增停车位-4.4万个", "2024年拆除充电桩1万个"):
        v = auditor.check(claim)
        assert v.verdict == "contradicted" and v.label == "矛盾" and "支持" not in v.label


def test_part_and_whole_names_both_scopes(auditor):
    v = auditor.check("2024年新建中小学、幼儿园61所")
    assert v.label == "口径不同"
    assert "新建续建" in v.reason and "14所" in v.reason
    assert {c.doc_id for c in v.evidence} == {REPORT, COMMUNIQUE}


def test_claims_on_a_state_council_report(state_council_index):
    auditor = Auditor(state_council_index)
    assert auditor.check("2019年中央预算内投资安排5776亿元").verdict == "supported"
    v = auditor.check("2019年中央预算内投资安排400亿元")  # 400亿 is the increase over 2018, not the amount
    assert v.verdict == "scope" and "比去年增加400亿元" in v.reason, v.reason
    assert auditor.check("2019年国内生产总值增长6%－6.5%").verdict == "supported"
    assert auditor.check("2019年国内生产总值下降6%").verdict == "contradicted"
    assert auditor.check("北京市2019年城镇新增就业1100万人").verdict == "not_found"


def test_a_district_claim_is_not_checked_against_the_city(auditor):
    v = auditor.check("赛罕区2024年新增停车位4.4万个")
    assert v.verdict == "not_found" and "赛罕区" in v.reason
