"""What governance adds to the catalog's asset page (through :mod:`catalog.pages`):

* a **Curation** panel: the shown description and, when a curated one differs from
  the harvested one, both, saying which is shown; the curated tags, owners and glossary
  terms; for owners, stewards and admins an inline edit form;
* under the Schema tab, the columns' curation form (description, tags, terms);
* a **History** tab: every curation change with author and time.
"""

from catalog.pages import AssetTab, PageExtension


class GovernancePages(PageExtension):
    """The asset page's governance panel, column editor and History tab."""

    panel_template = "governance/_panel.html"
    header_template = "governance/_header.html"

    def tabs(self, asset, is_job: bool) -> list[AssetTab]:
        """The Classification tab (datasets) and the History tab (every asset)."""
        tabs = (
            []
            if is_job
            else [
                AssetTab("classification", "Classification", "governance/_classification_tab.html")
            ]
        )
        return [*tabs, AssetTab("edits", "Edit history", "governance/_history_tab.html")]

    def header_context(self, asset, is_job: bool) -> dict:
        """``{"gov": {...}}``: term links, curated owners and tags, column classes and the
        sensitivity level, for the header, panel and tabs (four queries)."""
        from governance.curation import CURATED
        from governance.models import TermLink

        links = list(
            TermLink.objects.filter(asset=asset)
            .select_related("term", "propagated_from__asset")
            .order_by("field_name", "term__name")
        )
        from catalog.models import Ownership
        from governance.classification import asset_classes, highest
        from governance.models import AssetSensitivity, Sensitivity

        every = getattr(asset, "all_ownerships", None)  # prefetched by the asset page
        if every is None:
            every = list(Ownership.all_objects.filter(asset=asset).select_related("owner"))
        curated_owners = [o for o in every if o.origin == CURATED and not o.hidden]
        other_owners = sorted(
            (o for o in every if o.origin != CURATED), key=lambda o: (o.owner.name, o.type)
        )
        classes = [] if is_job else asset_classes(asset)
        set_level = (
            ""
            if is_job
            else AssetSensitivity.objects.filter(asset=asset)
            .values_list("level", flat=True)
            .first()
        )
        return {
            "gov": {
                "classes": classes,
                "accepted": [c for c in classes if c.status == "accepted"],
                "proposed": [c for c in classes if c.status == "proposed"],
                "level": highest(
                    [set_level, *(c.data_class.level for c in classes if c.status == "accepted")]
                ),
                "set_level": set_level or "",
                "levels": Sensitivity.values,
                "asset_terms": [link for link in links if not link.field_name],
                "column_terms": _by_column(links),
                "curated_owners": curated_owners,
                "harvested_owners": other_owners,
                "hidden_owners": [o for o in other_owners if o.hidden],
                "curated_owner_lines": "\n".join(
                    f"{o.owner.name} {o.type}" for o in curated_owners
                ),
                "curated_tag_names": [t.name for t in asset.curated_tags.all()],
            }
        }

    def tab_context(self, request, asset, tab: str) -> dict:
        """``gov_can_curate`` (may the visitor edit: forms shown), and the curation
        history when the History tab is open."""
        from governance.curation import history
        from governance.permissions import may_curate

        context = {"gov_can_curate": may_curate(request.user, asset)}
        if tab == "edits":
            context["curation_history"] = history(asset)
        return context

    def tab_templates(self, asset, tab: str) -> list[str]:
        """The column editor above the schema table."""
        return ["governance/_columns_edit.html"] if tab == "schema" else []


def _by_column(links) -> dict[str, list]:
    columns: dict[str, list] = {}
    for link in links:
        if link.field_name:
            columns.setdefault(link.field_name, []).append(link)
    return columns
