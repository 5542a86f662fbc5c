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

ensure_build_tools() {
    ensure_system_packages
    ensure_rust
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
