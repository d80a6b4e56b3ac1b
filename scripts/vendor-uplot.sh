#!/usr/bin/env bash
# Refresh the web panel's vendored chart library, uPlot, from the npm registry:
#   scripts/vendor-uplot.sh [VERSION]        (default: the version in use)
# npm checks the package against the registry's integrity hash; this copies its
# minified build, stylesheet and license into api/web/static/vendor/uplot/ and
# writes VERSION with their SHA-256s (tests/unit/test_web_panel.py checks them).
# Only a developer runs this; the panel serves the committed files, so neither
# `make demo` nor a browser needs the network.
set -euo pipefail
cd "$(dirname "$0")/.."
version=${1:-1.6.32}
dest=api/web/static/vendor/uplot
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "uplot@$version" >/dev/null && tar xzf "uplot-$version.tgz")
mkdir -p "$dest"
cp "$tmp/package/dist/uPlot.iife.min.js" "$tmp/package/dist/uPlot.min.css" "$tmp/package/LICENSE" "$dest/"
{
  echo "uplot $version, MIT license (LICENSE beside this file), from the npm registry:"
  echo "npm pack uplot@$version; refreshed by scripts/vendor-uplot.sh"
  (cd "$dest" && sha256sum uPlot.iife.min.js uPlot.min.css LICENSE)
} >"$dest/VERSION"
echo "vendored uplot $version into $dest"
