"""Facts of the seeds: values, units, qualifiers, indicators, years and kinds."""

from __future__ import annotations

import re

import pytest

from qa.facts import classify, to_base

from .conftest import COMMUNIQUE, REPORT

# (doc, indicator, value, qualifier, year, kind) picked across both documents.
EXPECTED = [
    (REPORT, "新增停车位", "4.4万个", "", 2024, "target"),
    (REPORT, "停车位", "6.9万个", "", 2023, "result"),
    (REPORT, "改扩建停车场", "108处", "", 2024, "target"),
    (REPORT, "地区生产总值增长", "8％", "左右", 2024, "target"),
    (REPORT, "规模以上工业增加值增长", "16％", "左右", 2024, "target"),
    (REPORT, "固定资产投资增长", "18％", "以上", 2024, "target"),
    (REPORT, "社会消费品零售总额增长", "10％", "", 2024, "target"),
    (REPORT, "全体居民人均可支配收入增长", "6.5％", "左右", 2024, "target"),
    (REPORT, "地区生产总值完成", "3802亿元", "", 2023, "result"),
    (REPORT, "地区生产总值增长", "10％", "", 2023, "result"),
    (REPORT, "规模以上工业增加值增长", "23.6％", "", 2023, "result"),
    (REPORT, "新增供热能力", "3300万平方米", "", 2024, "target"),
    (REPORT, "老旧小区改造", "229个", "", 2024, "target"),
    (REPORT, "老旧小区改造", "309个", "", 2023, "result"),
    (REPORT, "新建充电桩", "1万个", "", 2024, "target"),
    (REPORT, "新增绿色工厂", "10家", "左右", 2024, "target"),
    (REPORT, "重点项目", "1100个", "以上", 2024, "target"),
    (REPORT, "新增城镇就业", "6.1万人", "", 2023, "result"),
    (REPORT, "新增城镇就业", "6万人", "以上", 2024, "target"),
    (REPORT, "乳业全产业链营业收入", "2560亿元", "超过", 2023, "result"),
    (REPORT, "开行中欧班列", "50列", "", 2023, "result"),
    (REPORT, "老旧供热二次管网", "4554公里", "", 2024, "target"),
    (REPORT, "绿色农畜产品加工产业集群完成产值", "600亿元", "", 2024, "target"),
    (COMMUNIQUE, "新增停车位", "1.8万个", "", 2024, "target"),
    (COMMUNIQUE, "新增创新平台", "20个", "", 2024, "target"),
    (COMMUNIQUE, "国家高新技术企业", "550家", "突破", 2024, "target"),
    (COMMUNIQUE, "重点项目", "1100个", "以上", 2024, "target"),
    (COMMUNIQUE, "新增奶牛", "6万头", "", 2024, "target"),
    (COMMUNIQUE, "新增露地蔬菜种植", "5000亩", "", 2024, "target"),
    (COMMUNIQUE, "燃煤散烧综合治理", "5.56万户", "", 2024, "target"),
    (COMMUNIQUE, "充电桩", "10000个", "", 2024, "target"),
    (COMMUNIQUE, "新增绿色工厂", "10家", "左右", 2024, "target"),
    (COMMUNIQUE, "新增城镇就业", "6万人", "以上", 2024, "target"),
    (COMMUNIQUE, "农村劳动力转移就业", "33万人", "达到", 2024, "target"),
    (COMMUNIQUE, "综保区进出口总额", "100亿元", "争取达到", 2024, "target"),
    (COMMUNIQUE, "打通断头路", "32条", "", 2023, "result"),
    (COMMUNIQUE, "新增城镇就业", "5.63万人", "", 2023, "result"),
    (COMMUNIQUE, "老旧小区改造", "229个", "", 2024, "target"),
    # "分别" lists hand their subjects to the values in order
    (REPORT, "国家高新技术企业增长", "15％", "", 2023, "result"),
    (REPORT, "科技型中小企业增长", "57％", "", 2023, "result"),
    (REPORT, "接待国内游客增长", "261.6％", "", 2023, "result"),
    (REPORT, "国内旅游收入增长", "390.6％", "", 2023, "result"),
    (REPORT, "公园游园总数", "912个", "达到", 2023, "result"),
    (REPORT, "城市绿道和健身步道总数", "638公里", "", 2023, "result"),
    (REPORT, "营业总收入", "62.4亿元", "达到", 2023, "result"),
    (REPORT, "资产总额", "2166.8亿元", "", 2023, "result"),
    (COMMUNIQUE, "接待国内游客人数增长", "256%", "", 2023, "result"),
    (COMMUNIQUE, "国内旅游收入增长", "387%", "", 2023, "result"),
    # a bare verb or measure word takes its object or subject from the figure before it
    (REPORT, "提升改造高标准农田", "13万亩", "", 2024, "target"),
    (REPORT, "改造提升设施农业", "5000亩", "", 2024, "target"),
    (COMMUNIQUE, "续建中小学、幼儿园", "47所", "", 2024, "target"),
    (REPORT, "重点项目投资", "1355亿元", "", 2023, "result"),
    (COMMUNIQUE, "新引进亿元以上项目投资", "700亿元", "以上", 2024, "target"),
    (REPORT, "规上工业企业总数", "322户", "达到", 2023, "result"),
    (REPORT, "“保交楼”任务", "29880套", "", 2023, "result"),
]


@pytest.mark.parametrize("doc, indicator, value, qualifier, year, kind", EXPECTED)
def test_fact(corpus, doc, indicator, value, qualifier, year, kind):
    facts = [f for f, c in corpus.facts(doc=doc) if f.value == value and f.indicator == indicator]
    assert facts, f"{indicator}={value} not found in {doc}: " + str(
        [(f.indicator, f.value) for f, _ in corpus.facts(doc=doc) if f.value == value]
    )
    f = facts[0]
    assert (f.qualifier, f.year, f.kind, f.type) == (qualifier, year, kind, "quantity")


def test_fact_spans_and_clause_ids(corpus, documents):
    for f, c in corpus.facts():
        assert f.clause_id == c.id
        assert c.start <= f.start < f.end <= c.end
        written = documents[c.doc_id].text[f.start : f.end]
        assert f.value in written and " " not in f.value


def test_ranks_are_their_own_type(corpus):
    ranks = {(f.indicator, f.value) for f, _ in corpus.facts() if f.type == "rank"}
    assert ("规模以上工业增加值全区排名", "第1") in ranks
    assert ("创新能力指数全国排名", "第30位") in ranks
    assert [f.value for f, _ in corpus.facts(doc=COMMUNIQUE) if f.type == "rank"] == ["第30位"]


def test_base_units():
    assert to_base(4.4, "万个") == (44000.0, "个")
    assert to_base(10000, "个") == (10000, "个")
    assert to_base(8, "％") == (8, "%")
    assert to_base(1500, "亿元") == (1500e8, "元")


def test_dates_codes_and_ordinals_are_not_quantities():
    labels = {(text[a:b], label) for text in ["于2023年12月28日召开，S43机场高速，第四次，第4次会议，居全区第1，成立75周年，5G基站"] for a, b, label in classify(text)}
    assert ("2023", "date") in labels and ("12", "date") in labels and ("28", "date") in labels
    assert ("43", "code") in labels and ("5", "code") in labels
    assert ("4", "ordinal") in labels and ("1", "rank") in labels and ("75", "date") in labels


def test_every_number_with_a_unit_is_accounted_for(corpus, documents):
    """Each Arabic number followed by a unit-like character in the raw text is a fact or classed otherwise."""
    for doc_id, doc in documents.items():
        raw = re.sub(r"\s+", "", doc.raw)
        raw_numbers = re.findall(r"\d+(?:\.\d+)?(?=[\u4e00-\u9fff％%A-Za-z])", raw)
        labels = classify(doc.text)
        numbers = [(doc.text[a:b], label) for a, b, label in labels if re.match(r"[\u4e00-\u9fff％%A-Za-z]", doc.text[b : b + 1])]
        assert sorted(n for n, _ in numbers) == sorted(raw_numbers)
        counted = {}
        for _, label in numbers:
            counted[label] = counted.get(label, 0) + 1
        # Everything that is a quantity or a rank was extracted as a fact of some clause.
        fact_numbers = set()
        for f, _ in corpus.facts(doc=doc_id):
            m = re.search(r"\d", doc.text[f.start : f.end])
            if m:  # a figure in Chinese numerals (十万) has no Arabic digit to account for
                fact_numbers.add(f.start + m.start())
        title = doc.title_span or (-1, -1)
        for a, b, label in labels:
            if label in ("quantity", "rank") and not title[0] <= a < title[1]:
                assert a in fact_numbers, (doc_id, doc.text[max(0, a - 10) : b + 4], label)
        assert set(counted) <= {"quantity", "rank", "date", "ordinal", "code", "bare"}
        assert counted["quantity"] > 50
