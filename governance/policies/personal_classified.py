"""Policy: personal-data columns of the product's port assets are classified: no
personal data class is still only *proposed* there (accept or reject each)."""

from governance.models import ColumnClass
from governance.policies import Outcome, Policy, port_assets


class PersonalDataClassified(Policy):
    """Not applicable without port assets."""

    name = "personal-data-classified"
    label = "Personal-data columns classified"
    description = "Every proposed personal data class on a published column is decided."

    def check(self, product) -> Outcome:
        """Open proposals of personal classes."""
        assets = port_assets(product)
        if not assets:
            return Outcome(None, "no port asset")
        open_ = list(
            ColumnClass.objects.filter(
                asset__in=assets, status="proposed", data_class__personal=True
            )
            .select_related("asset", "data_class")
            .order_by("asset__name", "field_name")
        )
        if open_:
            names = ", ".join(
                f"{c.asset.name}.{c.field_name} ({c.data_class.name})" for c in open_[:10]
            )
            return Outcome(
                False,
                f"{len(open_)} undecided personal-data proposal(s)",
                f"Accept or reject: {names}",
            )
        return Outcome(True, "every personal-data proposal is decided")
