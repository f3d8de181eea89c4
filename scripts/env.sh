# Sourced by the other scripts: where builds go. Target directories live outside the clone so that every clone
# (and CI's fresh one) reuses the same compiled dependencies.
CHARGEDESK_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CHARGEDESK_CACHE="${CHARGEDESK_CACHE:-$HOME/.cache/chargedesk}"
# Plain cargo (fmt, clippy, unit and integration tests).
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$CHARGEDESK_CACHE/target}"
# cargo-leptos builds with other RUSTFLAGS; sharing a directory with plain cargo would rebuild everything each time.
LEPTOS_TARGET_DIR="$CHARGEDESK_CACHE/target-leptos"
# Where `cargo leptos build` writes the site (wasm, js, css) that the server binary serves.
export LEPTOS_SITE_ROOT="$CHARGEDESK_ROOT/target/site"
export LEPTOS_OUTPUT_NAME=chargedesk
export LEPTOS_SITE_PKG_DIR=pkg
# cargo-leptos finds tailwindcss and wasm-opt here (installed by npm, see scripts/setup.sh).
export PATH="$CHARGEDESK_ROOT/node_modules/.bin:$HOME/.cargo/bin:$PATH"
mkdir -p "$CHARGEDESK_CACHE"

# Cargo never deletes old artifacts, and every fresh clone (CI's) adds its own copies of the workspace crates.
# Keep the shared cache bounded: start over when a target directory grows past CHARGEDESK_CACHE_MAX_GB.
trim_target_dir() {
  local dir="$1" max_gb="${CHARGEDESK_CACHE_MAX_GB:-25}"
  [ -d "$dir" ] || return 0
  local used_gb=$(( $(du -sk "$dir" | cut -f1) / 1024 / 1024 ))
  if [ "$used_gb" -ge "$max_gb" ]; then
    echo "[env] $dir uses ${used_gb} GB (limit ${max_gb} GB): removing it, the next build starts cold"
    rm -rf "$dir"
  fi
}

# The target directories are shared by every checkout. Cargo copies a binary to `release/server` (and the wasm to
# its final name) only when it rebuilds it, so after another checkout's build the file there can be that
# checkout's while this one's is considered fresh. Touching the two leaf crates makes cargo-leptos rebuild (and
# copy) exactly them: about a minute, instead of serving or testing someone else's build.
force_leaf_rebuild() {
  touch "$CHARGEDESK_ROOT/server/src/main.rs" "$CHARGEDESK_ROOT/frontend/src/lib.rs"
}

# The release site and server (run.sh, test.sh): `--split` cuts the wasm at the lazy routes (app::routes) into the
# main module and chunks loaded per page (named after their content like the other files, and wasm-opt'ed one by
# one, which adds a few minutes); `--precompress` writes a .br and a .gz file next to each site file, chunks
# included, which the server sends to browsers that accept them (server::http::site_files). cargo-leptos writes
# the .gz files with libflate, a fifth larger than gzip -9 (browsers on plain http take gzip, not brotli): written
# again.
build_release_site() {
  force_leaf_rebuild
  CARGO_TARGET_DIR="$LEPTOS_TARGET_DIR" cargo leptos build --release --precompress --split --cargo-locked
  find "$LEPTOS_SITE_ROOT/$LEPTOS_SITE_PKG_DIR" -name '*.gz' -exec sh -c 'gzip -9 -n -c "${1%.gz}" >"$1"' _ {} \;
}
