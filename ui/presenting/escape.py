"""User-written text made inert for the place it is shown: the one home of escaping in the app.

Everything in a study is written by whoever uploaded it: the line, station, product and
characteristic names, units, the currency, lever station lists, file names, and every error message
that quotes a value. Each of them is text, never markup: wherever it meets HTML, Markdown
(Streamlit's elements render it, images and links included), Graphviz DOT or Plotly's pseudo-HTML,
it goes through the function for that place, so a name such as `<img src=x onerror=...>` or
`![x](http://example.invalid/x.png)` is shown as those characters and runs or fetches nothing.

All of them start from `plain`: one line, with control characters (ANSI escape sequences, bidi
overrides, newlines that would start a new Markdown block) shown as visible escapes.
"""

from __future__ import annotations

import html as _html
import re
import string
import unicodedata

_INVISIBLE = {"Cc", "Cf", "Zl", "Zp"}
"""Unicode categories shown as escapes: controls, format characters (bidi overrides, zero-width
joiners), line and paragraph separators. None of them belongs in a name."""

_MARKDOWN_SPECIAL = re.compile("([" + re.escape(string.punctuation) + "])")
"""CommonMark lets a backslash escape any ASCII punctuation; escaping all of it also covers
Streamlit's own syntax (`:material/icon:`, `:red[...]`, `$math$`) without a list to keep current."""


_AUTOLINK = re.compile(r"(?<=:)(?=//)|(?<=www)(?=\.)|(?<=@)", re.IGNORECASE)
"""Where GitHub-flavoured Markdown would turn bare text into a link (`http://`, `www.`, `a@b.c`). Its
autolinks are found in the text after escapes are read, so a backslash does not stop them; a
WORD JOINER (U+2060, invisible) at these places does."""
WORD_JOINER = "\u2060"


def _visible(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def plain(text: object) -> str:
    """`text` on one line with every invisible or control character as a visible escape (`\\x1b`)."""
    value = "" if text is None else str(text)
    if value.isprintable() and "\t" not in value:
        return value
    return "".join(_visible(c) if unicodedata.category(c) in _INVISIBLE else c for c in value)


def html(text: object) -> str:
    """For HTML text and attribute values (the report): `<`, `>`, `&` and both quotes as entities."""
    return _html.escape(plain(text), quote=True)


def markdown(text: object) -> str:
    """For Markdown (st.markdown, st.caption, st.error, widget labels, the trainer's narrative): every
    ASCII punctuation character backslash-escaped, so no emphasis, link, image, HTML tag, code span,
    heading, table, directive or formula can start inside the text, and an invisible word joiner
    where a bare URL or e-mail address would become a link; it renders as written."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", _AUTOLINK.sub(WORD_JOINER, plain(text)))


def dot(text: object) -> str:
    """For Graphviz DOT: inside an HTML-like label `<...>` or a quoted attribute `"..."`. Graphviz
    reads entities in both, so HTML escaping plus the backslash (which starts `\\N`, `\\"` escapes in a
    quoted string) as an entity keeps the text from closing either."""
    return html(text).replace("\\", "&#92;")


def plotly(text: object) -> str:
    """For Plotly titles, axis and tick labels, legend names, annotations and hover templates. Plotly
    renders a few tags (`<b>`, `<a href>`, `<span style>`) and decodes numeric entities, so `<`, `>`
    and `&` become entities, and so does `%`, which would start a `%{variable}` in a hover template.
    Quotes stay as they are (Plotly does not decode `&quot;`, and text outside a tag cannot reach an
    attribute)."""
    return (plain(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace("%", "&#37;"))


def file_stem(text: object, fallback: str = "study") -> str:
    """A download's file name from a user's name: letters, digits, `-` and `_` only, never empty or
    hidden (`../../x` → `x`)."""
    stem = re.sub(r"[^\w\-]+", "_", str(text or "")).strip("_.-").lower()
    return stem[:80] or fallback
