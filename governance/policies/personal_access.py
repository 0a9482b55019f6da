"""Policy: no personal data in a port without an access-controlled grant path: an output
port whose asset has an accepted personal data class needs an access policy
(``access.PortAccessPolicy``) that says it holds personal data or has approval steps."""

from governance.models import ColumnClass
from governance.policies import Outcome, Policy


class PersonalDataAccessControlled(Policy):
    """Not applicable when no port holds personal data."""

    name = "personal-data-access"
    label = "Personal data only behind controlled access"
    description = "Ports holding personal data are granted through an approval path."

    def check(self, product) -> Outcome:
        """Ports with personal data vs their access policies."""
        from access.models import PortAccessPolicy

        ports = [p for p in product.output_ports.all() if p.asset_id]
        personal = set(
            ColumnClass.objects.filter(
                asset_id__in=[p.asset_id for p in ports],
                status="accepted",
                data_class__personal=True,
            ).values_list("asset_id", flat=True)
        )
        holding = [p for p in ports if p.asset_id in personal]
        if not holding:
            return Outcome(None, "no port holds classified personal data")
        policies = {pol.port_id: pol for pol in PortAccessPolicy.objects.filter(port__in=holding)}
        bad = [
            p.name
            for p in holding
            if p.pk not in policies or not (policies[p.pk].personal_data or policies[p.pk].steps)
        ]
        if bad:
            return Outcome(
                False,
                "personal data without an access policy: " + ", ".join(bad),
                "Give these ports an access policy with personal_data (a data-protection approval step): "
                + ", ".join(bad),
            )
        return Outcome(True, f"{len(holding)} port(s) with personal data behind an approval path")
