r"""Strings from files shown as text, never as markdown or HTML.

File names, Overlay Labels, Descriptions, Types and every message that quotes them are
chosen by whoever made the file. Streamlit renders the text of ``st.markdown``,
``st.caption``, ``st.error`` and widget labels as markdown, with emoji shortcodes,
``:material/…:`` icons, ``:red[…]`` colours, ``$…$`` formulas and GitHub's autolinks.
:func:`plain` makes such a string inert:

- every ASCII punctuation character is backslash-escaped (CommonMark shows an escaped
  character as itself), so no link, emphasis, heading, list, code, HTML, directive,
  icon or formula can form;
- an invisible U+2060 WORD JOINER follows every ``:`` and precedes every ``@`` and the
  ``.`` of ``www.``, because emoji shortcodes and autolinks (``http://…``, ``www.…``,
  e-mail addresses) are found in the text *after* escapes are resolved;
- control characters and line breaks become spaces, so the string stays on its line.

>>> plain("**x** [a](http://e.example)")
'\\*\\*x\\*\\* \\[a\\]\\(http\\:\u2060\\/\\/e\\.example\\)'
"""

from __future__ import annotations

import re
import string

__all__ = ["JOINER", "plain"]

#: U+2060 WORD JOINER: invisible, and breaks the patterns found in text nodes.
JOINER = "\u2060"

_ESCAPE = {ord(c): "\\" + c for c in string.punctuation}
_ESCAPE.update({code: " " for code in (*range(0x20), 0x7F, 0x2028, 0x2029, 0x85)})
_ESCAPE[ord(":")] = "\\:" + JOINER
_ESCAPE[ord("@")] = JOINER + "\\@"
_WWW = re.compile(r"(www)(?=\\\.)", re.IGNORECASE)


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
    return _WWW.sub(r"\1" + JOINER, raw.translate(_ESCAPE))
