"""Policy: the product's enabled SLOs are met over their windows (none breached)."""

from governance.policies import Outcome, Policy


class SLOsMet(Policy):
    """Breached SLOs fail; "at risk" and "met" pass; no SLO or no data: not applicable."""

    name = "slos-met"
    label = "SLOs met over the window"
    description = "No SLO of the product is breached over its window (products.slo)."

    def check(self, product) -> Outcome:
        """SLO states from :func:`products.slo.compute_statuses`."""
        from products.slo import compute_statuses

        slos = [s for port in product.output_ports.all() for s in port.slos.all() if s.enabled]
        if not slos:
            return Outcome(None, "no SLO")
        states = compute_statuses(slos)
        breached = [s.name for s in slos if states[s.pk].state == "breached"]
        known = [s for s in slos if states[s.pk].state != "no data"]
        if breached:
            return Outcome(
                False, "breached: " + ", ".join(breached), "Restore: " + ", ".join(breached)
            )
        if not known:
            return Outcome(None, "no SLO has data yet")
        return Outcome(True, f"{len(known)} SLO{'s' if len(known) != 1 else ''} met")
