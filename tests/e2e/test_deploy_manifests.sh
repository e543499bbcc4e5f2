#!/usr/bin/env bash
# deploy/: plain manifests == Helm chart with defaults, RBAC read-only on
# exactly the watched resources, agent mounts and capabilities, and
# values.schema.json refusing wrong values.
set -euo pipefail
SRC=${LOUPE_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
python3 -c 'import yaml, jsonschema' 2>/dev/null || { echo "needs python3-yaml and python3-jsonschema (apt-get install python3-yaml python3-jsonschema)" >&2; exit 1; }
python3 "$SRC/tests/k8s/check_manifests.py" "$SRC"
