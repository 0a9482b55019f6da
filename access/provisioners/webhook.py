"""The webhook provisioner: POST a signed JSON document for each grant and revoke.

Options (``MESH_ACCESS_PROVISIONERS["webhook"]``): ``url`` (env
``MESH_ACCESS_WEBHOOK_URL``), ``secret`` (env ``MESH_ACCESS_WEBHOOK_SECRET``),
``timeout`` seconds (default 10), ``retries`` (default 3, with 0.5 s, 1 s, 2 s... pauses).
The body is ``{"event": "grant"|"revoke", "request": id, "consumer": username,
"principal": role, "level", "end_date", "product": uid, "port": name, "asset": urn}``;
header ``X-Mesh-Signature: sha256=<hex HMAC-SHA256 of the body with the secret>`` (the
GitHub webhook convention). Any 2xx answer is success.
"""

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request

from access.provisioners import Outcome, Provisioner, ProvisioningError

SIGNATURE_HEADER = "X-Mesh-Signature"


def sign(secret: str, body: bytes) -> str:
    """``sha256=<hex>``: HMAC-SHA256 of ``body`` with ``secret``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class WebhookProvisioner(Provisioner):
    """Signed POSTs (see the module docstring)."""

    name = "webhook"

    def __init__(self, url: str = "", secret: str = "", timeout: float = 10, retries: int = 3):
        self.url, self.secret = url, secret
        self.timeout, self.retries = float(timeout), int(retries)

    def document(self, request, event: str) -> dict:
        """The JSON document sent for ``event`` (``grant`` or ``revoke``)."""
        port = request.port
        return {
            "event": event,
            "request": request.pk,
            "consumer": request.consumer.get_username(),
            "principal": request.role,
            "level": request.level,
            "end_date": request.end_date.isoformat(),
            "product": port.product.uid,
            "port": port.name,
            "asset": port.asset_urn,
        }

    def _post(self, request, event: str) -> Outcome:
        if not self.url or not self.secret:
            raise ProvisioningError("the webhook provisioner needs a url and a secret")
        body = json.dumps(self.document(request, event), sort_keys=True).encode()
        last = ""
        for attempt in range(max(1, self.retries)):
            if attempt:
                time.sleep(0.5 * 2 ** (attempt - 1))
            req = urllib.request.Request(
                self.url,
                data=body,
                method="POST",
                headers={
                    "Content-Type": "application/json",
                    SIGNATURE_HEADER: sign(self.secret, body),
                },
            )
            try:
                with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                    return Outcome(
                        done=True, statements=[f"POST {self.url} {event}: {resp.status}"]
                    )
            except urllib.error.HTTPError as exc:
                last = f"HTTP {exc.code} {exc.reason}"
                if 400 <= exc.code < 500 and exc.code != 429:
                    break
            except (urllib.error.URLError, OSError) as exc:
                last = str(getattr(exc, "reason", exc))
        raise ProvisioningError(f"webhook {self.url} failed: {last}")

    def grant(self, request) -> Outcome:
        """POST the grant document."""
        return self._post(request, "grant")

    def revoke(self, request) -> Outcome:
        """POST the revoke document."""
        return self._post(request, "revoke")
