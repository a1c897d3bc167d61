r"""Strings from files shown as text, never as markdown or HTML.

File names, Overlay Labels, Descriptions, Types and every message that quotes them are
chosen by whoever made the file. Streamlit renders the text of ``st.markdown``,
``st.caption``, ``st.error`` and widget labels as markdown, with emoji shortcodes,
``:material/…:`` icons, ``:red[…]`` colours and ``$…$`` formulas. :func:`plain` makes
such a string inert: every ASCII punctuation character is backslash-escaped (CommonMark
shows an escaped character as itself), so no link, emphasis, heading, list, code, HTML,
directive, icon, emoji shortcode or formula can form; control characters and line
breaks become spaces, so the string stays on its line.

>>> plain("**x** [a](http://e.example) :red[y] :smile: $z$")
'\\*\\*x\\*\\* \\[a\\]\\(http\\:\\/\\/e\\.example\\) \\:red\\[y\\] \\:smile\\: \\$z\\$'
"""

from __future__ import annotations

import string

__all__ = ["plain"]

_ESCAPE = {ord(c): "\\" + c for c in string.punctuation}
_ESCAPE.update({code: " " for code in (*range(0x20), 0x7F, 0x2028, 0x2029, 0x85)})


def plain(text: object, limit: int = 2000) -> str:
    r"""Return ``text`` escaped so Streamlit's markdown shows it literally.

    Parameters
    ----------
    text : object
        Anything; ``str(text)`` is shown.
    limit : int
        At most this many characters of ``text`` are shown (an ellipsis marks a cut).

    >>> plain("scan_01.dcm"), plain("a\nb")
    ('scan\\_01\\.dcm', 'a b')
    """
    raw = str(text)
    if len(raw) > limit:
        raw = raw[: limit - 1] + "…"
    return raw.translate(_ESCAPE)
