"""Team pages: everyone signed in sees teams, members with roles and their products;
staff create and edit teams and manage members (roles, add, remove) without the admin.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from identity.decorators import read_access
from products.forms import TeamForm, TeamMemberFormSet
from products.models import DataProduct, EditRecord, Team, TeamMembership
from products.permissions import is_admin
from products.services import TeamEdit


@read_access
def team_list(request):
    """All teams with members (username, role), owned domains and products, and each
    team's edit history (newest first, collapsed)."""
    teams = Team.objects.prefetch_related(
        Prefetch(
            "memberships",
            queryset=TeamMembership.objects.select_related("user").order_by(
                "role", "user__username"
            ),
        ),
        Prefetch("products", queryset=DataProduct.objects.only("uid", "name", "owner_team")),
        "domains",
        Prefetch("history", queryset=EditRecord.objects.select_related("user")),
    )
    return render(
        request, "products/team_list.html", {"teams": teams, "can_edit": is_admin(request.user)}
    )


@login_required
def team_edit(request, slug: str | None = None):
    """Create (no ``slug``) or edit a team and its members; staff only (403 otherwise).

    POST saves the team form and the member formset in one transaction; any error
    (unknown username, duplicate member, taken slug) re-renders the page with the
    error next to its field and saves nothing.
    """
    if not is_admin(request.user):
        raise PermissionDenied("Only staff may edit teams.")
    team = get_object_or_404(Team, slug=slug) if slug else None
    data = request.POST if request.method == "POST" else None
    form = TeamForm(data, instance=team)
    formset = TeamMemberFormSet(data, instance=team or Team(), prefix="members")
    if data is not None and form.is_valid() and formset.is_valid():
        # snapshot the stored team: validating the form wrote into ``team``
        stored = Team.objects.get(pk=team.pk) if team else None
        with TeamEdit(stored, request.user, "update" if team else "create") as change:
            saved = change.obj = form.save()
            formset.instance = saved
            formset.save()
        messages.success(request, f"Team {saved.name} saved.")
        return redirect(f"{reverse('products:teams')}#team-{saved.slug}")
    title = f"Edit team {team.name}" if team else "New team"
    return render(
        request,
        "products/team_form.html",
        {"form": form, "formset": formset, "team": team, "title": title},
    )
