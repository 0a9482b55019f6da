#!/usr/bin/env bash
# Install the test OpenID Connect provider (oidc-provider, pinned by package-lock.json).
set -euo pipefail
cd "$(dirname "$0")"
command -v npm >/dev/null || { echo "services: npm missing (apt-get install -y nodejs npm)" >&2; exit 1; }
if [ ! -d node_modules/oidc-provider ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
