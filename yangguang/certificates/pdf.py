"""The e-certificate as PDF, in two sizes: A4 to print, and card size (ID-1, 85.6 ×
54 mm) to keep on a phone. Chinese text uses reportlab's built-in CID font STSong-Light
(the reader's own Song typeface: nothing is embedded or downloaded); the QR code is
drawn from segno's matrix as vector squares."""

from __future__ import annotations

import io

import segno
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas

from .ecert import ECert

FONT = "STSong-Light"
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


def render_pdf(ecert: ECert, verify_url: str, size: str) -> bytes:
    """The e-certificate as a one-page PDF of ``size`` ("a4" or "card")."""
    out = io.BytesIO()
    page = SIZES[size]
    canvas = Canvas(out, pagesize=page, invariant=True)
    canvas.setTitle(_("残疾人证电子证照"))
    if size == "card":
        _card(canvas, ecert, verify_url)
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
    canvas.showPage()
    canvas.save()
    return out.getvalue()
