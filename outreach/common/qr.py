"""QR codes as SVG: paths only, no style attribute, so they show under the Content
Security Policy and print sharp at any size. Level Q survives a quarter of a poster or
slip torn, creased or stained; segno raises it further when the text fits anyway."""

import io

import segno
from django.utils.safestring import SafeString, mark_safe


def svg_bytes(text: str, *, title: str, xmldecl: bool = True) -> bytes:
    out = io.BytesIO()
    segno.make(text, error="q").save(out, kind="svg", border=4, omitsize=True, title=title, xmldecl=xmldecl)
    return out.getvalue()


def svg_inline(text: str, *, title: str) -> SafeString:
    """For a page's markup: segno's own, the title escaped by segno."""
    return mark_safe(svg_bytes(text, title=title, xmldecl=False).decode())
