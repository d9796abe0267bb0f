"""Markdown written by editors is rendered, then sanitised: nothing in it can run script in a visitor's browser."""

import html
import json
import re
from http import HTTPStatus

import pytest
from bs4 import BeautifulSoup

from content.factories import StandardPageFactory
from content.markdown import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, render_markdown
from tests.content.helpers import soup, texts

XSS_VECTORS = {
    "script tag": "<script>alert(1)</script>",
    "script tag, upper case with src": "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
    "split script tag": "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "script inside markdown paragraph": "Hello <script>alert(1)</script> world",
    "img onerror": "<img src=x onerror=alert(1)>",
    "img onerror without quotes or spaces": "<img/src=x/onerror=alert(1)>",
    "img src javascript, mixed case": "<IMG SRC=JaVaScRiPt:alert('XSS')>",
    "img src in backticks": "<img src=`javascript:alert(1)`>",
    "img srcset": '<img srcset="javascript:alert(1) 1x" src="https://example.org/a.png">',
    "svg onload": "<svg onload=alert(1)>",
    "svg with script": "<svg><script>alert(1)</script></svg>",
    "svg xlink href": '<svg><a xlink:href="javascript:alert(1)"><text x="0" y="20">x</text></a></svg>',
    "markdown link javascript": "[click me](javascript:alert(1))",
    "markdown link mixed case": "[click me](JaVaScRiPt:alert(1))",
    "markdown link with leading space in angle brackets": "[click me](< javascript:alert(1)>)",
    "markdown image javascript": "![alt](javascript:alert(1))",
    "markdown autolink javascript": "<javascript:alert(1)>",
    "reference-style link": "[click me][evil]\n\n[evil]: javascript:alert(1)",
    "reference-style link with title": '[click me][evil]\n\n[evil]: javascript:alert(1) "Title"',
    "markdown link title breaking out": '[x](https://example.org "t\\" onmouseover=\\"alert(1)")',
    "raw html link javascript": '<a href="javascript:alert(1)">click</a>',
    "raw html link with tab entity": '<a href="jav&#x09;ascript:alert(1)">click</a>',
    "raw html link with newline entity": '<a href="jav&#x0A;ascript:alert(1)">click</a>',
    "raw html link fully entity-encoded": (
        '<a href="&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;alert(1)">click</a>'
    ),
    "raw html link with decimal entities no semicolons": (
        '<a href="&#106&#97&#118&#97&#115&#99&#114&#105&#112&#116&#58alert(1)">click</a>'
    ),
    "raw html link with &colon;": '<a href="javascript&colon;alert(1)">click</a>',
    "raw html link with leading whitespace": '<a href="  javascript:alert(1)">click</a>',
    "raw html link mixed case": '<a href="JaVaScRiPt:alert(1)">click</a>',
    "data url link": "[click me](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "data url raw link": '<a href="data:text/html,<script>alert(1)</script>">click</a>',
    "data url image": "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "data url raw image": '<img src="data:image/svg+xml,<svg onload=alert(1)>">',
    "vbscript link": "[click me](vbscript:msgbox(1))",
    "vbscript raw link": '<a href="VBScript:msgbox(1)">click</a>',
    "iframe": '<iframe src="https://evil.example/"></iframe>',
    "iframe srcdoc": '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    "object": '<object data="https://evil.example/x.swf" type="application/x-shockwave-flash"></object>',
    "embed": '<embed src="https://evil.example/x.swf">',
    "style tag": "<style>body { background: url(javascript:alert(1)) }</style>",
    "style attribute": '<p style="background:url(javascript:alert(1))">styled</p>',
    "style attribute expression": '<div style="width: expression(alert(1))">old IE</div>',
    "event handler on div": '<div onclick="alert(1)">click</div>',
    "event handler on allowed link": '<a href="https://example.org" onmouseover="alert(1)">hover</a>',
    "event handler on allowed abbr": '<abbr title="x" onmouseover=alert(1)>HTML</abbr>',
    "body onload": "<body onload=alert(1)>",
    "details ontoggle": "<details open ontoggle=alert(1)><summary>x</summary></details>",
    "input autofocus onfocus": "<input autofocus onfocus=alert(1)>",
    "video source onerror": "<video><source onerror=alert(1)></video>",
    "math with mglyph and style (mutation XSS)": "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "math with href": '<math href="javascript:alert(1)">CLICK</math>',
    "noscript title (mutation XSS)": '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "form action": '<form action="javascript:alert(1)"><button>Send</button></form>',
    "button formaction": '<button formaction="javascript:alert(1)">Send</button>',
    "meta refresh": '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    "base href": '<base href="javascript:alert(1)//">',
    "link rel import": '<link rel="import" href="https://evil.example/x.html">',
    "link stylesheet": '<link rel="stylesheet" href="https://evil.example/x.css">',
    "conditional comment for IE": "<!--[if IE]><script>alert(1)</script><![endif]-->",
    "comment hiding a tag": "<!-- --><script>alert(1)</script><!-- -->",
    "template": "<template><script>alert(1)</script></template>",
    "table background": '<table background="javascript:alert(1)"><tr><td>x</td></tr></table>',
    "code class breaking out": '<code class="x" onclick="alert(1)">x</code>',
    "abbreviation definition with script": "*[HTML]: <script>alert(1)</script>\n\nHTML",
    "definition list with html": "Term\n: <img src=x onerror=alert(1)>",
    "html inside a table cell": "| a |\n|---|\n| <img src=x onerror=alert(1)> |",
}

FORBIDDEN_ELEMENTS = [
    "script", "iframe", "object", "embed", "style", "form", "meta", "base", "link", "svg", "math", "input", "button",
    "template", "body", "video", "source", "noscript",
]  # fmt: skip
URL_ATTRIBUTES = ["href", "src", "srcset", "action", "formaction", "xlink:href", "background", "data"]
# Browsers ignore ASCII whitespace and control characters inside a URL's scheme.
IGNORED_IN_SCHEME = re.compile(r"[\x00-\x20]+")
# A start tag as written, quoted attribute values (which may hold '>') included; and one quoted value.
START_TAG = re.compile(r"""<[a-zA-Z](?:"[^"]*"|'[^']*'|[^'">])*>""")
QUOTED_VALUE = re.compile(r"""=\s*(?:"[^"]*"|'[^']*')""")
EVENT_HANDLER = re.compile(r"[\s/]on\w+\s*=", re.IGNORECASE)


def parse(rendered):
    return BeautifulSoup(rendered, "html.parser")


def dangerous_url(value):
    url = IGNORED_IN_SCHEME.sub("", html.unescape(value)).lower()
    return url.startswith(("javascript:", "vbscript:", "data:"))


def assert_safe(rendered):
    assert "<script" not in rendered.lower()
    elements = parse(rendered).find_all(True)
    for element in elements:
        assert element.name not in FORBIDDEN_ELEMENTS, element
        assert element.name in ALLOWED_TAGS, element
        for attribute, value in element.attrs.items():
            assert not re.fullmatch(r"on\w+", attribute, re.IGNORECASE), element
            assert attribute in ALLOWED_ATTRIBUTES.get(element.name, set()) | {"rel"}, element
            if attribute in URL_ATTRIBUTES:
                assert not dangerous_url(value), element
    # Belt and braces, without a parser: no on...= in any tag as written, outside its quoted attribute values.
    for tag in START_TAG.findall(rendered):
        assert not EVENT_HANDLER.search(QUOTED_VALUE.sub("=", tag)), tag


@pytest.mark.parametrize("source", XSS_VECTORS.values(), ids=XSS_VECTORS.keys())
def test_xss_vector_is_neutralised(source):
    assert_safe(render_markdown(source))


@pytest.mark.parametrize("source", XSS_VECTORS.values(), ids=XSS_VECTORS.keys())
def test_xss_vector_is_neutralised_inside_other_markdown(source):
    document = f"## Findings\n\n- first\n- {source}\n\n> {source}\n\n{source}\n\n| a |\n|---|\n| {source} |\n"
    assert_safe(render_markdown(document))


def test_the_safety_check_itself_catches_unsafe_html():
    """The assertions above would fail on what the vectors become without sanitising."""
    for unsafe in [
        "<script>x</script>",
        '<img src="x" onerror="alert(1)">',
        '<a href="jav&#x09;ascript:alert(1)">x</a>',
        '<a href="data:text/html,x">x</a>',
        "<iframe></iframe>",
        '<p style="color:red">x</p>',
    ]:
        with pytest.raises(AssertionError):
            assert_safe(unsafe)


def test_links_lose_only_their_dangerous_url():
    assert render_markdown("[click me](javascript:alert(1))") == '<p><a rel="noopener noreferrer">click me</a></p>'


def test_text_that_looks_like_html_in_code_is_shown_not_run():
    rendered = render_markdown("Type `<script>alert(1)</script>` to see the problem.")

    assert "<script" not in rendered
    assert parse(rendered).code.get_text() == "<script>alert(1)</script>"


def test_empty_and_missing_text_render_nothing():
    assert render_markdown("") == ""
    assert render_markdown(None) == ""


# --- What must survive ------------------------------------------------------------------------------------------------


def test_tables_survive_with_their_alignment():
    rendered = parse(render_markdown("| Stage | Count |\n|:---|---:|\n| Triage | 4 |\n| Ward | 12 |"))

    assert texts(rendered.select("table thead th")) == ["Stage", "Count"]
    assert [[cell.get_text() for cell in row.select("td")] for row in rendered.select("tbody tr")] == [
        ["Triage", "4"],
        ["Ward", "12"],
    ]
    assert [cell["align"] for cell in rendered.select("thead th")] == ["left", "right"]
    assert [cell["align"] for cell in rendered.select("tbody td")] == ["left", "right", "left", "right"]


def test_unordered_lists_survive():
    rendered = parse(render_markdown("- one\n- two\n- three"))

    assert texts(rendered.select("ul > li")) == ["one", "two", "three"]


def test_ordered_lists_survive_with_their_start_number():
    rendered = parse(render_markdown("3. three\n4. four"))

    assert rendered.ol["start"] == "3"
    assert texts(rendered.select("ol > li")) == ["three", "four"]


def test_nested_lists_survive():
    rendered = parse(render_markdown("1. first\n    - detail\n2. second"))

    assert texts(rendered.select("ol > li > ul > li")) == ["detail"]


@pytest.mark.parametrize(
    ("source", "href"),
    [
        ("[our site](https://example.org/reports/)", "https://example.org/reports/"),
        ("[old site](http://example.org/)", "http://example.org/"),
        ("[email us](mailto:learning@example.org)", "mailto:learning@example.org"),
        ("<https://example.org/courses/>", "https://example.org/courses/"),
        ("[report][r]\n\n[r]: https://example.org/r/1", "https://example.org/r/1"),
    ],
)
def test_safe_links_survive(source, href):
    link = parse(render_markdown(source)).a

    assert link["href"] == href
    assert link["rel"] == ["noopener", "noreferrer"]


def test_link_titles_survive():
    link = parse(render_markdown('[x](https://example.org "Our reports")')).a

    assert link["title"] == "Our reports"


def test_images_with_alt_text_survive():
    image = parse(render_markdown("![A ward corridor](https://example.org/ward.png)")).img

    assert (image["src"], image["alt"]) == ("https://example.org/ward.png", "A ward corridor")


def test_inline_code_survives():
    rendered = parse(render_markdown("Run `manage.py check` first."))

    assert rendered.code.get_text() == "manage.py check"


def test_fenced_code_blocks_survive_with_their_language():
    rendered = parse(render_markdown('```python\nif score >= 5:\n    escalate("<now>")\n```'))

    code = rendered.select_one("pre > code")
    assert code["class"] == ["language-python"]
    assert code.get_text() == 'if score >= 5:\n    escalate("<now>")\n'


def test_emphasis_quotes_and_headings_survive():
    rendered = parse(render_markdown("## What we found\n\n**Bold**, *italic* and ~~no~~.\n\n> A quotation"))

    assert texts(rendered.select("h2")) == ["What we found"]
    assert texts(rendered.select("strong, em")) == ["Bold", "italic"]
    assert texts(rendered.select("blockquote")) == ["A quotation"]


def test_a_top_level_heading_keeps_its_text_but_not_its_h1():
    """The page title is the only h1: a screen-reader user relies on that."""
    rendered = render_markdown("# Big title")

    assert "<h1" not in rendered
    assert "Big title" in rendered


def test_abbreviations_and_definition_lists_survive():
    rendered = parse(render_markdown("The NHS.\n\n*[NHS]: National Health Service\n\nRCA\n: Root cause analysis"))

    assert rendered.abbr["title"] == "National Health Service"
    assert texts(rendered.select("dl dt, dl dd")) == ["RCA", "Root cause analysis"]


# --- On a page --------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_markdown_block_renders_safely_on_a_page(client, home_page):
    markdown = "\n\n".join(
        [
            "## Learning prompts",
            "| Stage | Question |\n|---|---|\n| 1 | What did the team know at the time? |",
            "1. Read the report\n2. Discuss it",
            "[Read more](https://example.org/more)",
            *XSS_VECTORS.values(),
        ]
    )
    page = StandardPageFactory(
        parent=home_page, title="Prompts", body=json.dumps([{"type": "markdown", "value": markdown}])
    )

    response = client.get(page.url)

    assert response.status_code == HTTPStatus.OK
    block = soup(response).select_one("main .site-markdown")
    assert texts(block.select("h2")) == ["Learning prompts"]
    assert texts(block.select("table td")) == ["1", "What did the team know at the time?"]
    assert texts(block.select("ol > li")) == ["Read the report", "Discuss it"]
    assert block.find("a", string="Read more")["href"] == "https://example.org/more"
    # Exactly the sanitised HTML reaches the page: the template neither escapes it nor adds to it.
    rendered = render_markdown(markdown)
    assert f'<div class="site-markdown">{rendered}</div>' in response.text
    assert_safe(rendered)
    # The only scripts on the page are the site's own, outside the content.
    assert soup(response).select("main script, main iframe, main style, main form") == []
