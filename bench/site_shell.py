"""The page shell of bench/crawl_throughput.py's site: what a real government page carries
around its article (menus, header and footer blocks, inline scripts and styles, lists of other
articles), written by this generator (no third-party text).

Why and how big, from measurement (docs/benchmarks.md, "page compression (issue 16, item 2)"):
the 57 real ``zh`` pages of ../shared/extraction-dev/magic-article, re-encoded as GBK as the
bench site is, have a median of 98 KB with the article's text a median 2.9 % of the bytes; the
23 of them under 60 KB (the official and news sites' article pages: people.com.cn, gmw.cn,
kepu.gov.cn, theorychina.org.cn, …) a median of 35 KB, of which 28 KB is shell, a median of 50
links (17 of them article titles) and 14 script elements; their text a median of 1,114
characters (6.5 % of the bytes). The one .gov.cn page: 35 KB, 29 KB shell, 50 links (39
titles), 26 script elements. The repository's fixtures copy real TRS markup but are cut down
to 2–4 KB, so they give the class names here, not sizes.

The shell is about 26 KB of GBK around the bench's own article (median ~1,070 characters, so
the text is ~8 % of a page's bytes): the small-page end of the measured pages, which is the
conservative end for compression (more of a page is article text, which a dictionary cannot
know). What varies per page, as on real pages: the title (in <title>, metas, the share script,
the breadcrumb), a description meta from the article's first sentence, keywords, ids and dates
in scripts, the previous/next articles, five related articles, a ten-title "latest" list that
moves on every 8 articles, a view count. The template itself is fixed, as a real site's is.
"""

from __future__ import annotations

import random
import re

NAV = (
    ("首页", "/sy/", ()),
    (
        "政务公开",
        "/zwgk/",
        ("政策文件", "政策解读", "人事信息", "财政信息", "统计信息", "规划计划", "建议提案"),
    ),
    (
        "政务服务",
        "/zwfw/",
        ("个人办事", "法人办事", "部门服务", "主题服务", "便民服务", "好差评", "电子证照"),
    ),
    ("互动交流", "/hdjl/", ("市长信箱", "在线访谈", "征集调查", "常见问题", "政民零距离")),
    ("走进天津", "/zjtj/", ("天津概况", "历史文化", "城市名片", "旅游休闲", "投资天津")),
    ("新闻中心", "/sy/", ("天津要闻", "今日关注", "部门动态", "区县动态", "图片新闻", "视频新闻")),
    ("专题专栏", "/ztzl/", ("营商环境", "京津冀协同发展", "乡村振兴", "安全生产", "双碳行动")),
    ("数据开放", "/sjkf/", ("数据目录", "数据接口", "数据应用", "开放指南")),
)
BUREAUS = (
    "发展和改革委员会",
    "教育委员会",
    "科学技术局",
    "工业和信息化局",
    "民族宗教委员会",
    "公安局",
    "民政局",
    "司法局",
    "财政局",
    "人力资源和社会保障局",
    "规划和自然资源局",
    "生态环境局",
    "住房和城乡建设委员会",
    "城市管理委员会",
    "交通运输委员会",
    "水务局",
    "农业农村委员会",
    "商务局",
    "文化和旅游局",
    "卫生健康委员会",
    "退役军人事务局",
    "应急管理局",
    "审计局",
    "国有资产监督管理委员会",
    "市场监督管理局",
    "体育局",
    "统计局",
    "医疗保障局",
    "政务服务办公室",
    "信访办公室",
    "合作交流办公室",
    "粮食和物资储备局",
    "知识产权局",
    "金融工作局",
)
DISTRICTS = (
    "和平区",
    "河东区",
    "河西区",
    "南开区",
    "河北区",
    "红桥区",
    "东丽区",
    "西青区",
    "津南区",
    "北辰区",
    "武清区",
    "宝坻区",
    "滨海新区",
    "宁河区",
    "静海区",
    "蓟州区",
)
SPECIALS = (
    ("优化营商环境", "yshj"),
    ("学习贯彻全会精神", "xxgc"),
    ("京津冀协同发展", "jjjxt"),
    ("安全生产月", "aqsc"),
    ("民心工程", "mxgc"),
    ("天津市政府信息公开", "xxgk"),
)
SERVICES = (
    "社保查询",
    "公积金查询",
    "交通违法",
    "出入境办理",
    "户籍办理",
    "不动产登记",
    "企业开办",
    "医保服务",
)

STYLE = """<style type="text/css">
.article h1{font-size:26px;line-height:40px;color:#1a1a1a;text-align:center;padding:20px 0 10px;}
.article-info{text-align:center;color:#666;font-size:14px;border-bottom:1px dashed #ccc;padding-bottom:12px;}
.article-content{font-size:16px;line-height:32px;color:#333;padding:20px 10px;}
.article-content p{text-indent:2em;margin:0 0 16px;}
.side-box{border:1px solid #e5e5e5;margin-bottom:15px;}.side-box h3{height:40px;line-height:40px;background:#f3f6fa;padding-left:15px;font-size:16px;}
.side-box li{height:34px;line-height:34px;overflow:hidden;white-space:nowrap;text-overflow:ellipsis;}
.nav-sub{display:none;position:absolute;top:50px;left:0;width:100%;background:#fff;z-index:99;}
</style>"""  # noqa: E501

HEAD = """<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=gb2312">
<meta http-equiv="X-UA-Compatible" content="IE=edge,chrome=1">
<meta name="renderer" content="webkit">
<meta name="viewport" content="width=device-width, initial-scale=1.0, maximum-scale=1.0, user-scalable=no">
<title>{title}_天津政务网</title>
<meta name="SiteName" content="天津政务网">
<meta name="SiteDomain" content="www.tj.gov.cn">
<meta name="SiteIDCode" content="1200000099">
<meta name="ColumnName" content="天津要闻">
<meta name="ColumnType" content="新闻">
<meta name="ArticleTitle" content="{title}">
<meta name="PubDate" content="{pubdate}">
<meta name="ContentSource" content="{origin}">
<meta name="Keywords" content="{keywords}">
<meta name="Description" content="{description}">
<meta name="Url" content="{url}">
<link rel="stylesheet" type="text/css" href="/images/public/css/reset.css">
<link rel="stylesheet" type="text/css" href="/images/public/css/common.css">
<link rel="stylesheet" type="text/css" href="/images/public/css/header_footer.css">
<link rel="stylesheet" type="text/css" href="/images/xl/css/article.css">
<link rel="stylesheet" type="text/css" href="/images/public/css/swiper.min.css">
<script type="text/javascript" src="/images/public/js/jquery-1.12.4.min.js"></script>
<script type="text/javascript" src="/images/public/js/swiper.min.js"></script>
<script type="text/javascript" src="/images/public/js/common.js"></script>
<script type="text/javascript" src="/images/public/js/jquery.qrcode.min.js"></script>
<script type="text/javascript" src="/images/public/js/fontsize.js"></script>
<script type="text/javascript" src="/images/public/js/tjzwwLanguage.js"></script>
{style}
<script type="text/javascript">
var _trsPageInfo = {{ siteId: "34", channelId: "10956", docId: "{doc_id}", docTitle: "{title}", docPubTime: "{pubdate}", docSource: "{origin}" }};
if (/AppleWebKit.*mobile/i.test(navigator.userAgent) || /Android|iPhone|iPod|BlackBerry|Windows Phone/i.test(navigator.userAgent)) {{
    if (window.location.href.indexOf("?mobile") < 0) {{
        try {{ window.location.href = "/mobile{path}"; }} catch (e) {{}}
    }}
}}
function doZoom(size) {{ document.getElementById("zoom").style.fontSize = size + "px"; }}
function doPrint() {{ window.print(); }}
function closeWindow() {{ if (confirm("您确定要关闭本页吗？")) {{ window.opener = null; window.open("", "_self"); window.close(); }} }}
</script>
</head>
"""  # noqa: E501

TOP = """<body>
<div class="topbar">
<div class="w1200 clearfix">
<div class="topbar-left"><span id="today"></span><script type="text/javascript">
var d = new Date(), w = ["日", "一", "二", "三", "四", "五", "六"];
document.getElementById("today").innerHTML = d.getFullYear() + "年" + (d.getMonth() + 1) + "月" + d.getDate() + "日 星期" + w[d.getDay()];
</script></div>
<div class="topbar-right"><a href="/wza/" target="_blank" id="toolbarCtrl">无障碍</a><a href="javascript:void(0)" id="StranLink">繁体</a><a href="/zhuanti/zzb/" target="_blank">长者版</a><a href="https://www.tj.gov.cn/ydd/" target="_blank">移动版</a><a href="/wb/" target="_blank">官方微博</a><a href="/wx/" target="_blank">官方微信</a><a href="https://zwfw.tj.gov.cn/login" target="_blank">登录</a><a href="https://zwfw.tj.gov.cn/register" target="_blank">注册</a></div>
</div>
</div>
<div class="header">
<div class="w1200 clearfix">
<div class="logo"><a href="/" title="天津市人民政府"><img src="/images/public/images/logo.png" alt="天津市人民政府 www.tj.gov.cn"></a></div>
<div class="search-box">
<form id="searchForm" name="searchForm" method="get" action="/igs/front/search.jhtml" target="_blank" onsubmit="return checkSearch();">
<input type="hidden" name="code" value="78778b9ded5140d4984030cf8f469303">
<input type="hidden" name="siteId" value="34">
<input type="hidden" name="pageSize" value="10">
<input type="hidden" name="sortByFocus" value="true">
<input type="text" name="searchWord" id="searchWord" class="search-input" placeholder="请输入关键词" autocomplete="off">
<input type="submit" class="search-btn" value="搜索">
</form>
<div class="hot-words">热搜词：<a href="javascript:void(0)">营商环境</a><a href="javascript:void(0)">社保</a><a href="javascript:void(0)">公积金</a><a href="javascript:void(0)">落户</a><a href="javascript:void(0)">人才政策</a></div>
</div>
</div>
</div>
"""  # noqa: E501

LATEST_SCRIPT = """<script type="text/javascript">
$(function () {{
    $(".nav-list > li").hover(function () {{ $(this).addClass("on").find(".nav-sub").stop(true, true).slideDown(200); }},
        function () {{ $(this).removeClass("on").find(".nav-sub").stop(true, true).slideUp(100); }});
    $.ajax({{ url: "/igs/front/count.jhtml", data: {{ siteId: 34, docId: "{doc_id}", channelId: 10956 }}, dataType: "jsonp",
        success: function (data) {{ $("#viewCount").text(data.count || "{views}"); }} }});
    $("#qrcode").qrcode({{ width: 100, height: 100, text: "{url}" }});
}});
</script>"""  # noqa: E501

FOOTER = """<div class="footer">
<div class="w1200">
<div class="link-select clearfix">
<select onchange="if(this.value){{window.open(this.value)}}"><option value="">中央政府网站</option><option value="https://www.gov.cn/">中国政府网</option><option value="https://www.ndrc.gov.cn/">国家发展改革委</option><option value="https://www.mofcom.gov.cn/">商务部</option><option value="https://www.most.gov.cn/">科技部</option><option value="https://www.miit.gov.cn/">工业和信息化部</option></select>
<select onchange="if(this.value){{window.open(this.value)}}"><option value="">省区市政府网站</option><option value="https://www.beijing.gov.cn/">北京</option><option value="https://www.hebei.gov.cn/">河北</option><option value="https://www.shanghai.gov.cn/">上海</option><option value="https://www.shandong.gov.cn/">山东</option><option value="https://www.ln.gov.cn/">辽宁</option></select>
<select onchange="if(this.value){{window.open(this.value)}}"><option value="">市政府部门网站</option>{bureaus}</select>
<select onchange="if(this.value){{window.open(this.value)}}"><option value="">各区政府网站</option>{districts}</select>
</div>
<div class="footer-links"><a href="/wzdt/">网站地图</a> | <a href="/lxwm/">联系我们</a> | <a href="/wzsm/">网站声明</a> | <a href="/sybz/">使用帮助</a> | <a href="/private/stats.html">网站统计</a></div>
<div class="footer-info clearfix">
<div class="footer-badge"><script type="text/javascript">document.write(unescape("%3Cspan id='_ideConac' %3E%3C/span%3E%3Cscript src='https://dcs.conac.cn/js/03/000/0000/60000000/CA030000000600000000000.js' type='text/javascript'%3E%3C/script%3E"));</script></div>
<div class="footer-text">
<p>主办：天津市人民政府办公厅 承办：天津市政务服务办公室 运行维护：天津市信息中心</p>
<p>版权所有：天津市人民政府办公厅 网站标识码：1200000099 <a href="https://beian.miit.gov.cn/" target="_blank">津ICP备05001234号-1</a> <a href="http://www.beian.gov.cn/portal/registerSystemInfo?recordcode=12010102000123" target="_blank"><img src="/images/public/images/ga.png" alt="">津公网安备 12010102000123号</a></p>
<p>联系电话：022-12345678（仅受理网站建设维护相关事宜） 建议使用1920×1080分辨率浏览本网站</p>
</div>
<div class="footer-jiucuo"><script id="_jiucuo_" sitecode="1200000099" src="https://zfwzgl.www.gov.cn/exposure/jiucuo.js"></script></div>
<div class="footer-ipv6"><img src="/images/public/images/ipv6.png" alt="本网站支持IPv6"></div>
</div>
</div>
</div>
<script type="text/javascript">var _hmt = _hmt || []; (function () {{ var hm = document.createElement("script"); hm.src = "https://hm.baidu.com/hm.js?3f1c2b8e0d7a6954e1b2c3d4a5f60718"; var s = document.getElementsByTagName("script")[0]; s.parentNode.insertBefore(hm, s); }})();</script>
<script type="text/javascript" src="/images/public/js/trs_stat.js" data-site="34" data-channel="10956" data-doc="{doc_id}"></script>
</body>
</html>
"""  # noqa: E501


def _nav() -> str:
    items = []
    for name, href, subs in NAV:
        sub = "".join(
            f'<li><a href="{href}{n}/" target="_blank" title="{title}">{title}</a></li>'
            for n, title in enumerate(subs, 1)
        )
        items.append(
            f'<li><a href="{href}" class="nav-item" title="{name}">{name}</a>'
            + (f'<div class="nav-sub"><ul class="clearfix">{sub}</ul></div>' if subs else "")
            + "</li>"
        )
    return (
        '<div class="nav"><div class="w1200"><ul class="nav-list clearfix">'
        + "\n".join(items)
        + "</ul></div></div>\n"
    )


NAV_HTML = _nav()
FOOTER_BUREAUS = "".join(
    f'<option value="https://bureau{n}.tj.gov.cn/">天津市{name}</option>'
    for n, name in enumerate(BUREAUS, 1)
)
FOOTER_DISTRICTS = "".join(
    f'<option value="https://district{n}.tj.gov.cn/">{name}</option>'
    for n, name in enumerate(DISTRICTS, 1)
)
SIDE_FIXED = (
    '<div class="side-box"><h3>专题专栏</h3><ul class="side-special">'
    + "".join(
        f'<li><a href="/ztzl/{slug}/" target="_blank" title="{name}">'
        f'<img src="/images/ztzl/{slug}.jpg"'
        f' alt="{name}" width="280" height="80"></a></li>'
        for name, slug in SPECIALS
    )
    + '</ul></div>\n<div class="side-box"><h3>便民服务</h3><ul class="side-service clearfix">'
    + "".join(
        f'<li><a href="https://zwfw.tj.gov.cn/bmfw/{n}" target="_blank">'
        f'<i class="icon icon-{n}"></i>'
        f"<span>{name}</span></a></li>"
        for n, name in enumerate(SERVICES, 1)
    )
    + "</ul></div>\n"
)

TAG = re.compile(r"<[^>]+>")


def _link(article: tuple, up: str = "..") -> str:
    title, href = article[1], article[2]
    return f'<a href="{up}/{href[2:]}" target="_blank" title="{title}">{title}</a>'


def detail_page(
    rng: random.Random,
    articles: list[tuple],
    i: int,
    article_html: str,
    paragraphs: list[str],
    origin: str,
) -> str:
    """One detail page: the shell around `article_html` (the small page's div.article, as
    bench/crawl_throughput.py's DETAIL makes it) for article `i` of `articles` (newest first:
    (when, title, href, place, topic))."""
    when, title, href, place, topic = articles[i]
    doc_id = href.rsplit("_", 1)[1].split(".")[0]
    url = f"https://www.tj.gov.cn/sy/tjxw/{href[2:]}"
    description = TAG.sub("", paragraphs[0])[:76]
    n = len(articles)
    prev_next = (
        f'<div class="prev-next"><p>上一篇：{_link(articles[(i + 1) % n])}</p>'
        f"<p>下一篇：{_link(articles[(i - 1) % n])}</p></div>\n"
    )
    related = "".join(
        f"<li>{_link(articles[(i + k) % n])}<span>{articles[(i + k) % n][0]:%Y-%m-%d}</span></li>"
        for k in rng.sample(range(3, 60), 5)
    )
    start = (i // 8) * 8  # the "latest" list is what was newest when the page was published
    latest = "".join(
        f'<li><span class="date">{other[0]:%m-%d}</span>{_link(other)}</li>'
        for other in (articles[(start + k) % n] for k in range(10))
    )
    views = rng.randint(120, 98000)
    body = (
        HEAD.format(
            title=title,
            pubdate=f"{when:%Y-%m-%d %H:%M}",
            origin=origin,
            keywords=f"{place},{topic},天津要闻",
            description=description,
            url=url,
            doc_id=doc_id,
            path=f"/sy/tjxw/{href[2:]}",
            style=STYLE,
        )
        + TOP
        + NAV_HTML
        + '<div class="w1200 main clearfix">\n'
        '<div class="position">当前位置：<a href="../../../">首页</a> &gt; '
        '<a href="../../">新闻中心</a> &gt; <a href="../">天津要闻</a> &gt; '
        "<span>正文</span></div>\n"
        '<div class="main-left">\n'
        + article_html
        + f'<div class="article-extra"><span>浏览次数：<em id="viewCount">{views}</em></span>'
        '<div id="qrcode" class="qrcode"></div><span>扫一扫在手机打开当前页</span></div>\n'
        + prev_next
        + f'<div class="related-box"><h3>相关稿件</h3><ul>{related}</ul></div>\n'
        "</div>\n"
        '<div class="main-right">\n'
        f'<div class="side-box"><h3>最新发布</h3><ul class="side-latest">{latest}</ul></div>\n'
        + SIDE_FIXED
        + "</div>\n</div>\n"
        + LATEST_SCRIPT.format(doc_id=doc_id, views=views, url=url)
        + FOOTER.format(bureaus=FOOTER_BUREAUS, districts=FOOTER_DISTRICTS, doc_id=doc_id)
    )
    return body


def listing_page(entries_html: str, pager_html: str, current: int, count: int) -> str:
    """A listing page in the same shell (no article: its own list in the main column)."""
    head = HEAD.format(
        title="天津要闻",
        pubdate="",
        origin="天津政务网",
        keywords="天津要闻",
        description="天津要闻",
        url="https://www.tj.gov.cn/sy/tjxw/",
        doc_id="",
        path="/sy/tjxw/",
        style=STYLE,
    )
    return (
        head.replace(
            "</head>",
            '<script type="text/javascript">\nfunction jumpToDetail(url) '
            '{ window.open(url, "_blank"); }\n</script>\n</head>',
        )
        + TOP
        + NAV_HTML
        + '<div class="w1200 main clearfix">\n'
        '<div class="position">当前位置：<a href="../../">首页</a> &gt; '
        '<a href="./">天津要闻</a></div>\n'
        '<div class="main-left">\n<div class="list-box">\n'
        + entries_html
        + f'</div>\n<div class="page" id="page">{pager_html}</div>\n'
        f'<script type="text/javascript">\nvar currentPage = {current};//所在页从0开始\n'
        f"var countPage = {count};//共多少页\n</script>\n</div>\n"
        '<div class="main-right">\n'
        + SIDE_FIXED
        + "</div>\n</div>\n"
        + FOOTER.format(bureaus=FOOTER_BUREAUS, districts=FOOTER_DISTRICTS, doc_id="")
    )
