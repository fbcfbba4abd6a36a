"""Text people supplied (plan texts, measure names, faculty names, user names, file names) shown literally.

Streamlit renders most of what a page shows as Markdown with its own directives (`:red[…]`, `:material/…:`,
emoji shortcodes, `$…$` maths), and plotly renders chart text as a small HTML subset (`<b>`, `<a href>`,
`<br>`). A name such as `![x](http://evil/x.png)` would otherwise make every viewer's browser fetch an image.
So every user-supplied string passes through one of these on its way to the screen:

- `literal(text)`: for anything Streamlit renders as Markdown (st.markdown, st.caption, st.write of a string,
  alert bodies, metric labels and help, expander, status, tab and button labels, st.table cells);
- `plotted(text)`: for plotly titles, axis and legend labels, bar text and hover text.

Both make invisible controls harmless first (`visible`): bidi overrides and isolates (U+202A–U+202E,
U+2066–U+2069), which reorder what is displayed (`\\u202egnp.exe` shows as `exe.png`), become a visible mark
such as `⟨U+202E⟩`; other invisible format and control characters are removed. Data tables (st.dataframe)
and the board pack (its Typst template takes every text as data, never as markup) show text as text and take
the raw string.

Example:
    >>> literal("![x](http://evil/x.png) :red[alert]")
    '\\\\!\\\\[x\\\\]\\\\(http\\\\:\\\\/\\\\/evil\\\\/x\\\\.png\\\\) \\\\:red\\\\[alert\\\\]'
    >>> plotted("<img src=x> & $1$")
    '&lt;img src=x&gt; &amp; &#36;1&#36;'
"""

from __future__ import annotations

import functools
import re
import unicodedata
from datetime import date, datetime

# Bidi embeddings, overrides and isolates: they change the order in which the text around them is displayed.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Invisible format characters kept: joiners shape emoji sequences (👩‍🔬) and Indic and Persian scripts.
KEPT_FORMAT = frozenset("\u200c\u200d")
# An emoji tag sequence (the Scotland and Wales flags: 🏴 then tag letters then a cancel tag) is kept whole.
_FLAG = re.compile("\U0001f3f4[\U000e0020-\U000e007e]+\U000e007f")
# Every ASCII mark CommonMark, GFM and Streamlit give a meaning to (`/` too: Streamlit rewrites `:material/`
# in the source before parsing, where a backslash before the colon does not stop it).
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~$:&=/])")
# remark-emoji replaces `:name:` in the parsed text, after escapes are resolved, so a backslash cannot stop
# it: a word joiner (invisible, not a word character) after the opening colon breaks the pattern instead.
_SHORTCODE = re.compile(r":(?=[+\-]1:|[\w\-/]+:)")
WORD_JOINER = "\u2060"


def visible(text: object) -> str:
    """`text` with bidi controls shown as marks (`⟨U+202E⟩`) and other invisible controls removed; newlines and
    tabs are kept (None gives "").

    Example:
        >>> visible("\\u202egnp.exe"), visible("a\\u200bb\\x07c"), visible("line 1\\nline 2")
        ('⟨U+202E⟩gnp.exe', 'abc', 'line 1\\nline 2')
    """
    if text is None:
        return ""
    s = str(text)
    # The usual case, nothing to do: bidi controls are format characters, never printable, so a printable text
    # has none (one C call, not a Python loop over every character).
    if s.isprintable():
        return s
    flags = {m.start(): m.group() for m in _FLAG.finditer(s)}
    out: list[str] = []
    i = 0
    while i < len(s):
        if i in flags:
            out.append(flags[i])
            i += len(flags[i])
            continue
        c = s[i]
        i += 1
        if c in BIDI_CONTROLS:
            out.append(f"⟨U+{ord(c):04X}⟩")
        elif c in "\n\t" or c in KEPT_FORMAT:
            out.append(c)
        elif c == "\r":
            continue  # \r\n is a newline already; a lone \r would be one in a terminal, not here
        elif unicodedata.category(c) in ("Cc", "Cf", "Co", "Cs", "Cn") and not c.isprintable():
            continue
        else:
            out.append(c)
    return "".join(out)


def literal(text: object) -> str:
    """Markdown that Streamlit shows as exactly `text`: every Markdown, HTML, maths and directive mark is
    backslash-escaped and emoji shortcodes are broken, after `visible`. For user text inside a Markdown string
    the page writes (`st.markdown(f"**Owner:** {literal(owner)}")`), never for the page's own formatting.

    Example:
        >>> literal("**Dr Smith** <b>")
        '\\\\*\\\\*Dr Smith\\\\*\\\\* \\\\<b\\\\>'
        >>> literal(":smile: and :material/warning:")
        '\\\\:\\u2060smile\\\\: and \\\\:\\u2060material\\\\/warning\\\\:'
    """
    s = _SHORTCODE.sub(":" + WORD_JOINER, visible(text))
    return _MARKDOWN.sub(r"\\\1", s)


def plotted(text: object) -> str:
    """Text plotly shows as exactly `text`: `<`, `>` and `&` as entities (plotly reads `<b>`, `<a href>`, `<br>`
    and entities in every title, label and hover text), `$` as `&#36;` (text between dollars is typeset as
    LaTeX where MathJax is loaded), after `visible`; newlines become spaces (plotly breaks lines only at
    `<br>`).

    Example:
        >>> plotted("<a href='x'>R&D</a> $5")
        "&lt;a href='x'&gt;R&amp;D&lt;/a&gt; &#36;5"
    """
    s = visible(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return s.replace("$", "&#36;").replace("\n", " ").replace("\t", " ")


def unescape_literal(markdown: str) -> str:
    """What `literal` escaped, read back: the text a viewer sees (for tests and checks).

    Example:
        >>> unescape_literal(literal("![x](y) :smile:")) == "![x](y) :smile:"
        True
    """
    return re.sub(r"\\(.)", r"\1", markdown, flags=re.S).replace(WORD_JOINER, "")


@functools.lru_cache(maxsize=8192)  # a chart's table writes the same few hundred dates thousands of times
def day(d: object) -> str:
    """A date as the app and the board pack write it everywhere: "5 Oct 2020" ("–" for none). Accepts a date, a
    datetime or an ISO date string.

    Example:
        >>> from datetime import date
        >>> day(date(2020, 10, 5)), day("2019-03-31"), day(None)
        ('5 Oct 2020', '31 Mar 2019', '–')
    """
    if isinstance(d, str) and d:
        try:
            d = date.fromisoformat(d[:10])
        except ValueError:
            return str(d)
    if isinstance(d, datetime):
        d = d.date()
    if not isinstance(d, date):
        return "–"
    return f"{d.day} {d:%b %Y}"


# The same format for st.dataframe's DateColumn (moment.js tokens).
DAY_FORMAT_JS = "D MMM YYYY"


def plural(n: int, word: str, words: str | None = None) -> str:
    """'1 action', '3 actions', '1,200 evidence items': the one count wording of the product.

    Example:
        >>> plural(1, "action"), plural(1200, "evidence item"), plural(2, "person", "people")
        ('1 action', '1,200 evidence items', '2 people')
    """
    return f"{n:,} {word if n == 1 else (words or word + 's')}"


def listing(items: list[str], *, limit: int = 4) -> str:
    """'D1, D2 and D3'; longer lists end with 'and N more'.

    Example:
        >>> listing(["D1", "D2", "D3"]), listing(["A", "B", "C", "D", "E", "F"], limit=4)
        ('D1, D2 and D3', 'A, B, C, D and 2 more')
    """
    if not items:
        return ""
    if len(items) > limit:
        return ", ".join(items[:limit]) + f" and {len(items) - limit} more"
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
