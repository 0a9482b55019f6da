"""The manual provisioner: an owner grants outside the catalog and marks it done."""

from access.provisioners import Outcome, Provisioner


class ManualProvisioner(Provisioner):
    """Grant: waits (``done`` False) until an owner presses "Mark as provisioned"
    (:func:`access.services.mark_provisioned`). Revoke: recorded as done; the owner
    takes the access back outside the catalog."""

    name = "manual"

    def __init__(self, **options):
        self.options = options

    def grant(self, request) -> Outcome:
        """Nothing to execute; the grant waits for an owner."""
        return Outcome(done=False, statements=["manual: waiting for an owner"])

    def revoke(self, request) -> Outcome:
        """Nothing to execute."""
        return Outcome(done=True, statements=["manual: revoke outside the catalog"])
