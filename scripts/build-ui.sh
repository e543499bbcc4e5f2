#!/usr/bin/env bash
# Builds the web UI into ui/dist (served by `loupe` at "/"). Idempotent and quiet:
# installs node_modules only when package-lock.json changed, rebuilds only when
# a source changed (the API's description included: the UI's types are
# generated from src/server/openapi/openapi.yaml). Skips with a message if npm
# is not installed.
set -euo pipefail
cd "$(dirname "$0")/../ui"
if ! command -v npm >/dev/null 2>&1; then
  echo "build-ui: npm not found; skipping the web UI (install Node.js 20+ and npm to build ui/dist)" >&2
  exit 0
fi
stamp=node_modules/.loupe-lock-stamp
if [[ ! -d node_modules || ! -f $stamp ]] || ! cmp -s package-lock.json "$stamp" 2>/dev/null; then
  if [[ -f package-lock.json ]]; then
    npm ci --no-audit --no-fund --loglevel=error >/dev/null
  else
    npm install --no-audit --no-fund --loglevel=error >/dev/null
  fi
  cp package-lock.json "$stamp" 2>/dev/null || true
fi
if [[ -f dist/index.html && -z ${FORCE:-} ]] &&
   [[ -z $(find src index.html public vite.config.ts tsconfig.json package.json ../src/server/openapi/openapi.yaml \
           -newer dist/index.html -print -quit 2>/dev/null) ]]; then
  echo "build-ui: ui/dist is up to date"
  exit 0
fi
npm run --silent build -- --logLevel error >/dev/null
echo "build-ui: built ui/dist"
