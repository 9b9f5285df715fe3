"""The attachment files that the real-source fixture pages link besides their placeholder PDFs
(a .docx or an .xls each), with the invented text each holds. tools/build_link_attachments.py
makes them with real tools; tools/build_real_fixtures.py keeps them as they are and names the
tool in each fixture's README (readme_section).

Until these existed, every crawl of those fixtures (attachments are fetched by default) gave
12 http_404 faults in 10 sites.
"""

from __future__ import annotations

from typing import Any

DOCX_TOOL = "python-docx"
XLS_TOOL = "openpyxl, then LibreOffice Calc `soffice --headless --convert-to xls` (MS Excel 97)"

#: slug, URL path, link text, kind ("docx" or "xls") and content: for a docx, a title and
#: paragraphs (and an optional table, header first); for an xls, a title, a header and rows.
FILES: list[dict[str, Any]] = [
    {
        "slug": "bhxq",
        "path": "/uploadfiles/2025/08/20250820101522842.docx",
        "label": "滨海新区进一步加强招商引资工作若干措施（文字版）.docx",
        "kind": "docx",
        "title": "滨海新区进一步加强招商引资工作若干措施",
        "paras": [
            "为深入实施招商引资“一号工程”，推动更多优质项目落地滨海新区，制定以下措施。",
            "一、健全项目全生命周期服务机制。对签约项目实行专班跟踪，协调解决用地、能耗、审批等问题，推动项目早开工、早投产。",
            "二、加大产业链招商力度。围绕信创、生物医药、新能源、新材料等重点产业链，绘制招商图谱，开展精准招商。",
            "三、强化要素保障。对总投资10亿元以上的重大项目，优先保障用地和配套基础设施建设。",
            "四、完善考核激励。将招商引资成效纳入各开发区、各街镇年度考核，对成效突出的单位予以通报表扬。",
            "本措施自印发之日起施行，有效期三年。",
        ],
    },
    {
        "slug": "eco_city",
        "path": "/uploadfile/2025/0821/20250821093512482.xls",
        "label": "拟支持项目资金明细.xls",
        "kind": "xls",
        "title": "2025年度中新天津生态城绿色建筑专项资金拟支持项目资金明细",
        "header": ["序号", "项目名称", "申报单位", "星级", "拟支持金额（万元）"],
        "rows": [
            [
                "1",
                "生态城中部片区公共建筑三星级绿色建筑项目",
                "天津生态城智汇建设发展有限公司",
                "三星级",
                "320",
            ],
            ["2", "生态城南部片区住宅超低能耗示范项目", "天津泓屿置业有限公司", "二星级", "185"],
            [
                "3",
                "生态城产业园区近零碳厂房改造项目",
                "天津绿岸科技园运营有限公司",
                "三星级",
                "260",
            ],
        ],
    },
    {
        "slug": "teda",
        "path": "/u/cms/www/202508/18093015abce.docx",
        "label": "政策解读.docx",
        "kind": "docx",
        "title": "《天津经济技术开发区支持合成生物产业创新发展若干措施》政策解读",
        "paras": [
            "一、出台背景。合成生物是经开区重点培育的未来产业，为加快集聚创新资源、完善产业生态，经开区制定了本措施。",
            "二、支持对象。在经开区注册、从事合成生物研发、中试和产业化的企业及公共服务平台。",
            "三、主要内容。措施从研发创新、中试验证、产业化落地、人才引育四个方面提出支持政策，对建设公共中试平台的按设备投资额给予最高30%的补助。",
            "四、申报方式。企业可通过经开区政务服务平台在线申报，具体申报通知另行发布。",
        ],
    },
    {
        "slug": "tht",
        "path": "/upload/2025/08/19/20250819153012.xls",
        "label": "2025年第二批雏鹰瞪羚企业培育资金拟拨付名单.xls",
        "kind": "xls",
        "title": "滨海高新区2025年第二批雏鹰、瞪羚企业培育资金拟拨付名单",
        "header": ["序号", "企业名称", "类别", "拟拨付金额（万元）"],
        "rows": [
            ["1", "天津芯岳微电子科技有限公司", "瞪羚企业", "50"],
            ["2", "天津澄汇智能装备有限公司", "雏鹰企业", "20"],
            ["3", "天津禾渡生物技术有限公司", "雏鹰企业", "20"],
            ["4", "天津启衡数据科技有限公司", "瞪羚企业", "50"],
        ],
    },
    {
        "slug": "tj_fzgg",
        "path": "/xxfb/tzggx/202508/W020250821503317728215.xls",
        "label": "附件2：重点建设项目储备申报表.xls",
        "kind": "xls",
        "title": "2026年天津市重点建设项目储备申报表",
        "header": [
            "序号",
            "项目名称",
            "建设单位",
            "建设地点",
            "建设内容及规模",
            "总投资（亿元）",
            "计划开工时间",
        ],
        "rows": [
            [
                "1",
                "（示例）津南区智能网联汽车零部件产业园",
                "天津津南新汇实业有限公司",
                "津南区",
                "建设厂房及配套设施12万平方米",
                "15.0",
                "2026年3月",
            ],
            ["2", "", "", "", "", "", ""],
        ],
    },
    {
        "slug": "tj_gov_tjxw",
        "path": "/sy/tjxw/202508/P020250828575312478906.docx",
        "label": "附件2：2025年市级重点境外展会目录.docx",
        "kind": "docx",
        "title": "2025年市级重点境外展会目录",
        "paras": ["对企业参加下列展会给予展位费补贴，具体以申报通知为准。"],
        "table": [
            ["序号", "展会名称", "举办国家", "举办时间", "行业"],
            ["1", "德国汉诺威工业博览会", "德国", "2025年4月", "工业装备"],
            ["2", "迪拜中东电力照明及新能源展", "阿联酋", "2025年4月", "新能源"],
            ["3", "俄罗斯国际汽车零配件展", "俄罗斯", "2025年8月", "汽车零部件"],
            ["4", "巴西圣保罗国际医疗器械展", "巴西", "2025年10月", "医疗器械"],
        ],
    },
    {
        "slug": "tj_kxjs",
        "path": "/ZWGK4143/TZGG2079/202508/P020250820571936204482.xls",
        "label": "附件2：各区入库企业汇总表.xls",
        "kind": "xls",
        "title": "2025年度第二批科技型中小企业各区入库企业汇总表",
        "header": ["序号", "区", "入库企业数（家）", "其中新入库（家）"],
        "rows": [
            ["1", "滨海新区", "612", "148"],
            ["2", "西青区", "305", "71"],
            ["3", "津南区", "226", "54"],
            ["4", "东丽区", "198", "47"],
        ],
    },
    {
        "slug": "tj_swj",
        "path": "/tjsswjzz/zwdt/gsgg/202508/W020250820612077489125.docx",
        "label": "附件：第八届进博会天津交易团报名回执.docx",
        "kind": "docx",
        "title": "第八届中国国际进口博览会天津交易团报名回执",
        "paras": ["请于9月10日前将本回执报送所在区商务主管部门。"],
        "table": [
            ["单位名称", "", "所在区", ""],
            ["联系人", "", "联系电话", ""],
            ["拟采购商品类别", "", "拟采购金额（万美元）", ""],
            ["参会人数", "", "是否需要对接洽谈", "是 / 否"],
        ],
    },
    {
        "slug": "tj_swj",
        "path": "/tjsswjzz/zwdt/gsgg/202508/W020250822389615206348.xls",
        "label": "附件2：拟支持项目资金明细表.xls",
        "kind": "xls",
        "title": "2025年度天津市外经贸发展专项资金拟支持项目资金明细表",
        "header": ["序号", "企业名称", "所在区", "支持方向", "拟支持金额（万元）"],
        "rows": [
            ["1", "天津港湾汇通国际贸易有限公司", "滨海新区", "境外展会", "42"],
            ["2", "天津锦泽跨境电商供应链有限公司", "东丽区", "海外仓建设", "150"],
            ["3", "天津恒渡机电进出口有限公司", "西青区", "出口信用保险", "36"],
        ],
    },
    {
        "slug": "tjdl",
        "path": "/zwgk/gsgg/gsgg/202508/P020250812477520918607.docx",
        "label": "附件2：申报书模板.docx",
        "kind": "docx",
        "title": "东丽区2025年度区级专精特新中小企业申报书",
        "paras": [
            "一、企业基本情况（企业名称、注册地址、成立时间、主营业务、上年度营业收入）。",
            "二、专业化情况（主导产品及其在细分市场的占有率）。",
            "三、精细化情况（管理体系认证、数字化改造情况）。",
            "四、特色化、新颖化情况（研发投入占营业收入比例、有效知识产权数量）。",
            "五、申报单位承诺：所填报内容真实、准确，如有虚假，愿承担相应责任。",
        ],
    },
    {
        "slug": "tjdl",
        "path": "/zwgk/gsgg/gsgg/202508/P020250819632184402113.xls",
        "label": "附件：2025年第二批招商引资项目落地奖励资金拟拨付名单.xls",
        "kind": "xls",
        "title": "东丽区2025年第二批招商引资项目落地奖励资金拟拨付名单",
        "header": ["序号", "企业名称", "项目名称", "拟拨付金额（万元）"],
        "rows": [
            ["1", "天津东瑞航空零部件制造有限公司", "航空零部件精密加工项目", "300"],
            ["2", "天津丽川新能源科技有限公司", "储能电池系统集成项目", "180"],
            ["3", "天津华翊医疗器械有限公司", "高端医用耗材生产项目", "120"],
        ],
    },
    {
        "slug": "tjftz",
        "path": "/upload/files/2025/8/15094012346.docx",
        "label": "申报材料清单.docx",
        "kind": "docx",
        "title": "天津港保税区支持跨境融资租赁高质量发展申报材料清单",
        "paras": [
            "1. 申报表（加盖公章）；",
            "2. 营业执照复印件；",
            "3. 租赁业务合同及资金到位凭证；",
            "4. 经审计的上年度财务报表；",
            "5. 申报单位真实性承诺书。",
        ],
    },
]


def readme_section(slug: str) -> str:
    """What each fixture README says of these files: which tool made which."""
    lines = [
        f"- `{f['path'].rsplit('/', 1)[1]}` ({f['label']}): made with "
        f"{DOCX_TOOL if f['kind'] == 'docx' else XLS_TOOL} by `tools/build_link_attachments.py`"
        for f in FILES
        if f["slug"] == slug
    ]
    if not lines:
        return ""
    return (
        "\n\n## Linked files besides the placeholder PDF\n\nReal files with invented text "
        "(`tools/link_attachment_fixtures.py`), so that a crawl, which fetches attachments by "
        "default, finds every file a page links:\n\n" + "\n".join(lines) + "\n"
    )
