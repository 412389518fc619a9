#!/usr/bin/env bash
# Runs every check of the project: installs what is missing (apt packages, a
# JDK and Maven, Apache Kafka's jars from Maven Central, the tansu test
# broker), then cargo fmt, clippy and the whole test suite with all features.
# Exits non-zero on any failure. Used as is by CI (.ci/run).
#
# The Kafka tests start their own 3-node KRaft clusters (tests/common/kafka.rs)
# from the cached jars; the brokers die with the test process that started
# them, and any left over are killed when this script exits, failed or not.
#
# Reuses, when they exist, a cargo target directory, the Kafka jars and a
# tansu install under $HOME/.cache/ksync (override with CARGO_TARGET_DIR /
# TANSU_ROOT / KSYNC_CACHE).
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

# Test brokers left behind by a crashed test binary (their command lines name
# the harness's data directories) are stopped when this script ends.
stop_test_brokers() {
  pkill -KILL -f 'kafka\.Kafka /tmp/ksync-kafka-' 2>/dev/null || true
}
trap stop_test_brokers EXIT
stop_test_brokers
rm -rf /tmp/ksync-kafka-* /tmp/ksync-tansu-* 2>/dev/null || true

# 1. System packages: a C toolchain for librdkafka (the rdkafka dev-dependency,
#    bundled build), libzstd (zstd feature) and tansu's build; zlib and
#    OpenSSL headers; the openssl command line (the secure test broker's
#    certificates, tests/common/secure.rs).
need=()
for pkg in gcc g++ make pkg-config zlib1g-dev libssl-dev perl procps openssl; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
# Kafka 4 needs Java 17+; Maven fetches its jars.
java_version() {
  java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p'
}
jv=$(command -v java >/dev/null && java_version || echo 0)
if [ "${jv%%.*}" -lt 17 ] 2>/dev/null; then need+=(openjdk-17-jdk-headless); fi
command -v mvn >/dev/null || need+=(maven)
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

# 3. Apache Kafka's jars (4.x and 3.9), fetched once from Maven Central.
step "Kafka jars (scripts/kafka.sh fetch)"
step "java $(java_version), $(mvn -v 2>/dev/null | head -1)"
bash scripts/kafka.sh fetch

# 4. Format and lints. rustup cannot download components here: a missing one
#    is reported loudly and its check skipped (nothing else can be done).
missing=()
if cargo fmt --version >/dev/null 2>&1; then
  step "cargo fmt --check"
  cargo fmt --all -- --check
else
  missing+=(rustfmt)
fi
if cargo clippy --version >/dev/null 2>&1; then
  step "cargo clippy"
  cargo clippy --all-targets --all-features -- -D warnings
  cargo clippy --lib --no-default-features -- -D warnings
else
  missing+=(clippy)
fi
if ((${#missing[@]})); then
  printf '\n!!!!!!!!\n!!! RUST COMPONENT MISSING: %s — its check was SKIPPED (rustup cannot download here)\n!!!!!!!!\n' "${missing[*]}"
fi
step "cargo doc"
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --all-features --quiet

# 5. Tests. The integration tests start their own Kafka clusters, tansu
#    processes and mock clusters; with CI set a missing broker fails instead
#    of skipping.
step "cargo test --all-features"
cargo test --all-features
step "cargo test --no-default-features --lib"
cargo test --no-default-features --lib

step "all checks passed in $(( $(date +%s) - start )) s"
