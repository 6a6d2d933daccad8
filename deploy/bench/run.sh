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
#
# The ingest entry also loads four real layers (DANE's municipalities, Cambridge's parcels,
# the Ramsar wetlands, LADM-COL's lc_terreno) from ../shared/realdata beside the project, or
# NODO_REALDATA_DIR, when it is there.
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
  # As deployed (README): the Swift runtime linked in, which starts each command ~15 ms sooner.
  swift build -c release --static-swift-stdlib --product nodo-at --scratch-path .build-release >/dev/null
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

stamp=$(date -u +%Y-%m-%dT%H%M%SZ)
report="deploy/bench/results/$stamp.md"
rows=()
implemented=0 missing=0

# measure COMMAND...: one run under /usr/bin/time; prints "seconds peak_kib". The seconds come
# from the clock in nanoseconds (time's %e has two decimals: a tenth of a small layer's load).
measure() {
  local log="$work/time.$$" t0 t1
  t0=$(date +%s%N)
  /usr/bin/time -f "%M" -o "$log" "$@" >/dev/null 2>"$work/stderr.$$" || {
    echo "command failed: $*" >&2; cat "$work/stderr.$$" >&2; return 1; }
  t1=$(date +%s%N)
  echo "$(awk "BEGIN {printf \"%.3f\", ($t1 - $t0) / 1e9}") $(tail -n 1 "$log")"
}
# drop_layers PATTERN: deletes the layers whose slug is LIKE PATTERN, and the feature partitions
# their versions leave behind (deleting a layer deletes its rows, not its partition tables,
# which autovacuum would then keep busy during the next measurements).
drop_layers() {
  psql_ -c "DELETE FROM layer WHERE slug LIKE '$1'" >/dev/null
  psql_ -At -c "SELECT format('DROP TABLE %I;', c.relname) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'feature'
    AND NOT EXISTS (SELECT 1 FROM layer_version v WHERE c.relname = 'feature_v' || v.id)" | psql_ >/dev/null
}
median() { sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

# ingest_row LABEL FEATURES OURS OGR [RUNS]: alternating loads (one warm-up, then RUNS counted,
# $runs by default), the medians as one table row. OURS and OGR name arrays: nodo-at ingest's
# arguments after the layer, ogr2ogr's source arguments (the target table and the common
# options are added here).
ingest_row() {
  local label=$1 features=$2
  local -n ours_args=$3 ogr_args=$4
  local times=() their_times=() mems=() their_mems=() s m s2 m2
  for i in $(seq 0 "${5:-$runs}"); do
    psql_ -c "DROP TABLE IF EXISTS bench_ogr" >/dev/null 2>&1
    read -r s m < <(measure "$bin" ingest "${ours_args[0]}" --layer "bench-ours-$(date +%s)-$i" "${ours_args[@]:1}" --json)
    read -r s2 m2 < <(measure ogr2ogr -f PostgreSQL "$pg" "${ogr_args[@]}" -nln bench_ogr -nlt PROMOTE_TO_MULTI \
      -makevalid -t_srs EPSG:9377 -lco GEOMETRY_NAME=geom -lco SPATIAL_INDEX=GIST -overwrite)
    if [ "$i" -gt 0 ]; then times+=("$s"); their_times+=("$s2"); mems+=("$m"); their_mems+=("$m2"); fi
  done
  # Each load goes into its own version: drop them so the database does not grow between runs.
  drop_layers 'bench-ours-%'
  local a b am bm
  a=$(printf '%s\n' "${times[@]}" | median); b=$(printf '%s\n' "${their_times[@]}" | median)
  am=$(printf '%s\n' "${mems[@]}" | median); bm=$(printf '%s\n' "${their_mems[@]}" | median)
  rows+=("| ingest $label | nodo-at ingest (with the profile's checks) | $(awk "BEGIN {printf \"%.0f\", $features/$a}") features/s, ${a} s, $(( ${am%.*} / 1024 )) MiB | ogr2ogr -makevalid -t_srs EPSG:9377 | $(awk "BEGIN {printf \"%.0f\", $features/$b}") features/s, ${b} s, $(( ${bm%.*} / 1024 )) MiB | $(awk "BEGIN {printf \"%.2f\", $b/$a}")× |")
}

bench_ingest() {
  echo "== ingest: nodo-at ingest vs ogr2ogr -makevalid -t_srs EPSG:9377 (COPY)"
  local zip="$data/predios.zip"
  local ours=("$zip" --kind cadastral --divipola 25999 --map area=area_decl)
  local ogr=("/vsizip/$zip/predios/predios.shp")
  ingest_row "$parcels parcels (shapefile zip, cadastral)" "$parcels" ours ogr
  # Real layers, when ../shared/realdata is beside the project (NODO_REALDATA_DIR elsewhere).
  local real="${NODO_REALDATA_DIR:-$root/../shared/realdata}"
  if [ -d "$real" ]; then
    local mgn="$real/colombia_mgn2018_geojson/co_2018_MGN_MPIO_POLITICO.geojson"
    local cambridge="$real/cambridge_ma/ASSESSING_ParcelsFY2014.topojson"
    # Loads of a tenth of a second: more runs, for a steadier median.
    local small_runs=$((runs < 3 ? runs : 3 * runs))
    ours=("$mgn" --kind boundary --map divipola=MPIO_CCNCT)
    ogr=("$mgn")
    ingest_row "DANE MGN municipalities, 1,122 real (GeoJSON, EPSG:4326, boundary)" 1122 ours ogr "$small_runs"
    ours=("$cambridge" --kind determinant --type 7 --crs EPSG:4326 --allow-outside-colombia)
    ogr=("$cambridge" -s_srs EPSG:4326)
    ingest_row "Cambridge parcels, 13,116 real (TopoJSON, EPSG:4326, 37 invalid)" 13116 ours ogr
    local ramsar="$real/col_otl_ambiental/ramsar_humedales/HUMEDALES_RAMSAR/HUMEDALES_RAMSAR.shp"
    ours=("$ramsar" --kind determinant --type 7)
    ogr=("$ramsar")
    ingest_row "Ramsar wetlands, 12 real (shapefile, MAGNA-SIRGAS, 2.4 MB)" 12 ours ogr "$small_runs"
    local ladm="$real/ladm_col_asistente/test_ladm_col_queries_v1_1.gpkg"
    ours=("$ladm" --source-layer lc_terreno --kind cadastral)
    ogr=("$ladm" lc_terreno)
    ingest_row "LADM-COL lc_terreno, 52 real parcels (GeoPackage of 90 tables, EPSG:9377)" 52 ours ogr "$small_runs"
  else
    echo "   (no real layers at $real: only the generated one)" >&2
  fi
  implemented=$((implemented + 1))
}

# measure_to FILE COMMAND...: like measure, keeping the command's standard output in FILE.
measure_to() {
  local out=$1 log="$work/time.$$"; shift
  /usr/bin/time -f "%e %M" -o "$log" "$@" >"$out" 2>"$work/stderr.$$" || {
    echo "command failed: $*" >&2; cat "$work/stderr.$$" >&2; return 1; }
  tail -n 1 "$log"
}

# psql_time SQL: wall seconds of one statement run by psql.
psql_time() {
  local log="$work/time.$$"
  /usr/bin/time -f "%e" -o "$log" psql -q -X -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres -d nodo -c "$1" >/dev/null
  tail -n 1 "$log"
}

json_field() { python3 -c "import json,sys; d=json.load(open(sys.argv[1]))[0]; print(eval(sys.argv[2], {}, d))" "$1" "$2"; }

# The analysis entries share one setup: the generated municipality loaded (layers bench-*)
# and, per run, `nodo-at analyze` against the peers on the same shapes and parcels.
analysis_ready=0
analysis_setup() {
  [ "$analysis_ready" = 1 ] && return
  echo "== loading the generated municipality into layers bench-*"
  # Layers from another size go first: a file loaded before would otherwise be recognised
  # by its hash and not published again.
  local loaded
  loaded=$(psql_ -At -c "SELECT count(*) FROM feature f JOIN layer_version v ON v.id = f.version_id JOIN layer l ON l.id = v.layer_id WHERE l.slug = 'bench-predios' AND v.status = 'published'")
  if [ "$loaded" != "$parcels" ]; then
    psql_ -c "DELETE FROM analysis_run; DELETE FROM job" >/dev/null
    drop_layers 'bench-%'
  fi
  "$bin" fixtures load --dir "$data" --prefix bench- --divipola 25999 >/dev/null 2>&1
  # Settle the database (dead rows of earlier sizes, fresh statistics) before anything is timed,
  # so autovacuum does not wake up in the middle of a measurement.
  psql_ -c "VACUUM ANALYZE" >/dev/null
  venv="$work/venv"
  if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import geopandas, pyogrio" 2>/dev/null; then
    echo "== installing geopandas into $venv (PyPI)"
    python3 -m venv "$venv" && "$venv/bin/pip" install -q geopandas pyogrio
  fi
  analysis_ours=() analysis_mem=() faces_ours=() aff_ours=() aff_only=() faces_pg=() aff_pg=() aff_gpd=()
  for i in $(seq 0 "$runs"); do
    read -r s m < <(measure_to "$work/analysis.json" "$bin" analyze --divipola 25999 --json)
    local run
    run=$(json_field "$work/analysis.json" "runID")
    # Keep only this run's rows.
    psql_ -c "DELETE FROM analysis_run WHERE id <> $run" >/dev/null
    if [ "$i" = 0 ]; then
      # The same shapes and parcels for geopandas, as GeoPackages (reading them is not timed).
      ogr2ogr -f GPKG "$work/shapes.gpkg" "$pg" -sql "SELECT shape_id, geom FROM analysis_shape WHERE run_id = $run" \
        -nln shapes -overwrite 2>/dev/null
      ogr2ogr -f GPKG "$work/parcels.gpkg" "$pg" -sql "SELECT f.fid AS parcel_fid, f.geom FROM feature f
        JOIN analysis_input i ON i.version_id = f.version_id AND i.role = 'cadastral' WHERE i.run_id = $run" \
        -nln parcels -overwrite 2>/dev/null
    fi
    local pf=0 pa
    # The PostGIS partition takes minutes at 100,000 parcels: only when faces are asked for.
    [ -z "$only" ] || [ "$only" = faces ] && pf=$(psql_time "DROP TABLE IF EXISTS bench_pg_faces; CREATE TABLE bench_pg_faces AS
      WITH s AS (SELECT shape_id, geom FROM analysis_shape WHERE run_id = $run),
      noded AS (SELECT ST_Union(ST_Boundary(geom)) AS g FROM s),
      polys AS (SELECT row_number() OVER () AS id, d.geom FROM (SELECT ST_Polygonize(g) AS c FROM noded) p, ST_Dump(p.c) d)
      SELECT p.id, p.geom, array_agg(s.shape_id ORDER BY s.shape_id) AS members
      FROM polys p JOIN s ON ST_Contains(s.geom, ST_PointOnSurface(p.geom)) GROUP BY p.id, p.geom")
    pa=$(psql_time "DROP TABLE IF EXISTS bench_pg_aff; CREATE TABLE bench_pg_aff AS
      SELECT f.fid, s.shape_id, ST_Area(f.geom) AS parcel_area, ST_Intersection(f.geom, s.geom) AS geom,
             ST_Area(ST_Intersection(f.geom, s.geom)) AS area
      FROM analysis_input i JOIN feature f ON f.version_id = i.version_id
      JOIN analysis_shape s ON s.run_id = i.run_id AND ST_Intersects(f.geom, s.geom)
      WHERE i.run_id = $run AND i.role = 'cadastral'")
    local g
    g=$("$venv/bin/python" - "$work/parcels.gpkg" "$work/shapes.gpkg" <<'PY'
import sys, time, geopandas as gpd
parcels = gpd.read_file(sys.argv[1]); shapes = gpd.read_file(sys.argv[2])
t = time.perf_counter()
out = gpd.overlay(parcels, shapes, how="intersection", keep_geom_type=True)
area = out.geometry.area.sum()
print(f"{time.perf_counter() - t:.3f} {area:.3f}")
PY
)
    if [ "$i" -gt 0 ]; then
      analysis_ours+=("$s"); analysis_mem+=("$m")
      faces_ours+=("$(json_field "$work/analysis.json" "timings['prepare'] + timings['faces']")")
      aff_ours+=("$(json_field "$work/analysis.json" "timings['load_parcels'] + timings['affectations']")")
      aff_only+=("$(json_field "$work/analysis.json" "timings['affectations']")")
      faces_pg+=("$pf"); aff_pg+=("$pa"); aff_gpd+=("${g%% *}")
    fi
    gpd_area=${g##* }
  done
  # Equal areas: faces against the PostGIS partition, affectations against the PostGIS join
  # (ours drop slivers below 1 m² or 0.01 % of the parcel: the join is filtered the same way).
  faces_check=-
  if [ -z "$only" ] || [ "$only" = faces ]; then
    faces_check=$(psql_ -At -c "SELECT round(((SELECT sum(area_m2) FROM confluence_face) / (SELECT sum(ST_Area(geom)) FROM bench_pg_faces) - 1)::numeric, 9)")
  fi
  aff_check=$(psql_ -At -c "SELECT round(((SELECT sum(area_m2) FROM affectation) / (SELECT sum(area) FROM bench_pg_aff WHERE area >= 1 AND area / parcel_area * 100 >= 0.01) - 1)::numeric, 9)")
  gpd_check=$(psql_ -At -c "SELECT round(($gpd_area / (SELECT sum(area) FROM bench_pg_aff) - 1)::numeric, 9)")
  shapes_n=$(json_field "$work/analysis.json" "shapes"); faces_n=$(json_field "$work/analysis.json" "faces")
  aff_n=$(json_field "$work/analysis.json" "affectations")
  analysis_ready=1
}

bench_faces() {
  analysis_setup
  local a b
  a=$(printf '%s\n' "${faces_ours[@]}" | median); b=$(printf '%s\n' "${faces_pg[@]}" | median)
  rows+=("| confluence faces, $shapes_n determinant shapes → $faces_n faces | nodo-at analyze: prepare + faces stages | ${a} s | PostGIS ST_Union(ST_Boundary) → ST_Polygonize → ST_PointOnSurface join | ${b} s (area difference $faces_check) | $(awk "BEGIN {printf \"%.2f\", $b/$a}")× |")
  implemented=$((implemented + 1))
}

bench_affectations() {
  analysis_setup
  local a b c o w wm
  a=$(printf '%s\n' "${aff_ours[@]}" | median); b=$(printf '%s\n' "${aff_pg[@]}" | median)
  o=$(printf '%s\n' "${aff_only[@]}" | median)
  c=$(printf '%s\n' "${aff_gpd[@]}" | median)
  w=$(printf '%s\n' "${analysis_ours[@]}" | median); wm=$(printf '%s\n' "${analysis_mem[@]}" | median)
  rows+=("| parcel affectations, $parcels parcels × $shapes_n shapes → $aff_n rows | nodo-at analyze: load parcels + affectations stages (pieces, totals) | ${a} s | PostGIS ST_Intersects join with ST_Intersection + ST_Area | ${b} s (area difference $aff_check) | $(awk "BEGIN {printf \"%.2f\", $b/$a}")× |")
  rows+=("| parcel affectations (same) | same | ${a} s | geopandas.overlay(how=intersection), overlay only (reading not timed) | ${c} s (area difference vs PostGIS $gpd_check, unfiltered) | $(awk "BEGIN {printf \"%.2f\", $c/$a}")× |")
  rows+=("| parcel affectations, overlay only on both sides | affectations stage (reading not timed) | ${o} s | geopandas.overlay, overlay only | ${c} s | $(awk "BEGIN {printf \"%.2f\", $c/$o}")× |")
  rows+=("| whole analysis run (load, faces, conflicts, affectations, save) | nodo-at analyze | ${w} s, $(( ${wm%.*} / 1024 )) MiB peak | | | |")
  implemented=$((implemented + 1))
}

# wrk_run URL: "requests/s p99_ms" of 10 s (2 s with --debug) at 64 connections on 2 threads.
wrk_run() {
  local out seconds=10
  [ "$config" = debug ] && seconds=2
  out=$(wrk -t2 -c64 -d"${seconds}s" --latency "$1" 2>&1)
  local rps p99 errors
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p99=$(echo "$out" | awk '$1 == "99%" {print $2}')
  errors=$(echo "$out" | awk '/Non-2xx/ {print $5}')
  if [ -n "$errors" ]; then echo "wrk: $errors non-2xx answers from $1" >&2; fi
  # p99 in ms whatever unit wrk chose.
  p99=$(echo "$p99" | awk '{v=$1; if (v ~ /us$/) {sub(/us/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v=v*1000}; printf "%.1f", v}')
  echo "${rps:-0} ${p99:-0}"
}

wait_http() {
  local code
  for _ in $(seq 1 120); do
    code=$(curl -s -o /dev/null -w "%{http_code}" "$1" || true)
    [ "$code" = 200 ] && return 0
    sleep 0.5
  done
  echo "server at $1 did not come up (last status $code)" >&2
  tail -n 20 "$work"/serve.log "$work"/tipg.log "$work"/pygeoapi.log >&2 || true
  return 1
}

bench_api() {
  echo "== api: wrk on nodo-at serve, tipg and pygeoapi (same rows, same server); pgbench ceiling"
  if ! command -v wrk >/dev/null; then
    if [ "$(id -u)" = 0 ]; then apt-get install -y -qq wrk >/dev/null; else echo "install wrk" >&2; exit 1; fi
  fi
  venv="$work/venv"
  if ! "$venv/bin/python" -c "import tipg, pygeoapi, gunicorn, uvicorn, geoalchemy2, psycopg2" 2>/dev/null; then
    echo "== installing tipg, pygeoapi, uvicorn, gunicorn into $venv (PyPI)"
    [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
    "$venv/bin/pip" install -q tipg pygeoapi uvicorn gunicorn geoalchemy2 psycopg2-binary sqlalchemy
  fi
  local loaded
  loaded=$(psql_ -At -c "SELECT count(*) FROM feature f JOIN layer_version v ON v.id = f.version_id JOIN layer l ON l.id = v.layer_id WHERE l.slug = 'bench-predios' AND v.status = 'published'")
  if [ "$loaded" != "$parcels" ]; then
    psql_ -c "DELETE FROM analysis_run; DELETE FROM job" >/dev/null
    drop_layers 'bench-%'
  fi
  "$bin" fixtures load --dir "$data" --prefix bench- --divipola 25999 >/dev/null 2>&1
  # Settle the database (dead rows of earlier sizes, fresh statistics) before anything is timed,
  # so autovacuum does not wake up in the middle of a measurement.
  psql_ -c "VACUUM ANALYZE" >/dev/null
  psql_ -At -c "SELECT 1 FROM analysis_run WHERE status = 'succeeded' LIMIT 1" | grep -q 1 || "$bin" analyze --divipola 25999 >/dev/null
  local vid
  vid=$(psql_ -At -c "SELECT v.id FROM layer_version v JOIN layer l ON l.id = v.layer_id WHERE l.slug = 'bench-predios' AND v.status = 'published'")
  # The peers read a plain copy of the same rows (fid primary key, GiST index): they cannot
  # read a partition keyed by (version_id, fid).
  psql_ -c "DROP TABLE IF EXISTS bench_parcels; CREATE TABLE bench_parcels AS SELECT fid, npn, attributes, geom FROM feature WHERE version_id = $vid; ALTER TABLE bench_parcels ADD PRIMARY KEY (fid); CREATE INDEX ON bench_parcels USING gist (geom); ANALYZE bench_parcels;" >/dev/null
  local fid=$(( parcels / 2 )) bbox npn
  bbox=$(psql_ -At -c "SELECT concat_ws(',', ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b)) FROM (SELECT ST_Transform(ST_Expand(ST_Centroid(ST_SetSRID(ST_Extent(geom)::geometry, 9377)), 150), 4326)::box2d AS b FROM bench_parcels) t")
  npn=$(psql_ -At -c "SELECT npn FROM affectation WHERE npn IS NOT NULL ORDER BY parcel_fid LIMIT 1")
  pids=()
  # The servers stop with the harness, whatever happens.
  # Workers too: a server stopped while it boots (another failed to come up) can leave them.
  trap 'for pid in "${pids[@]}"; do pkill -TERM -P "$pid" 2>/dev/null || true; kill "$pid" 2>/dev/null || true; done' EXIT
  NODO_LANG=es "$bin" serve --port 18181 >"$work/serve.log" 2>&1 & pids+=($!)
  DATABASE_URL="postgresql://postgres@127.0.0.1:$port/nodo" TIPG_DB_TABLES='["public.bench_parcels"]' \
    TIPG_DB_SPATIAL_EXTENT=false TIPG_DB_DATETIME_EXTENT=false \
    "$venv/bin/uvicorn" tipg.main:app --host 127.0.0.1 --port 18182 --workers 2 --log-level warning \
    >"$work/tipg.log" 2>&1 & pids+=($!)
  cat >"$work/pygeoapi.yml" <<YML
server:
  bind: {host: 127.0.0.1, port: 18183}
  url: http://127.0.0.1:18183
  mimetype: application/json; charset=UTF-8
  encoding: utf-8
  languages: [en-US]
  limits: {default_items: 10, max_items: 10000}
  map: {url: "https://tile.openstreetmap.org/{z}/{x}/{y}.png", attribution: OSM}
logging: {level: ERROR}
metadata:
  identification: {title: bench, description: bench, keywords: [bench], terms_of_service: none, url: http://example.org}
  license: {name: CC-BY 4.0, url: https://creativecommons.org/licenses/by/4.0/}
  provider: {name: bench, url: http://example.org}
  contact: {name: bench}
resources:
  bench_parcels:
    type: collection
    title: bench parcels
    description: bench parcels
    keywords: [parcels]
    extents:
      spatial: {bbox: [-180, -90, 180, 90], crs: http://www.opengis.net/def/crs/OGC/1.3/CRS84}
    providers:
      - type: feature
        name: PostgreSQL
        data: {host: 127.0.0.1, port: $port, dbname: nodo, user: postgres, password: "", search_path: [public]}
        id_field: fid
        table: bench_parcels
        geom_field: geom
        storage_crs: http://www.opengis.net/def/crs/EPSG/0/9377
YML
  PYGEOAPI_CONFIG="$work/pygeoapi.yml" PYGEOAPI_OPENAPI="$work/pygeoapi-openapi.yml" \
    "$venv/bin/pygeoapi" openapi generate "$work/pygeoapi.yml" --output-file "$work/pygeoapi-openapi.yml" >/dev/null 2>&1
  PYGEOAPI_CONFIG="$work/pygeoapi.yml" PYGEOAPI_OPENAPI="$work/pygeoapi-openapi.yml" \
    "$venv/bin/gunicorn" -w 2 --threads 4 -b 127.0.0.1:18183 pygeoapi.flask_app:APP >"$work/pygeoapi.log" 2>&1 & pids+=($!)
  wait_http "http://127.0.0.1:18181/ready" && wait_http "http://127.0.0.1:18182/collections" \
    && wait_http "http://127.0.0.1:18183/collections/bench_parcels?f=json"
  # Our server reads a published version's CRS84 copy once it has built it (in the background,
  # after start): time the routes as they run from then on.
  local copy=""
  for _ in $(seq 1 600); do
    copy=$(psql_ -At -c "SELECT 1 WHERE to_regclass('feature_crs84_v$vid') IS NOT NULL")
    [ "$copy" = 1 ] && break
    sleep 0.1
  done
  [ "$copy" = 1 ] || { echo "the server built no CRS84 copy of version $vid in 60 s" >&2; tail -n 20 "$work/serve.log" >&2; return 1; }
  local names=("item by id" "items?limit=10" "items?bbox=…&limit=100")
  local ours_urls=(
    "http://127.0.0.1:18181/collections/bench-predios/items/$fid"
    "http://127.0.0.1:18181/collections/bench-predios/items?limit=10"
    "http://127.0.0.1:18181/collections/bench-predios/items?bbox=$bbox&limit=100")
  local tipg_urls=(
    "http://127.0.0.1:18182/collections/public.bench_parcels/items/$fid"
    "http://127.0.0.1:18182/collections/public.bench_parcels/items?limit=10"
    "http://127.0.0.1:18182/collections/public.bench_parcels/items?bbox=$bbox&limit=100")
  local pyg_urls=(
    "http://127.0.0.1:18183/collections/bench_parcels/items/$fid?f=json"
    "http://127.0.0.1:18183/collections/bench_parcels/items?limit=10&f=json"
    "http://127.0.0.1:18183/collections/bench_parcels/items?bbox=$bbox&limit=100&f=json")
  # Each URL: a warm-up, then $runs rounds of the three servers in turn (the machine's speed
  # drifts within minutes: alternating spreads the drift over all three); the medians.
  local o op t tp p pp r
  for i in 0 1 2; do
    wrk -t2 -c16 -d1s "${ours_urls[$i]}" >/dev/null 2>&1; wrk -t2 -c16 -d1s "${tipg_urls[$i]}" >/dev/null 2>&1
    wrk -t2 -c16 -d1s "${pyg_urls[$i]}" >/dev/null 2>&1
    local ours_r=() ours_p=() tipg_r=() tipg_p=() pyg_r=() pyg_p=()
    for r in $(seq 1 "$runs"); do
      read -r o op < <(wrk_run "${ours_urls[$i]}"); ours_r+=("$o"); ours_p+=("$op")
      read -r t tp < <(wrk_run "${tipg_urls[$i]}"); tipg_r+=("$t"); tipg_p+=("$tp")
      read -r p pp < <(wrk_run "${pyg_urls[$i]}"); pyg_r+=("$p"); pyg_p+=("$pp")
    done
    o=$(printf '%s\n' "${ours_r[@]}" | median); op=$(printf '%s\n' "${ours_p[@]}" | median)
    t=$(printf '%s\n' "${tipg_r[@]}" | median); tp=$(printf '%s\n' "${tipg_p[@]}" | median)
    p=$(printf '%s\n' "${pyg_r[@]}" | median); pp=$(printf '%s\n' "${pyg_p[@]}" | median)
    rows+=("| API ${names[$i]}, 64 connections, 10 s, median of $runs | nodo-at serve | ${o} req/s, p99 ${op} ms | tipg (uvicorn, 2 workers) | ${t} req/s, p99 ${tp} ms | $(awk "BEGIN {printf \"%.1f\", $o/($t>0?$t:1)}")× |")
    rows+=("| API ${names[$i]} (same) | nodo-at serve | ${o} req/s | pygeoapi (gunicorn, 2 workers × 4 threads) | ${p} req/s, p99 ${pp} ms | $(awk "BEGIN {printf \"%.1f\", $o/($p>0?$p:1)}")× |")
    echo "   ${names[$i]}: ours ${ours_r[*]}; tipg ${tipg_r[*]}; pygeoapi ${pyg_r[*]} req/s"
  done
  read -r a ap < <(wrk_run "http://127.0.0.1:18181/parcels/$npn/affectations")
  # The peers stop before pgbench opens its 64 connections.
  kill "${pids[1]}" "${pids[2]}" 2>/dev/null || true
  wait "${pids[1]}" "${pids[2]}" 2>/dev/null || true
  # The ceiling: PostgreSQL alone answering the same statements our routes run, the same way:
  # prepared statements, parsed and planned once per connection (the box of a small page comes
  # as EWKT in EPSG:9377 with its inner rectangle, read once by subqueries). One line each:
  # pgbench reads a statement per line.
  # (The version's CRS84 copy, with each feature's GeoJSON geometry prepared, as our routes read it.)
  local json_sql="SELECT t.id, '{\"type\":\"Feature\",\"id\":' || t.id || ',\"geometry\":' || t.geojson || ',\"properties\":' || (t.props)::text || '}' AS json"
  local rows_sql="SELECT f.fid AS id, f.geom, f.attributes AS props, f.geojson FROM feature_crs84_v$vid f"
  local feature="$json_sql FROM ($rows_sql) t"
  local check="SELECT c.current, f.id, f.json FROM (SELECT (SELECT v.status = 'published' FROM layer_version v WHERE v.id = $vid) AS current) c LEFT JOIN LATERAL"
  # ceiling_row LABEL MODE SQLFILE URL PEER: pgbench of the statement in MODE, then our route.
  ceiling_row() {
    local tps ours p99
    tps=$(/usr/lib/postgresql/15/bin/pgbench -n -M "$2" -c 64 -j 2 -T "$([ "$config" = debug ] && echo 2 || echo 10)" -h 127.0.0.1 -p "$port" -U postgres -f "$3" nodo 2>/dev/null | awk '/^tps/ {print $3; exit}')
    read -r ours p99 < <(wrk_run "$4")
    rows+=("| API $1 vs the database alone | nodo-at serve | ${ours} req/s, p99 ${p99} ms | pgbench, $5, 64 clients | ${tps} tx/s | $(awk "BEGIN {printf \"%.0f%%\", 100*$ours/($tps>0?$tps:1)}") of the ceiling |")
  }
  echo "$check ($feature WHERE t.id = $fid) f ON true;" >"$work/item.sql"
  ceiling_row "item by id" prepared "$work/item.sql" "${ours_urls[0]}" "the same prepared statement"
  local b0 b1 b2 b3
  IFS=, read -r b0 b1 b2 b3 <<<"$bbox"
  local box corners inner
  corners=$(psql_ -At -c "SELECT string_agg(ST_X(p.geom) || ' ' || ST_Y(p.geom), ',' ORDER BY p.path) FROM ST_DumpPoints(ST_Transform(ST_MakeEnvelope($b0, $b1, $b2, $b3, 4326), 9377)) p")
  box="(SELECT 'SRID=9377;POLYGON(($corners))'::geometry)"
  # The rectangle a metre inside the box's corners (lower left, upper left, upper right, lower right).
  inner=$(awk -v c="$corners" 'BEGIN { n = split(c, p, /[ ,]/); x0 = (p[1] > p[3] ? p[1] : p[3]) + 1; y0 = (p[2] > p[8] ? p[2] : p[8]) + 1;
    x1 = (p[5] < p[7] ? p[5] : p[7]) - 1; y1 = (p[4] < p[6] ? p[4] : p[6]) - 1;
    printf "%.9f %.9f,%.9f %.9f,%.9f %.9f,%.9f %.9f,%.9f %.9f", x0, y0, x0, y1, x1, y1, x1, y0, x0, y0 }')
  # A page of 100 comes in one row, joined in SQL (the row past the page says there is a
  # next one; the server cuts it off).
  # The candidates (boxes overlapping the box) in fid order behind a fence, tested against the
  # box only until the page is full.
  local candidates="SELECT c.* FROM ($rows_sql) c WHERE c.geom && $box AND c.id > -9223372036854775808 ORDER BY c.id OFFSET 0"
  local page="$json_sql FROM ($candidates) t WHERE CASE WHEN t.geom @ (SELECT 'SRID=9377;POLYGON(($inner))'::geometry) THEN true ELSE ST_DWithin(t.geom, $box, 0) END ORDER BY t.id LIMIT 101"
  echo "SELECT (SELECT v.status = 'published' FROM layer_version v WHERE v.id = $vid) AS current, least(count(*), 101 - 1) AS count, (array_agg(q.id))[least(count(*), 101 - 1)] AS last, count(*) >= 101 AS more, string_agg(q.json, ',') AS json, (array_agg(octet_length(q.json)))[101] + 1 AS drop FROM ($page) q;" >"$work/bbox.sql"
  ceiling_row "items?bbox=…&limit=100" prepared "$work/bbox.sql" "${ours_urls[2]}" "the same prepared statement"
  rows+=("| API parcel affectations (JSON) | nodo-at serve | ${a} req/s, p99 ${ap} ms | (no peer has it) | | |")
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait "${pids[@]}" 2>/dev/null || true
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
    faces) bench_faces ;;
    affectations) bench_affectations ;;
    api) bench_api ;;
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
