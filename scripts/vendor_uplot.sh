#!/usr/bin/env bash
# Fetch uPlot from the npm registry into static/vendor/uplot/ (no CDN at run time).
# Usage: scripts/vendor_uplot.sh [version]   (default: the version in VERSION)
# Keeps the ES module build, its stylesheet and the MIT licence, and writes VERSION with the
# tarball's sha512 integrity as the registry reports it.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
target="$here/static/vendor/uplot"
version="${1:-$(sed -n 's/^version=//p' "$target/VERSION" 2>/dev/null || true)}"
version="${version:-1.6.32}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
npm pack "uplot@$version" --silent >/dev/null
tar xzf "uplot-$version.tgz"
mkdir -p "$target"
cp package/dist/uPlot.esm.js package/dist/uPlot.min.css package/LICENSE "$target/"
integrity="$(npm view "uplot@$version" dist.integrity)"
printf 'name=uplot\nversion=%s\nintegrity=%s\nfiles=uPlot.esm.js uPlot.min.css LICENSE\nfetched-by=scripts/vendor_uplot.sh\n' \
  "$version" "$integrity" > "$target/VERSION"
echo "uPlot $version -> $target"
