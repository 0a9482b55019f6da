"""Policy: every output port has a data contract and at least one enabled SLO."""

from governance.policies import Outcome, Policy


class PortsHaveContractsAndSLOs(Policy):
    """Not applicable without output ports."""

    name = "ports-contracts-slos"
    label = "Output ports have a contract and SLOs"
    description = "Consumers rely on what a port promises: a contract and objectives."

    def check(self, product) -> Outcome:
        """Contract and SLOs per port."""
        ports = list(product.output_ports.all())
        if not ports:
            return Outcome(None, "no output port")
        bad = []
        for port in ports:
            lacks = []
            if port.data_contract_id is None:
                lacks.append("contract")
            if not any(s.enabled for s in port.slos.all()):
                lacks.append("SLO")
            if lacks:
                bad.append(f"{port.name} (no {' or '.join(lacks)})")
        if bad:
            return Outcome(
                False, "; ".join(bad), "Add a data contract and an SLO to: " + ", ".join(bad)
            )
        return Outcome(
            True, f"{len(ports)} port{'s' if len(ports) != 1 else ''} with contract and SLOs"
        )
