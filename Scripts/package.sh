#!/usr/bin/env bash
# Builds a release of scollect-etl and packages it for Debian 12 (bookworm) and the like:
#   dist/scollect-etl_<version>_amd64.deb     (Depends: from dpkg-shlibdeps, plus ca-certificates, tzdata)
#   dist/scollect-etl_<version>_amd64.tar.gz  (scollect-etl-<version>/bin, share/: unpack under /usr/local or /opt)
# Both hold the binary (Swift runtime linked statically where the toolchain allows), the man pages
# (docs/man), the reference (docs/reference.md), bash/zsh/fish completions, and the sample
# pipelines and data in share/scollect-etl/, which `scollect-etl demo` finds outside a checkout.
#
#   bash Scripts/package.sh              # build (about 8 minutes on 2 cores) and package
#   bash Scripts/package.sh --no-build   # package the release binary already built
# OUT=folder changes dist/. Needs dpkg-dev (dpkg-shlibdeps) and the -dev packages of setup.sh.
# Proved in a clean Debian root by Scripts/check-package.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=${OUT:-$ROOT/dist}
BUILD=1
for arg in "$@"; do
  case "$arg" in
    --no-build) BUILD=0 ;;
    -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "package.sh: unknown argument $arg" >&2; exit 2 ;;
  esac
done
command -v dpkg-shlibdeps >/dev/null || { echo "package.sh: dpkg-shlibdeps missing: apt-get install dpkg-dev" >&2; exit 1; }
ARCH=$(dpkg --print-architecture)

# 1. The release build: the Swift runtime static if the toolchain has its static libraries.
STATIC=(--static-swift-stdlib)
if ! ls "$(dirname "$(readlink -f "$(command -v swiftc)")")"/../lib/swift_static/linux/libswiftCore.a >/dev/null 2>&1; then
  echo "package.sh: this toolchain has no static Swift runtime; linking it dynamically (the package then needs it installed)" >&2
  STATIC=()
fi
if [ "$BUILD" = 1 ]; then
  swift build -c release "${STATIC[@]}"
fi
BIN=$(swift build -c release "${STATIC[@]}" --show-bin-path)/scollect-etl
[ -x "$BIN" ] || { echo "package.sh: $BIN not built (run without --no-build)" >&2; exit 1; }
"$BIN" --help >/dev/null || { echo "package.sh: $BIN does not run" >&2; exit 1; }
if ldd "$BIN" | grep -q 'libswiftCore'; then
  [ ${#STATIC[@]} -eq 0 ] || { echo "package.sh: $BIN links libswiftCore.so although built static (stale build?)" >&2; exit 1; }
fi

# 2. The version: `--version` when the binary has it ("0.2.0 (git abc1234)"), else the source's.
VERSION=$("$BIN" --version 2>/dev/null | head -n1 | grep -oE '^[0-9]+\.[0-9]+[0-9A-Za-z.+~-]*' || true)
if [ -z "$VERSION" ]; then
  VERSION=$(grep -rhoE 'static (let|var) current( *: *String)? *= *"[^"]+"' Sources/ScollectETL | head -n1 | sed -E 's/.*"([^"]+)"/\1/')
fi
[ -n "$VERSION" ] || { echo "package.sh: cannot tell the version (no --version, no ScollectETLVersion.current)" >&2; exit 1; }
echo "package.sh: scollect-etl $VERSION ($ARCH)" >&2

# The committed man pages and reference must be what this binary generates (ALLOW_STALE_DOCS=1:
# a warning only). Checked from an empty folder, as the docs test does.
if ! (cd "$(mktemp -d)" && "$BIN" docs --check --output "$ROOT/docs" >/dev/null); then
  echo "package.sh: docs/ differs from what this binary generates; run: scollect-etl docs --output docs (and commit)" >&2
  [ "${ALLOW_STALE_DOCS:-0}" = 1 ] || exit 1
fi

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
# 3. One tree under a prefix; the .deb uses it with prefix /usr, the tarball as it is.
stage() { # stage PREFIX_DIR
  local p=$1
  install -d "$p/bin" "$p/share/man/man1" "$p/share/man/man5" "$p/share/doc/scollect-etl" \
    "$p/share/bash-completion/completions" "$p/share/zsh/vendor-completions" \
    "$p/share/fish/vendor_completions.d" "$p/share/scollect-etl"
  install -m 0755 "$BIN" "$p/bin/scollect-etl"
  strip --strip-unneeded "$p/bin/scollect-etl"
  gzip -9n < docs/man/scollect-etl.1 > "$p/share/man/man1/scollect-etl.1.gz"
  gzip -9n < docs/man/scollect-etl-pipeline.5 > "$p/share/man/man5/scollect-etl-pipeline.5.gz"
  install -m 0644 docs/reference.md README.md "$p/share/doc/scollect-etl/"
  "$BIN" --generate-completion-script bash > "$p/share/bash-completion/completions/scollect-etl"
  "$BIN" --generate-completion-script zsh > "$p/share/zsh/vendor-completions/_scollect-etl"
  "$BIN" --generate-completion-script fish > "$p/share/fish/vendor_completions.d/scollect-etl.fish"
  # The samples, paths inside them relative (../SampleData/…), as in the repository.
  cp -r Pipelines SampleData "$p/share/scollect-etl/"
  find "$p" -type d -exec chmod 0755 {} + ; find "$p" -type f ! -path "*/bin/*" -exec chmod 0644 {} +
}

# 4. The .deb.
DEB=$WORK/deb
stage "$DEB/usr"
mkdir -p "$WORK/shlibs/debian" "$DEB/DEBIAN"
printf 'Source: scollect-etl\n\nPackage: scollect-etl\nArchitecture: any\n' > "$WORK/shlibs/debian/control"
SHLIBS=$(cd "$WORK/shlibs" && dpkg-shlibdeps -O "$DEB/usr/bin/scollect-etl" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
[ -n "$SHLIBS" ] || { echo "package.sh: dpkg-shlibdeps found no dependencies" >&2; exit 1; }
DEPENDS="$SHLIBS, ca-certificates, tzdata"
cat > "$DEB/DEBIAN/control" <<EOF
Package: scollect-etl
Version: $VERSION
Architecture: $ARCH
Maintainer: scollect-etl developers <scollect-etl@localhost>
Installed-Size: $(du -sk "$DEB/usr" | cut -f1)
Depends: $DEPENDS
Section: utils
Priority: optional
Description: batch ETL into the Scollect (SMAX) collection API
 Runs declarative pipeline files (YAML): a reader (CSV, XLSX, XML, JSON), a column
 mapping, normalisers into the API's formats, writers that call the API in
 rate-limited batches, and gzipped reject and audit reports. Sample pipelines and
 data are in /usr/share/scollect-etl; try: scollect-etl demo
EOF
mkdir -p "$OUT"
NAME=scollect-etl_${VERSION}_${ARCH}
dpkg-deb --root-owner-group -Zxz --build "$DEB" "$OUT/$NAME.deb" >/dev/null

# 5. The tarball: scollect-etl-<version>/{bin,share}.
TREE=$WORK/tar/scollect-etl-$VERSION
stage "$TREE"
tar -C "$WORK/tar" --owner=0 --group=0 --numeric-owner --sort=name -czf "$OUT/$NAME.tar.gz" "scollect-etl-$VERSION"

echo "package.sh: Depends: $DEPENDS" >&2
ls -l "$OUT/$NAME.deb" "$OUT/$NAME.tar.gz"
