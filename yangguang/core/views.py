"""Pages that belong to no single domain app."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from yangguang.regions.models import Region
from yangguang.registry.models import Certificate, CertificateStatus, Person


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    """The landing page: what the platform is and how much it holds."""
    counts = {
        "regions": Region.objects.filter(valid_until__isnull=True).count(),
        "persons": Person.objects.filter(deceased_date__isnull=True).count(),
        "certificates": Certificate.objects.filter(status=CertificateStatus.VALID).count(),
    }
    return render(request, "home.html", {"counts": counts})
