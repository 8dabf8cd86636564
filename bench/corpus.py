"""Generated corpus of Chinese regional health-news articles with known repost families.

`generate(n, seed)` returns `n` articles (deterministic for a seed). Texts are assembled from
a vocabulary of real health-news phrasing — policy openers, actions, figures, quotes, place
names, institutions, people, dates — so unrelated articles share many phrases, as real news
from the same beat does. About a quarter of stories are reposted 1–4 times, each copy with
one or two mutations:

- ``footer``: the site's boilerplate footer (来源 / 责任编辑 / 打印本页) replaced by another site's;
- ``lead``: a ``本报讯（记者 … 通讯员 …）`` line added in front;
- ``drop``: one body paragraph dropped;
- ``trad``: the copy was published in Traditional characters and converted back with OpenCC
  ``t2s.json`` (what the pipeline's normalisation does), so a few characters may differ;
- ``title``: the headline rewritten with the reposting outlet's prefix (not part of the text).

Each story family also gets, with probability 0.3, a **distractor**: a different story on the
same topic in the same place (same keywords — 医共体, the county, the hospital), which must
NOT be linked; half of them reuse one background paragraph of the first story. `family` is the ground truth: two articles are reposts of each other iff their
`family` is equal.

Run ``python bench/corpus.py --n 20 --show 3`` to look at samples.
"""

from __future__ import annotations

import argparse
import hashlib
import random
from dataclasses import dataclass

__all__ = ["CorpusArticle", "generate"]

PROVINCES = ["浙江省", "江苏省", "广东省", "四川省", "湖北省", "湖南省", "河南省", "山东省", "福建省", "安徽省",
             "江西省", "云南省", "贵州省", "陕西省", "甘肃省", "河北省", "山西省", "广西壮族自治区"]
CITIES = ["杭州市", "宁波市", "温州市", "湖州市", "绍兴市", "金华市", "台州市", "丽水市", "南京市", "苏州市",
          "无锡市", "徐州市", "广州市", "深圳市", "佛山市", "成都市", "绵阳市", "宜宾市", "武汉市", "宜昌市",
          "襄阳市", "长沙市", "株洲市", "郑州市", "洛阳市", "济南市", "青岛市", "潍坊市", "福州市", "厦门市",
          "合肥市", "芜湖市", "南昌市", "赣州市", "昆明市", "曲靖市", "贵阳市", "遵义市", "西安市", "宝鸡市"]
COUNTIES = ["德清县", "安吉县", "长兴县", "桐乡市", "海宁市", "嘉善县", "永康市", "东阳市", "义乌市", "天台县",
            "仙居县", "龙泉市", "缙云县", "沭阳县", "泗洪县", "邳州市", "新会区", "高要区", "简阳市", "郫都区",
            "江油市", "长阳县", "枝江市", "浏阳市", "醴陵市", "巩义市", "新密市", "汝州市", "寿光市", "诸城市",
            "平潭县", "闽侯县", "肥西县", "长丰县", "瑞金市", "南康区", "宣威市", "安宁市", "仁怀市", "凤县"]
ORGS = ["县人民医院", "县中医院", "县妇幼保健院", "县疾控中心", "县卫生健康局", "县医疗保障局", "中心卫生院",
        "社区卫生服务中心", "县第二人民医院", "市第一人民医院", "市中心医院", "市卫生健康委员会"]
TOPICS = [
    ("医共体", "县域医共体建设"), ("家庭医生", "家庭医生签约服务"), ("分级诊疗", "分级诊疗制度建设"),
    ("慢病管理", "高血压糖尿病慢病管理"), ("疫苗接种", "流感疫苗接种工作"), ("医保改革", "医保支付方式改革"),
    ("公立医院", "公立医院高质量发展"), ("基层卫生", "基层医疗卫生服务能力提升"), ("爱国卫生", "爱国卫生运动"),
    ("癌症筛查", "两癌免费筛查"), ("心理健康", "社会心理服务体系建设"), ("中医药", "中医药传承创新发展"),
    ("老年健康", "医养结合和老年健康服务"), ("妇幼健康", "母婴安全和出生缺陷防治"), ("传染病防控", "传染病监测预警"),
    ("健康教育", "全民健康素养促进行动"),
]
SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢")
GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建文辉力海燕鹏晓宇浩然志国庆春")
ROLES = ["党委书记", "院长", "副院长", "局长", "副局长", "主任", "副主任", "主任医师", "护士长", "站长"]
OPENERS = [
    "近日，{place}召开{topic}工作推进会", "为深入贯彻落实{topic}决策部署", "今年以来，{place}{org}持续推进{topic}",
    "记者从{place}卫生健康部门获悉", "{date}，{place}{org}举行{topic}专题培训班", "据了解，{place}自{year}年起全面启动{topic}",
    "在{place}{org}的门诊大厅里", "截至{date}，{place}已累计完成{topic}相关任务", "{date}上午，{province}{topic}现场会在{place}举行",
    "围绕{topic}这一中心任务", "按照省市统一部署", "针对群众反映强烈的看病难看病贵问题",
]
ACTIONS = [
    "建立健全{topic}工作机制", "推动优质医疗资源下沉基层", "组建{num}支家庭医生团队", "开展巡回医疗和健康义诊活动",
    "实行人财物统一管理", "完善双向转诊绿色通道", "推进远程影像和远程心电诊断", "落实基本公共卫生服务项目",
    "加强乡村医生队伍建设", "开展慢性病患者随访管理", "建设区域检验检查结果互认平台", "推行按病种分值付费改革",
    "选派{num}名骨干医师驻点帮扶", "实施重点人群健康管理", "强化绩效考核和薪酬制度改革", "推广智慧医疗和互联网诊疗",
    "完善药品耗材统一采购配送", "加强公共卫生和医疗服务融合", "建立专科联盟和名医工作室", "开展健康知识进社区进农村活动",
]
RESULTS = [
    "县域就诊率达到{pct}%", "基层门急诊人次同比增长{pct}%", "群众满意度提升至{pct}%", "累计服务群众{big}人次",
    "下转患者{num}余人次", "家庭医生签约率达到{pct}%", "重点人群签约覆盖率超过{pct}%", "住院次均费用下降{pct}%",
    "完成筛查{big}余人", "新增床位{num}张", "培训基层医务人员{num}人次", "建成标准化村卫生室{num}个",
    "高血压规范管理率达到{pct}%", "疫苗接种{big}剂次", "转诊等待时间缩短{pct}%",
]
QUOTES = [
    "“{topic_short}的核心是让群众少跑腿、看好病，”{name}表示。", "{org}{role}{name}介绍说，下一步将继续深化{topic}。",
    "“以前看病要跑到城里，现在家门口就能看专家，”村民{name}说。", "{name}告诉记者，{topic_short}让基层医生有了主心骨。",
    "{role}{name}说，要把{topic_short}这件好事办实办好。", "“我们将持续完善{topic_short}相关配套政策，”{name}说。",
]
CLOSERS = [
    "下一步，{place}将继续深化{topic}，不断提升群众获得感。", "会议要求，各地各单位要压实责任，确保各项任务落地见效。",
    "据悉，{place}还将出台{topic}配套文件，进一步完善保障机制。", "此次活动共吸引{num}余名群众参与，发放宣传资料{big}份。",
    "与会人员还实地考察了{org}的{topic_short}工作。", "该项工作被列为{year}年度民生实事项目之一。",
]
SITES = ["wsjkw.{p}.gov.cn", "www.{p}daily.com.cn", "news.{p}.cn", "health.{p}news.cn", "www.{p}wsjk.gov.cn",
         "m.{p}rb.com", "www.{p}tv.cn", "wjw.{p}.gov.cn"]
PINYIN = ["zj", "js", "gd", "sc", "hb", "hn", "ha", "sd", "fj", "ah", "jx", "yn", "gz", "sn", "gs", "he", "sx", "gx",
          "hz", "nb", "wz", "huzhou", "sx2", "jh", "tz", "ls", "nj", "sz", "wx", "xz"]
FOOTERS = [
    "（来源：{outlet} 记者 {name} 通讯员 {name2}）\n责任编辑：{name3}",
    "【打印本页】【关闭窗口】\n主办单位：{outlet} 版权所有",
    "编辑：{name} 审核：{name2} 终审：{name3}",
    "来源：{outlet}\n免责声明：转载仅为传递更多信息，不代表本网观点。",
    "（{outlet}供稿）\n扫一扫在手机打开当前页",
    "本文来源：{outlet}，转载请注明出处。\n责编：{name}",
]
OUTLETS = ["{city}日报", "{city}卫生健康委员会", "{province}卫生健康委员会", "{city}广播电视台", "健康报", "{city}晚报",
           "{province}日报", "人民网{province}频道"]


@dataclass(frozen=True)
class CorpusArticle:
    item_id: str
    url: str
    site: str
    published: str
    title: str
    text: str
    family: int          # ground truth: equal family ⇔ reposts of one story
    role: str            # "original", "repost:<mutations>", "distractor"


class _Story:
    """Slot values shared by one story (a family), and the generator of its sentences."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.topic_short, self.topic = rng.choice(TOPICS)
        self.province = rng.choice(PROVINCES)
        self.city = rng.choice(CITIES)
        self.county = rng.choice(COUNTIES)
        self.place = rng.choice([self.city + self.county, self.county, self.city])
        self.org = self.county + rng.choice(ORGS) if rng.random() < 0.5 else rng.choice(ORGS)
        self.year = rng.randint(2016, 2024)
        self.date = f"{self.year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"

    def same_topic(self, rng: random.Random) -> _Story:
        """A different story with the same topic, place and institution (a distractor)."""
        other = _Story(rng)
        for attr in ("topic_short", "topic", "province", "city", "county", "place", "org", "year"):
            setattr(other, attr, getattr(self, attr))
        return other

    def _name(self) -> str:
        return self.rng.choice(SURNAMES) + "".join(self.rng.choices(GIVEN, k=self.rng.randint(1, 2)))

    def fill(self, template: str) -> str:
        r = self.rng
        return template.format(
            place=self.place, org=self.org, topic=self.topic, topic_short=self.topic_short,
            province=self.province, year=self.year, date=f"{r.randint(1, 12)}月{r.randint(1, 28)}日",
            num=r.randint(3, 300), pct=f"{r.randint(10, 99)}.{r.randint(0, 9)}", big=r.randint(1000, 500000),
            name=self._name(), role=r.choice(ROLES),
        )

    def paragraph(self) -> str:
        r = self.rng
        parts = [self.fill(r.choice(OPENERS)) + "，"]
        for _ in range(r.randint(2, 4)):
            parts.append(self.fill(r.choice(ACTIONS)) + "，")
        parts.append(self.fill(r.choice(RESULTS)) + "。")
        if r.random() < 0.5:
            parts.append(self.fill(r.choice(QUOTES)))
        return "".join(parts)

    def article(self) -> tuple[str, list[str]]:
        r = self.rng
        title = f"{self.place}{r.choice(['扎实推进', '全面深化', '创新开展', '聚焦'])}{self.topic}" + r.choice(
            ["", "取得新成效", "让群众看病更方便", "工作纪实"])
        paragraphs = [self.paragraph() for _ in range(r.randint(5, 9))]
        paragraphs.append(self.fill(r.choice(CLOSERS)))
        return title, paragraphs


def _footer(rng: random.Random, story: _Story) -> str:
    outlet = rng.choice(OUTLETS).format(city=story.city, province=story.province)
    names = [rng.choice(SURNAMES) + rng.choice(GIVEN) for _ in range(3)]
    return rng.choice(FOOTERS).format(outlet=outlet, name=names[0], name2=names[1], name3=names[2])


class _Converter:
    def __init__(self) -> None:
        import opencc

        self.s2t = opencc.OpenCC("s2t.json")
        self.t2s = opencc.OpenCC("t2s.json")

    def roundtrip(self, text: str) -> str:
        return self.t2s.convert(self.s2t.convert(text))


def _mutate(rng: random.Random, story: _Story, paragraphs: list[str], footer: str,
            conv: _Converter) -> tuple[str, str]:
    kinds = rng.sample(["footer", "lead", "drop", "trad"], k=rng.choice([1, 1, 2]))
    body = list(paragraphs)
    if "drop" in kinds and len(body) > 4:
        del body[rng.randrange(1, len(body) - 1)]
    if "lead" in kinds:
        body.insert(0, f"本报讯（记者 {story._name()} 通讯员 {story._name()}）")
    foot = _footer(rng, story) if "footer" in kinds else footer
    text = "\n".join(body + [foot])
    if "trad" in kinds:
        text = conv.roundtrip(text)
    return text, "+".join(sorted(kinds))


def generate(n: int, seed: int = 1) -> list[CorpusArticle]:
    """`n` articles in a deterministic shuffled order (see module docstring)."""
    rng = random.Random(seed)
    conv = _Converter()
    out: list[CorpusArticle] = []
    family = 0

    def emit(story: _Story, title: str, text: str, fam: int, role: str) -> None:
        site = rng.choice(SITES).format(p=rng.choice(PINYIN))
        path = f"/art/{story.year}/{rng.randint(1, 12)}/{rng.randint(1, 28)}/art_{rng.randint(10**6, 10**7)}.html"
        url = f"https://{site}{path}"
        out.append(CorpusArticle(
            item_id=hashlib.sha1(url.encode()).hexdigest()[:16], url=url, site=site,
            published=f"{story.date}T{rng.randint(8, 20):02d}:{rng.randint(0, 59):02d}:00+08:00",
            title=title, text=text, family=fam, role=role,
        ))

    while len(out) < n:
        story = _Story(rng)
        title, paragraphs = story.article()
        footer = _footer(rng, story)
        family += 1
        emit(story, title, "\n".join(paragraphs + [footer]), family, "original")
        if rng.random() < 0.25:
            for _ in range(rng.randint(1, 4)):
                text, kinds = _mutate(rng, story, paragraphs, footer, conv)
                emit(story, f"【转载】{title}" if rng.random() < 0.3 else title, text, family, f"repost:{kinds}")
        if rng.random() < 0.3:
            other = story.same_topic(rng)
            o_title, o_paragraphs = other.article()
            if rng.random() < 0.5:  # reuses a background paragraph of the first story
                o_paragraphs.insert(rng.randrange(len(o_paragraphs)), rng.choice(paragraphs))
            family += 1
            emit(other, o_title, "\n".join(o_paragraphs + [_footer(rng, other)]), family, "distractor")
    out = out[:n]
    rng.shuffle(out)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--show", type=int, default=2)
    args = parser.parse_args()
    articles = generate(args.n, args.seed)
    for a in articles[: args.show]:
        print(f"== {a.role} family={a.family} {a.url}\n{a.title}\n{a.text}\n")


if __name__ == "__main__":
    main()
