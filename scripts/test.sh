#!/usr/bin/env bash
# Runs every check of the project: installs what is missing (apt packages, the
# tansu test broker), then cargo fmt, clippy and the whole test suite with all
# features. Exits non-zero on any failure. Used as is by CI (.ci/run).
#
# Reuses, when they exist, a cargo target directory and a tansu install under
# $HOME/.cache/ksync (override with CARGO_TARGET_DIR / TANSU_ROOT).
set -euo pipefail
cd "$(dirname "$0")/.."

CACHE="${KSYNC_CACHE:-$HOME/.cache/ksync}"
TANSU_VERSION=0.6.0
TANSU_ROOT="${TANSU_ROOT:-$CACHE/tansu}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$CACHE/target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
mkdir -p "$CACHE" "$CARGO_TARGET_DIR"

step() { printf '\n==> %s (%s)\n' "$*" "$(date +%T)"; }
start=$(date +%s)

# 1. System packages: a C toolchain for librdkafka (the rdkafka dev-dependency,
#    bundled build), libzstd (zstd feature) and tansu's build; zlib and
#    OpenSSL headers.
need=()
for pkg in gcc g++ make pkg-config zlib1g-dev libssl-dev perl; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if ((${#need[@]})); then
  step "apt-get install ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need[@]}"
fi

# 2. The tansu broker, installed once into a cache and reused.
if ! "$TANSU_ROOT/bin/tansu" --version 2>/dev/null | grep -q "$TANSU_VERSION"; then
  step "cargo install tansu $TANSU_VERSION (takes ~13 min cold)"
  # Build it in a target dir of its own so it does not evict our artefacts.
  CARGO_TARGET_DIR="$CACHE/tansu-build" cargo install tansu --version "$TANSU_VERSION" \
    --locked --features dynostore --root "$TANSU_ROOT"
  rm -rf "$CACHE/tansu-build"
fi
export TANSU_BIN="$TANSU_ROOT/bin/tansu"
step "tansu: $("$TANSU_BIN" --version)"

# 3. Format and lints.
step "cargo fmt --check"
cargo fmt --all -- --check
step "cargo clippy"
cargo clippy --all-targets --all-features -- -D warnings
cargo clippy --lib --no-default-features -- -D warnings
step "cargo doc"
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --all-features --quiet

# 4. Tests. The integration tests start their own tansu processes and mock
#    clusters; with CI set a missing broker fails instead of skipping.
step "cargo test --all-features"
cargo test --all-features
step "cargo test --no-default-features --lib"
cargo test --no-default-features --lib

step "all checks passed in $(( $(date +%s) - start )) s"
