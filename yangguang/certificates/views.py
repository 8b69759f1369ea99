"""E-certificate pages: the certificate's page and PDF (staff, scoped, audited) and the
public verification page."""

from __future__ import annotations

import segno
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from yangguang.accounts.decorators import require_capability
from yangguang.accounts.permissions import Capability
from yangguang.audit.services import Actor
from yangguang.core.errors import ValidationFailed
from yangguang.registry.selectors import get_certificate_for

from . import ecert as ecerts
from . import pdf, tokens, verification


def _issue(request: HttpRequest, pk: int, form: str) -> ecerts.ECert:
    certificate = get_certificate_for(request.user, pk, Capability.VIEW_PERSON)
    return ecerts.issue_ecert(certificate, actor=Actor.of(request.user),
                              today=timezone.localdate(), form=form)


def _verify_url(request: HttpRequest, token: str) -> str:
    return request.build_absolute_uri(reverse("verify", args=[token]))


@never_cache
@require_safe
@require_capability(Capability.VIEW_PERSON)
def ecert(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        made = _issue(request, pk, "page")
    except ValidationFailed as exc:
        certificate = get_certificate_for(request.user, pk, Capability.VIEW_PERSON)
        return render(request, "certificates/ecert.html", {
            "certificate": certificate, "person": certificate.person,
            "problem": exc.problems[0].message}, status=409)
    url = _verify_url(request, made.token)
    qr = segno.make(url, error="m").svg_inline(scale=3, title=_("核验二维码"), svgclass="qr")
    return render(request, "certificates/ecert.html", {
        "certificate": made.certificate, "person": made.certificate.person, "ecert": made,
        "fields": pdf.fields(made), "qr": qr, "verify_url": url,
        "code": tokens.grouped(made.token),
    })


@never_cache
@require_safe
@require_capability(Capability.VIEW_PERSON)
def ecert_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    size = request.GET.get("size", "a4")
    if size not in pdf.SIZES:
        raise Http404
    try:
        made = _issue(request, pk, size)
    except ValidationFailed:
        raise Http404 from None  # the page says why; a PDF link is shown only when valid
    body = pdf.render_pdf(made, _verify_url(request, made.token), size)
    response = HttpResponse(body, content_type="application/pdf")
    # The file name carries the row id, not the number: names and numbers stay out of
    # download folders' listings and proxies' logs.
    response["Content-Disposition"] = f'attachment; filename="ecert-{pk}-{size}.pdf"'
    return response


@never_cache
@require_safe
def verify(request: HttpRequest, token: str) -> HttpResponse:
    """Public: anyone who scans the QR code lands here, signed in or not."""
    if not verification.allowed(request):
        return render(request, "certificates/verify.html", {"throttled": True}, status=429)
    result = verification.verify_token(token)
    return render(request, "certificates/verify.html", {"result": result})


@never_cache
@require_safe
def verify_form(request: HttpRequest) -> HttpResponse:
    """Public: the code printed under the QR code, typed or pasted, leads to its
    verification page."""
    form = verification.VerifyForm(request.GET if "code" in request.GET else None)
    if form.is_valid():
        return redirect("verify", token=form.cleaned_data["code"])
    return render(request, "certificates/verify_form.html", {"form": form})
