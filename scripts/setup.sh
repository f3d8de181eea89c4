#!/usr/bin/env bash
# Installs everything ChargeDesk needs to build and test, idempotently: each step is skipped when its tool is
# already present at the right version. Safe to run on every build; a fresh machine takes ~30 minutes (mostly
# compiling cargo-leptos), a prepared one a few seconds.
#
# Why the detours: only the package registries are reachable here, so nothing may be downloaded from GitHub at
# run time (cargo-leptos would otherwise fetch tailwind, wasm-opt and wasm-bindgen itself). See README.md.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CARGO_LEPTOS_VERSION=0.3.11
# wasm-bindgen-cli must equal the wasm-bindgen version in Cargo.lock (pinned in the workspace Cargo.toml).
WASM_BINDGEN_VERSION="$(grep -A1 '^name = "wasm-bindgen"$' "$ROOT/Cargo.lock" | sed -n 's/^version = "\(.*\)"/\1/p')"
WORK="${CHARGEDESK_CACHE:-$HOME/.cache/chargedesk}/tools"
mkdir -p "$WORK"

say() { printf '\033[1;34m[setup]\033[0m %s\n' "$*"; }

# Fetches a crate's source from crates.io into $WORK/<name>-<version> and prints that path.
crate_source() {
  local name="$1" version="$2" dir="$WORK/$1-$2"
  if [ ! -f "$dir/Cargo.toml" ]; then
    rm -rf "$dir"
    curl -fsSL "https://static.crates.io/crates/$name/$name-$version.crate" | tar -xz -C "$WORK"
  fi
  echo "$dir"
}

# 1. The wasm target.
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding rust target wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

# 2. cargo-leptos. Its lockfile pins cargo-util-schemas 0.14.2, which needs a newer rustc than this machine's,
#    so it is built from source with that one dependency moved back to 0.14.1.
if ! cargo leptos --version 2>/dev/null | grep -q "$CARGO_LEPTOS_VERSION"; then
  say "building cargo-leptos $CARGO_LEPTOS_VERSION from source (about 20 minutes on 2 cores)"
  src="$(crate_source cargo-leptos "$CARGO_LEPTOS_VERSION")"
  (cd "$src" && cargo update -p cargo-util-schemas --precise 0.14.1 && cargo install --path . --locked --force)
fi

# 3. wasm-bindgen-cli at exactly the lockfile's version. Its lockfile names a webpki-roots release that is not
#    in the index, so it is built from source with webpki-roots moved back one patch.
if ! wasm-bindgen --version 2>/dev/null | grep -q " $WASM_BINDGEN_VERSION\$"; then
  say "building wasm-bindgen-cli $WASM_BINDGEN_VERSION from source"
  src="$(crate_source wasm-bindgen-cli "$WASM_BINDGEN_VERSION")"
  (cd "$src" && { cargo update -p webpki-roots --precise 1.0.10 2>/dev/null || true; } \
    && cargo install --path . --locked --force)
fi

# 4. npm tools: tailwindcss, wasm-opt (binaryen 132; Debian's binaryen breaks hydration), Playwright.
if [ ! -x "$ROOT/node_modules/.bin/tailwindcss" ] || [ ! -x "$ROOT/node_modules/.bin/wasm-opt" ] \
  || [ ! -x "$ROOT/node_modules/.bin/playwright" ] || [ "$ROOT/package-lock.json" -nt "$ROOT/node_modules/.package-lock.json" ]; then
  say "installing npm packages"
  # `npm ci`: exactly the committed lockfile (which lists every platform's optional packages, so no platform
  # rewrites it), and it fails rather than change it.
  (cd "$ROOT" && npm ci --no-audit --no-fund)
fi

# 5. The Python test tools (from PyPI): the independent OCPP client for the interoperability check, and the test
#    SMTP server (aiosmtpd) that the cargo tests need too. Only scripts/run.sh (no tests) skips them.
VENV="${CHARGEDESK_CACHE:-$HOME/.cache/chargedesk}/venv"
REQS="$ROOT/end2end/interop/requirements.txt"
if [ "${CHARGEDESK_SKIP_TEST_TOOLS:-0}" != 1 ] && ! cmp -s "$REQS" "$VENV/requirements.txt" 2>/dev/null; then
  say "installing the Python test tools (OCPP client, SMTP server) into $VENV"
  if ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
    # Debian splits venv support off python3.
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-venv >/dev/null
  fi
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  # --no-deps: the file pins the whole closure; `pip check` proves nothing is missing.
  "$VENV/bin/pip" install --quiet --disable-pip-version-check --no-deps -r "$REQS"
  "$VENV/bin/pip" check
  cp "$REQS" "$VENV/requirements.txt"
fi

# 6. Debian's Chromium for the end-to-end tests (Playwright's own browser download cannot work here).
if [ "${CHARGEDESK_SKIP_BROWSER:-0}" != 1 ] && [ ! -x /usr/bin/chromium ]; then
  say "installing Debian's chromium"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi

say "toolchain ready"
