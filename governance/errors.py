"""The one error the governance services raise for bad input."""


class GovernanceError(ValueError):
    """Bad input to a governance write: ``errors`` maps the item (``description``,
    ``fields.Email.tags``, ``terms``...) to a list of reasons. API views answer it with 400
    and this mapping; pages show the reasons; commands print them."""

    def __init__(self, errors: dict[str, list[str]] | str, item: str = "detail") -> None:
        self.errors = errors if isinstance(errors, dict) else {item: [errors]}
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in self.errors.items()))


class Forbidden(PermissionError):
    """The user may not make this change (API: 403, pages: 403)."""
