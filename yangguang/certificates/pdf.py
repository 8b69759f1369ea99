"""The e-certificate as PDF, in two sizes: A4 to print, and card size (ID-1, 85.6 ×
54 mm) to keep on a phone, its back carrying the verification code. Chinese text uses
reportlab's built-in CID font STSong-Light (the reader's own Song typeface: nothing is
embedded or downloaded); the QR code is drawn from segno's matrix as vector squares.
Under the QR code (A4) or on the back (card) the token is printed in groups of four,
for a person who cannot scan it to type at ``/verify/``."""

from __future__ import annotations

import io

import segno
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas

from . import tokens
from .ecert import ECert

FONT = "STSong-Light"
CODE_FONT = "Courier"
#: Groups of the printed code per line.
CODE_GROUPS_PER_LINE = 6
CARD = (85.6 * mm, 54 * mm)
SIZES = {"a4": A4, "card": CARD}


def _font() -> str:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return FONT


def fields(ecert: ECert) -> list[tuple[str, str]]:
    """The lines of the certificate, label and value, as the page and PDF show them."""
    c = ecert.certificate
    return [
        (_("姓名"), ecert.holder),
        (_("证号"), c.number_masked),
        (_("残疾类别"), str(c.get_category_display())),
        (_("残疾等级"), str(c.get_level_display())),
        (_("有效期"), f"{c.issue_date:%Y-%m-%d} — {c.valid_until:%Y-%m-%d}"),
        (_("发证机关"), ecert.federation),
    ]


def _qr(canvas: Canvas, text: str, x: float, y: float, size: float) -> None:
    matrix = segno.make(text, error="m").matrix
    module = size / len(matrix)
    for row, cells in enumerate(matrix):
        for col, dark in enumerate(cells):
            if dark:
                canvas.rect(x + col * module, y + size - (row + 1) * module, module, module,
                            stroke=0, fill=1)


def _card(canvas: Canvas, ecert: ECert, verify_url: str) -> None:
    """Draw the card in card coordinates (85.6 × 54 mm, origin bottom left)."""
    font = _font()
    width, height = CARD
    canvas.setLineWidth(0.6)
    canvas.roundRect(1 * mm, 1 * mm, width - 2 * mm, height - 2 * mm, 3 * mm)
    canvas.setFont(font, 9)
    canvas.drawCentredString(width / 2, height - 7 * mm, _("中华人民共和国残疾人证"))
    canvas.setFont(font, 5.5)
    canvas.drawCentredString(width / 2, height - 10.5 * mm, _("电子证照"))
    # The photo placeholder: the holder's photo is not kept by the platform.
    canvas.setDash(1.5, 1.5)
    canvas.rect(4 * mm, 14 * mm, 18 * mm, 24 * mm)
    canvas.setDash()
    canvas.setFont(font, 6)
    canvas.drawCentredString(13 * mm, 25.5 * mm, _("照片"))
    y = height - 16 * mm
    for label, value in fields(ecert):
        canvas.setFont(font, 5.5)
        canvas.drawString(25 * mm, y, label)
        canvas.setFont(font, 6 if len(value) < 24 else 5)
        canvas.drawString(36 * mm, y, value)
        y -= 5.2 * mm
    _qr(canvas, verify_url, width - 21 * mm, 4 * mm, 17 * mm)
    canvas.setFont(font, 4)
    canvas.drawCentredString(width - 12.5 * mm, 2.2 * mm, _("扫码核验"))


def code_lines(token: str) -> list[str]:
    """The printed code, ``CODE_GROUPS_PER_LINE`` groups of four to a line."""
    groups = tokens.grouped(token).split(" ")
    return [" ".join(groups[i:i + CODE_GROUPS_PER_LINE])
            for i in range(0, len(groups), CODE_GROUPS_PER_LINE)]


def _form_url(ecert: ECert, verify_url: str) -> str:
    """The verification form's address: the verification address without its token."""
    return verify_url[:-len(ecert.token)]


def _code(canvas: Canvas, ecert: ECert, x: float, y: float, size: float, *,
          centre: bool = False) -> None:
    """Draw the code's lines from (x, y) down (``centre``: centred on x)."""
    canvas.setFont(CODE_FONT, size)
    lines = code_lines(ecert.token)
    if centre:
        x -= pdfmetrics.stringWidth(lines[0], CODE_FONT, size) / 2
    for line in lines:
        canvas.drawString(x, y, line)
        y -= size * 1.35


def _card_back(canvas: Canvas, ecert: ECert, verify_url: str) -> None:
    font = _font()
    width, height = CARD
    canvas.setLineWidth(0.6)
    canvas.roundRect(1 * mm, 1 * mm, width - 2 * mm, height - 2 * mm, 3 * mm)
    canvas.setFont(font, 8)
    canvas.drawCentredString(width / 2, height - 8 * mm, _("核验码"))
    canvas.setFont(font, 5.5)
    canvas.drawCentredString(width / 2, height - 13 * mm,
                             _("扫描正面二维码，或在核验页面输入以下核验码（区分大小写）："))
    canvas.setFont("Helvetica", 5.5)
    canvas.drawCentredString(width / 2, height - 17 * mm, _form_url(ecert, verify_url))
    _code(canvas, ecert, width / 2, height - 24 * mm, 7, centre=True)


def render_pdf(ecert: ECert, verify_url: str, size: str) -> bytes:
    """The e-certificate as a PDF of ``size``: "a4" (one page) or "card" (its front and
    back)."""
    out = io.BytesIO()
    page = SIZES[size]
    canvas = Canvas(out, pagesize=page, invariant=True)
    canvas.setTitle(_("残疾人证电子证照"))
    if size == "card":
        _card(canvas, ecert, verify_url)
        canvas.setFont(_font(), 4)
        canvas.drawCentredString(CARD[0] / 2, 2.2 * mm, _("核验码见背面"))
        canvas.showPage()
        _card_back(canvas, ecert, verify_url)
    else:
        scale = 2.0  # the card at twice its size, centred near the top of the page
        width, height = page
        canvas.saveState()
        canvas.translate((width - CARD[0] * scale) / 2, height - 40 * mm - CARD[1] * scale)
        canvas.scale(scale, scale)
        _card(canvas, ecert, verify_url)
        canvas.restoreState()
        canvas.setFont(_font(), 10)
        canvas.drawString(25 * mm, height - 70 * mm - CARD[1] * scale,
                          _("核验：扫描二维码，或打开以下地址"))
        canvas.setFont("Helvetica", 7)
        canvas.drawString(25 * mm, height - 76 * mm - CARD[1] * scale, verify_url)
        canvas.setFont(_font(), 10)
        canvas.drawString(25 * mm, height - 86 * mm - CARD[1] * scale,
                          _("无法扫码时，在核验页面 {url} 输入核验码（区分大小写）：").format(
                              url=_form_url(ecert, verify_url)))
        _code(canvas, ecert, 25 * mm, height - 94 * mm - CARD[1] * scale, 11)
    canvas.showPage()
    canvas.save()
    return out.getvalue()
