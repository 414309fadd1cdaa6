#!/usr/bin/env bash
# Install the named Debian packages when any of them is missing; do nothing when all are present.
#
#   deploy/scripts/ensure-system-packages.sh nginx libnginx-mod-stream openssl
#
# Or source it and call the function (the package index is refreshed at most once per shell):
#
#   . deploy/scripts/ensure-system-packages.sh
#   ensure_system_packages nginx openssl
set -euo pipefail

ensure_system_packages() {
    local missing=() pkg
    for pkg in "$@"; do
        # "install ok installed" is the only state in which the package's files are all in place.
        if [[ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)" != "install ok installed" ]]; then
            missing+=("$pkg")
        fi
    done
    if ((${#missing[@]} == 0)); then
        return 0
    fi
    local sudo=()
    if ((EUID != 0)); then
        sudo=(sudo)
    fi
    if [[ -z "${SHOWFLOOR_APT_UPDATED:-}" ]]; then
        "${sudo[@]}" apt-get update -qq
        export SHOWFLOOR_APT_UPDATED=1
    fi
    echo "installing Debian packages: ${missing[*]}" >&2
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    if (($# == 0)); then
        echo "usage: $0 PACKAGE..." >&2
        exit 2
    fi
    ensure_system_packages "$@"
fi
