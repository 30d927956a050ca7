#!/usr/bin/env bash
# Runs each fuzz target for a given time, seeded from fixtures/ and ../shared/corpus.
#   fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]
# Stable toolchains need RUSTC_BOOTSTRAP=1 for the sanitizer flags cargo-fuzz passes.
set -euo pipefail
cd "$(dirname "$0")"
secs="${1:-60}"; shift || true
targets=("$@"); [ ${#targets[@]} -gt 0 ] || targets=(compose dockerfile probe)
export RUSTC_BOOTSTRAP=1
shared=../../shared/corpus
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t"
  case "$t" in
    compose)
      find ../fixtures -name '*.yml' -o -name '*.yaml' | while read -r f; do cp "$f" "corpus/$t/$(echo "$f" | tr / _)"; done
      [ -d "$shared" ] && cp "$shared"/compose/* "corpus/$t/" 2>/dev/null || true ;;
    dockerfile)
      find ../fixtures -name 'Dockerfile*' | while read -r f; do cp "$f" "corpus/$t/$(echo "$f" | tr / _)"; done
      [ -d "$shared" ] && cp "$shared"/dockerfile/* "corpus/$t/" 2>/dev/null || true ;;
    probe)
      [ -d "$shared" ] && grep -rhoE '(test:|HEALTHCHECK).*' "$shared"/compose "$shared"/dockerfile | head -2000 \
        | awk '{ f = sprintf("corpus/probe/seed-%05d", NR); print > f; close(f) }' || true ;;
  esac
  echo "== fuzzing $t for ${secs}s"
  cargo fuzz run "$t" "corpus/$t" -- -max_total_time="$secs" -max_len=65536 -rss_limit_mb=2048 2>&1 | tail -5
done
