# Sourced by scripts/demo and scripts/test: installs the Debian packages the build and the tests
# need, when they are missing. Safe to run again; does nothing when everything is there.
EGUMA_DEBIAN_PACKAGES=(pkg-config libudev-dev libgpiod-dev gpiod libsqlite3-dev umockdev libumockdev-dev)

eguma_install_deps() {
    local missing=()
    for p in "${EGUMA_DEBIAN_PACKAGES[@]}" "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "eguma-gate: installing Debian packages: ${missing[*]}" >&2
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null; then sudo="sudo"; else
            echo "eguma-gate: please run as root: apt-get install -y ${missing[*]}" >&2
            return 2
        fi
    fi
    $sudo apt-get update -qq >&2 || true
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

eguma_require_swift() {
    command -v swift >/dev/null || {
        echo "eguma-gate: the Swift toolchain (6.1 or later) is not on PATH — install it from swift.org first" >&2
        return 2
    }
}
