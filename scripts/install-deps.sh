#!/usr/bin/env bash
# Installs what building and testing synack needs on Debian 12, if missing.
# Runs apt-get only when a package is absent; needs root for that.
set -euo pipefail

packages=(build-essential cmake pkg-config libcmocka-dev libpcap-dev tshark tcpdump
          clang clang-format iproute2 python3 curl netcat-openbsd iputils-ping
          chromium libxml2-utils)

missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: missing Debian packages: ${missing[*]}" >&2
    echo "install-deps: run as root, or: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer no without a prompt.
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
