"""Web views of the usage app: the usage section of an output port (loaded by the
product page) and the viewer's usage-recording preference."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render

from products.models import OutputPort
from usage.catalog_usage import records_views, set_record_views
from usage.queries import port_usage


def port_section(request, port_id: int):
    """``GET /usage/ports/<id>/section``: queries, users, page views and consumers of an
    output port over the popularity window (an HTML fragment; 404 for an unknown port)."""
    port = get_object_or_404(OutputPort.objects.select_related("product", "asset"), pk=port_id)
    return render(request, "usage/_port_usage.html", {"port": port, "pu": port_usage(port)})


@login_required
def preferences(request):
    """``/usage/preferences``: whether the viewer's asset page views are linked to them
    (GET shows the choice, POST ``record_views=on|off`` stores it and redirects)."""
    if request.method == "POST":
        choice = request.POST.get("record_views")
        if choice not in ("on", "off"):
            messages.error(request, "record_views must be 'on' or 'off'.")
            return render(request, "usage/preferences.html", _prefs(request), status=400)
        set_record_views(request.user, choice == "on")
        messages.success(request, "Your usage preference was saved.")
        return redirect("usage:preferences")
    return render(request, "usage/preferences.html", _prefs(request))


def _prefs(request) -> dict:
    return {
        "record_views": records_views(request.user),
        "globally_on": settings.MESH_USAGE_RECORD_USERS,
    }
