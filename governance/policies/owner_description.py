"""Policy: the product has an owning team and a description (purpose)."""

from governance.policies import Outcome, Policy


class OwnerAndDescription(Policy):
    """Passes when ``owner_team`` is set and ``purpose`` is not blank."""

    name = "owner-description"
    label = "Has an owner and a description"
    description = "Every product names the team that owns it and says what it is for."

    def check(self, product) -> Outcome:
        """Owner team and purpose."""
        missing = []
        if product.owner_team_id is None:
            missing.append("an owner team")
        if not (product.purpose or "").strip():
            missing.append("a description (purpose)")
        if missing:
            return Outcome(
                False,
                f"missing {' and '.join(missing)}",
                f"Edit the product: add {' and '.join(missing)}.",
            )
        return Outcome(True, f"owned by {product.owner_team.name}")
