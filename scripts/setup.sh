#!/usr/bin/env bash
# One-step set-up on a fresh Debian 12 with Python 3.11: system packages (libvirt 9.0 as the
# oracle for differential tests, QEMU and a kernel/busybox for the real test guests), then
# pyvirt itself (compiled core included) with its test dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
APT_PACKAGES="libvirt-clients libvirt-daemon libvirt-daemon-driver-qemu libvirt-dev pkg-config
  qemu-system-x86 qemu-utils busybox-static linux-image-amd64 xz-utils cpio"
missing=""
for p in $APT_PACKAGES; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
fi
PY=${PYTHON:-python3}
$PY -m pip install -q --upgrade pip
$PY -m pip install -q "scikit-build-core>=0.10" "cython>=3.0" "cython-cmake>=0.2" "lxml>=5.2" cmake ninja
$PY -m pip install -q -e ".[test,oracle,bench]" --no-build-isolation
