#!/usr/bin/env bash
# Side-by-side benchmarks: Nodo AT against the tools people use today, on the same data, the
# same PostgreSQL server and the same machine, in one run, alternating A B A B, reporting
# medians and ratios. Writes deploy/bench/results/<date>.md.
#
#   deploy/bench/run.sh [--size 100k] [--only NAME] [--runs N] [--debug]
#
#   --size   parcels in the generated municipality: 1k, 10k, 100k, 1m or a number (default 100k)
#   --only   one entry: ingest, faces, affectations, api
#   --runs   counted runs of each side (default 3; one warm-up is not counted)
#   --debug  use the debug build (for checking the harness itself, as CI does; figures are
#            not meaningful then)
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)

size=100k only="" runs=3 config=release
while [ $# -gt 0 ]; do
  case "$1" in
    --size) size=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --debug) config=debug; shift ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
case "$size" in
  *k) parcels=$(( ${size%k} * 1000 )) ;;
  *m) parcels=$(( ${size%m} * 1000000 )) ;;
  *) parcels=$size ;;
esac

work="$root/.build-bench"
mkdir -p "$work" deploy/bench/results
./deploy/bootstrap.sh >/dev/null
if ! command -v /usr/bin/time >/dev/null || ! [ -x /usr/bin/time ]; then
  if [ "$(id -u)" = 0 ]; then apt-get install -y -qq time >/dev/null; else echo "install the 'time' package" >&2; exit 1; fi
fi

echo "== building nodo-at ($config)"
if [ "$config" = release ]; then
  swift build -c release --product nodo-at --scratch-path .build-release >/dev/null
  bin="$root/.build-release/release/nodo-at"
else
  swift build --product nodo-at >/dev/null
  bin="$root/.build/debug/nodo-at"
fi

# One PostgreSQL server for every contender: the project's embedded cluster, private to the
# benchmark.
# Under /tmp: the server runs as the postgres user, which may not reach a checkout under /root.
export NODO_DATA_DIR="${NODO_BENCH_DATA_DIR:-/tmp/nodo-bench-cluster}"
"$bin" db start >/dev/null
url=$("$bin" db url)
port=${url##*:}; port=${port%%/*}
pg="PG:dbname=nodo user=postgres host=127.0.0.1 port=$port"
export DATABASE_URL="$url"
"$bin" migrate >/dev/null
psql_() { psql -q -X -h 127.0.0.1 -p "$port" -U postgres -d nodo "$@"; }

data="$work/data-$parcels"
if [ ! -f "$data/predios.zip" ]; then
  echo "== generating $parcels parcels"
  "$bin" fixtures generate --parcels "$parcels" --seed 42 --out "$data" >/dev/null
fi

stamp=$(date -u +%Y-%m-%dT%H%MZ)
report="deploy/bench/results/$stamp.md"
rows=()
implemented=0 missing=0

# measure NAME COMMAND...: one run with /usr/bin/time; prints "seconds peak_kib".
measure() {
  local log="$work/time.$$"
  /usr/bin/time -f "%e %M" -o "$log" "$@" >/dev/null 2>"$work/stderr.$$" || {
    echo "command failed: $*" >&2; cat "$work/stderr.$$" >&2; return 1; }
  tail -n 1 "$log"
}
median() { sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

bench_ingest() {
  echo "== ingest: nodo-at ingest vs ogr2ogr -makevalid -t_srs EPSG:9377 (COPY)"
  local zip="$data/predios.zip" features=$parcels ours=() theirs=() ours_mem=() theirs_mem=()
  for i in $(seq 0 "$runs"); do
    psql_ -c "DROP TABLE IF EXISTS bench_ogr" >/dev/null 2>&1
    read -r s m < <(measure "$bin" ingest "$zip" --layer "bench-ours-$(date +%s)-$i" --kind cadastral --divipola 25999 \
      --map area=area_decl --json)
    read -r s2 m2 < <(measure ogr2ogr -f PostgreSQL "$pg" "/vsizip/$zip/predios/predios.shp" -nln bench_ogr -nlt PROMOTE_TO_MULTI \
      -makevalid -t_srs EPSG:9377 -lco GEOMETRY_NAME=geom -lco SPATIAL_INDEX=GIST -overwrite)
    if [ "$i" -gt 0 ]; then ours+=("$s"); theirs+=("$s2"); ours_mem+=("$m"); theirs_mem+=("$m2"); fi
  done
  # Each load goes into its own version: drop them so the database does not grow between runs.
  psql_ -c "DELETE FROM layer WHERE slug LIKE 'bench-ours-%'" >/dev/null
  local a b am bm
  a=$(printf '%s\n' "${ours[@]}" | median); b=$(printf '%s\n' "${theirs[@]}" | median)
  am=$(printf '%s\n' "${ours_mem[@]}" | median); bm=$(printf '%s\n' "${theirs_mem[@]}" | median)
  rows+=("| ingest $parcels parcels (shapefile zip) | nodo-at ingest (with cadastral checks) | $(awk "BEGIN {printf \"%.0f\", $features/$a}") features/s, ${a} s, $(( ${am%.*} / 1024 )) MiB | ogr2ogr -makevalid -t_srs EPSG:9377 | $(awk "BEGIN {printf \"%.0f\", $features/$b}") features/s, ${b} s, $(( ${bm%.*} / 1024 )) MiB | $(awk "BEGIN {printf \"%.2f\", $b/$a}")× |")
  implemented=$((implemented + 1))
}

not_yet() {
  echo "== $1: not yet implemented"
  rows+=("| $1 | not yet implemented | | $2 | | |")
  missing=$((missing + 1))
}

run_entry() {
  case "$1" in
    ingest) bench_ingest ;;
    faces) not_yet faces "PostGIS ST_Union → ST_Polygonize → ST_PointOnSurface" ;;
    affectations) not_yet affectations "PostGIS ST_Intersection join; geopandas.overlay" ;;
    api) not_yet api "pygeoapi, tipg (wrk); pgbench ceiling" ;;
    *) echo "unknown entry $1" >&2; exit 2 ;;
  esac
}

if [ -n "$only" ]; then run_entry "$only"; else for e in ingest faces affectations api; do run_entry "$e"; done; fi

{
  echo "# Benchmark $stamp"
  echo
  echo "Machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; $(uname -sr)."
  echo "Versions: $(swift --version 2>&1 | head -1); GEOS $(pkg-config --modversion geos), PROJ $(pkg-config --modversion proj), GDAL $(gdal-config --version 2>/dev/null || pkg-config --modversion gdal); $(psql --version); build: $config."
  echo "Data: generated municipality, $parcels parcels (seed 42). Runs: $runs counted per side after one warm-up, alternating; medians; ratio = their time / our time (above 1: we are faster). Memory: peak RSS of the process."
  echo
  echo "| entry | ours | figure | peer | figure | ratio |"
  echo "|---|---|---|---|---|---|"
  printf '%s\n' "${rows[@]}"
  echo
  echo "$implemented implemented, $missing not yet implemented"
} > "$report"
cat "$report"
echo "bench: $implemented measured, $missing not yet implemented"
"$bin" db stop >/dev/null || true
