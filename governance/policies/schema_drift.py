"""Policy: no output port's harvested schema drifts from its contract
(:func:`products.drift.contract_drift`: missing columns, type changes)."""

from governance.policies import Outcome, Policy


class NoSchemaDrift(Policy):
    """Not applicable when no port has both a contract and a harvested asset."""

    name = "no-schema-drift"
    label = "No schema drift from the contract"
    description = "What a port publishes matches the columns its contract promises."

    def check(self, product) -> Outcome:
        """Drift per port."""
        from products.drift import contract_drift

        checked, drifted = 0, []
        for port in product.output_ports.all():
            drift = contract_drift(port)
            if drift is None:
                continue
            checked += 1
            if drift["drifted"]:
                what = [
                    *(f"missing {c}" for c in drift["missing"]),
                    *(f"type of {t['column']}" for t in drift["type_changes"]),
                    *(f"extra {c}" for c in drift["extra"]),
                ]
                drifted.append(f"{port.name}: {', '.join(what[:5])}")
        if not checked:
            return Outcome(None, "no port with a contract and a harvested asset")
        if drifted:
            return Outcome(
                False,
                "; ".join(drifted),
                "Fix the tables or update the contracts: " + "; ".join(drifted),
            )
        return Outcome(True, f"{checked} port(s) match their contracts")
