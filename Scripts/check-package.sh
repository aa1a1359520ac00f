#!/usr/bin/env bash
# Proves the .deb of Scripts/package.sh in a clean Debian 12 (bookworm) root: debootstrap a
# minimal root, install the package there with apt (its Depends: pulled from the mirror), then
# run `scollect-etl --version`, `scollect-etl demo` (as an ordinary user, outside any checkout)
# and `scollect-etl validate` on an installed sample pipeline, inside it by chroot. Prints the
# package's file list and the installed binary's size and `ldd`. Not in CI (a few minutes, the
# mirror, root); its output goes in the release notes.
#
#   sudo bash Scripts/check-package.sh [dist/scollect-etl_<version>_amd64.deb] [--keep]
# The mirror is this machine's own (its apt sources), or MIRROR=URL. --keep leaves the root
# (its path is printed) instead of removing it.
set -euo pipefail
cd "$(dirname "$0")/.."
DEB="" KEEP=0
for arg in "$@"; do
  case "$arg" in
    --keep) KEEP=1 ;;
    -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) DEB=$arg ;;
  esac
done
[ -n "$DEB" ] || DEB=$(ls -t dist/scollect-etl_*.deb 2>/dev/null | head -n1 || true)
[ -f "$DEB" ] || { echo "check-package.sh: no .deb (run Scripts/package.sh first, or name one)" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "check-package.sh: needs root (debootstrap, chroot)" >&2; exit 2; }
command -v debootstrap >/dev/null || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap; }

# This machine's Debian mirror, as its apt sources name it.
if [ -z "${MIRROR:-}" ]; then
  MIRROR=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | sed -n 's/^URIs: *//p' | tr ' ' '\n' | grep -E '/debian/?$' | head -n1 || true)
  [ -n "$MIRROR" ] || MIRROR=$(grep -hsE '^deb ' /etc/apt/sources.list | awk '{print $2}' | grep -E '/debian/?$' | head -n1 || true)
fi
[ -n "$MIRROR" ] || { echo "check-package.sh: no Debian mirror in this machine's apt sources; set MIRROR" >&2; exit 2; }

ROOTFS=$(mktemp -d /var/tmp/scollect-check-root.XXXXXX)
chmod 0755 "$ROOTFS"   # mktemp's 0700 would shut out every user of the root but root (and apt's _apt)
cleanup() {
  for m in dev/pts dev proc sys; do mountpoint -q "$ROOTFS/$m" && umount -l "$ROOTFS/$m"; done
  if [ "$KEEP" = 1 ]; then echo "root kept: $ROOTFS"; else rm -rf --one-file-system "$ROOTFS"; fi
}
trap cleanup EXIT
in_root() { chroot "$ROOTFS" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"; }
as_user() { chroot --userspec=ops:ops "$ROOTFS" env -i PATH=/usr/bin:/bin HOME=/home/ops LANG=C.UTF-8 TERM=dumb sh -c "cd /home/ops && $1"; }
section() { printf '\n== %s\n' "$*"; }

section "package $(basename "$DEB")"
dpkg-deb --field "$DEB" Package Version Architecture Installed-Size Depends

section "debootstrap --variant=minbase bookworm"
start=$(date +%s)
debootstrap --variant=minbase bookworm "$ROOTFS" "$MIRROR" > "$ROOTFS.debootstrap.log" 2>&1 \
  || { tail -n 30 "$ROOTFS.debootstrap.log"; exit 1; }
echo "done in $(( $(date +%s) - start )) s: $(in_root dpkg-query -W | wc -l) packages, Debian $(cat "$ROOTFS/etc/debian_version")"
rm -f "$ROOTFS.debootstrap.log"
# The same apt sources as this machine (bookworm, -updates, -security) when it has them.
if ls /etc/apt/sources.list.d/debian.sources >/dev/null 2>&1; then
  cp /etc/apt/sources.list.d/debian.sources "$ROOTFS/etc/apt/sources.list.d/" && : > "$ROOTFS/etc/apt/sources.list"
fi
cp /etc/resolv.conf "$ROOTFS/etc/resolv.conf"
mount -t proc proc "$ROOTFS/proc"; mount -t sysfs sys "$ROOTFS/sys"
mount --bind /dev "$ROOTFS/dev"; mount --bind /dev/pts "$ROOTFS/dev/pts"

section "apt install ./$(basename "$DEB")"
cp "$DEB" "$ROOTFS/tmp/"
in_root apt-get update -qq
in_root sh -c "cd /tmp && apt-get install -y --no-install-recommends ./$(basename "$DEB")" > "$ROOTFS/tmp/install.log" 2>&1 \
  || { cat "$ROOTFS/tmp/install.log"; exit 1; }
sed -n '/NEW packages will be installed/,/newly installed/p' "$ROOTFS/tmp/install.log"
grep -E '^(Setting up scollect-etl|E:|W:)' "$ROOTFS/tmp/install.log" || true
in_root dpkg-query -W -f='${Package} ${Version} ${Status}\n' scollect-etl

section "scollect-etl --version"
if ! in_root scollect-etl --version; then
  echo "(no --version in this build; --help:)"; in_root scollect-etl --help | head -n 5
fi

section "installed binary"
ls -l "$ROOTFS/usr/bin/scollect-etl" | awk '{print $5 " bytes  /usr/bin/scollect-etl"}'
in_root ldd /usr/bin/scollect-etl > "$ROOTFS/tmp/ldd.txt"
echo "ldd: $(wc -l < "$ROOTFS/tmp/ldd.txt") lines"; cat "$ROOTFS/tmp/ldd.txt"
! grep -q 'not found' "$ROOTFS/tmp/ldd.txt" || { echo "FAIL: a library is missing"; exit 1; }

section "scollect-etl demo (user ops, in /home/ops)"
in_root useradd --create-home --shell /bin/sh ops
set +e
as_user "scollect-etl demo" > "$ROOTFS/tmp/demo.out" 2> "$ROOTFS/tmp/demo.err"
demo=$?
set -e
grep -E '^demo:|^error' "$ROOTFS/tmp/demo.err" || true
cat "$ROOTFS/tmp/demo.out"
echo "demo exit code: $demo"
[ "$demo" -eq 0 ] || { echo "FAIL: demo"; cat "$ROOTFS/tmp/demo.err"; exit 1; }
echo "report folder: $(cd "$ROOTFS/home/ops" && ls -d scollect-etl-demo/reports/nightly-placement/*/ | grep -v latest | head -n1)"
(cd "$ROOTFS/home/ops/scollect-etl-demo/reports/nightly-placement/latest/" && ls -l | tail -n +2 | awk '{print "  " $1 " " $5 " " $9}')
[ -z "$(find "$ROOTFS/usr/share/scollect-etl" -newer "$ROOTFS/tmp/install.log")" ] || { echo "FAIL: demo wrote into /usr/share/scollect-etl"; exit 1; }

section "scollect-etl validate /usr/share/scollect-etl/Pipelines/nightly-placement.yml"
as_user "scollect-etl validate /usr/share/scollect-etl/Pipelines/nightly-placement.yml"
echo "validate exit code: $?"

TAR=${DEB%.deb}.tar.gz
if [ -f "$TAR" ]; then
  section "tarball $(basename "$TAR") unpacked in /opt: its demo uses its own share/"
  tar -C "$ROOTFS/opt" -xzf "$TAR"
  TOOL=$(cd "$ROOTFS" && ls -d opt/scollect-etl-*/bin/scollect-etl | head -n1)
  in_root install -d -o ops -g ops /home/ops/from-tarball
  as_user "cd from-tarball && /$TOOL demo" > "$ROOTFS/tmp/tar-demo.out" 2> "$ROOTFS/tmp/tar-demo.err" \
    || { cat "$ROOTFS/tmp/tar-demo.err"; echo "FAIL: tarball demo"; exit 1; }
  grep -E '^demo: copied' "$ROOTFS/tmp/tar-demo.err"
  grep -q "copied /${TOOL%/bin/scollect-etl}/share/scollect-etl/Pipelines" "$ROOTFS/tmp/tar-demo.err" \
    || { echo "FAIL: the tarball's demo did not use its own share/"; exit 1; }
  grep -E '^rows read' "$ROOTFS/tmp/tar-demo.out"
fi

section "completions and man pages installed"
for f in /usr/share/bash-completion/completions/scollect-etl /usr/share/zsh/vendor-completions/_scollect-etl \
         /usr/share/fish/vendor_completions.d/scollect-etl.fish /usr/share/man/man1/scollect-etl.1.gz \
         /usr/share/man/man5/scollect-etl-pipeline.5.gz /usr/share/doc/scollect-etl/reference.md; do
  [ -s "$ROOTFS$f" ] && echo "ok $f" || { echo "FAIL: $f missing"; exit 1; }
done
in_root bash -c 'source /usr/share/bash-completion/completions/scollect-etl && complete -p scollect-etl'

section "dpkg -c $(basename "$DEB")"
dpkg -c "$DEB" | awk '{printf "%s %10s %s%s\n", $1, $3, $6, ($7 == "->" ? " -> " $8 : "")}'

section "check-package: PASS"
