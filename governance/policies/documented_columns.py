"""Policy: at least ``MESH_POLICY_DOC_THRESHOLD`` (default 0.8) of the columns of the
product's output-port assets have a description (curated or harvested)."""

from django.conf import settings

from catalog.models import Field
from governance.policies import Outcome, Policy, port_assets


class DocumentedColumns(Policy):
    """Not applicable when no port asset has columns."""

    name = "documented-columns"
    label = "Columns documented"
    description = "Most columns of what a product publishes say what they hold."

    def check(self, product) -> Outcome:
        """Share of described columns vs the threshold."""
        threshold = float(getattr(settings, "MESH_POLICY_DOC_THRESHOLD", 0.8))
        assets = port_assets(product)
        fields = list(Field.objects.filter(asset__in=assets).select_related("asset"))
        if not fields:
            return Outcome(None, "no columns known")
        undocumented = [f for f in fields if not (f.effective_description or "").strip()]
        share = 1 - len(undocumented) / len(fields)
        detail = (
            f"{share:.0%} of {len(fields)} columns documented (at least {threshold:.0%} wanted)"
        )
        if share + 1e-9 < threshold:
            names = ", ".join(f"{f.asset.name}.{f.name}" for f in undocumented[:10])
            more = f" and {len(undocumented) - 10} more" if len(undocumented) > 10 else ""
            return Outcome(False, detail, f"Describe: {names}{more}")
        return Outcome(True, detail)
