#!/usr/bin/env bash
# A population run split across 1, 2 and 4 worker processes (aggregate --shard i/n) into one PostgreSQL, as
# docs/storage.md ("Scaling out") reports it: per worker count, all workers start together into a fresh schema;
# the figure is the wall time until the last one ends (the slowest worker), with each worker's own time and peak RSS.
# Afterwards it checks that the store holds every person once (history) and drops the schemas.
#
#   python3 tests/HealthRecord.Sdk.Population/generate.py --corpus /work/shared/corpus --copies 5 --emrs 10 --out /tmp/pop1
#   dotnet build -c Release docs/samples/HealthRecord.Cli
#   HEALTHRECORD_POSTGRES="Host=127.0.0.1;Port=5432;Username=postgres;Database=postgres" \
#     tests/HealthRecord.Sdk.Population/shards.sh /tmp/pop1 1 2 4
#
# Needs /usr/bin/time and a PostgreSQL the connection may create schemas in (.ci/run shows how to start a throw-away one).
set -euo pipefail
pop="${1:?usage: shards.sh POPULATION_DIR [WORKERS...]}"; shift
counts=("${@:-1 2 4}"); [ $# -eq 0 ] && counts=(1 2 4)
cs="${HEALTHRECORD_POSTGRES:?set HEALTHRECORD_POSTGRES to a connection string}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
cli="$root/docs/samples/HealthRecord.Cli/bin/Release/net10.0/healthrecord.dll"
[ -f "$cli" ] || { echo "build the CLI first: dotnet build -c Release docs/samples/HealthRecord.Cli"; exit 1; }
sources=(); for d in "$pop"/emr-*; do sources+=(--source "$(basename "$d")=$d"); done
work="$(mktemp -d /tmp/healthrecord-shards.XXXXXX)"
schemas=()
cleanup() {
  psql_bin="$(command -v psql || ls /usr/lib/postgresql/*/bin/psql 2>/dev/null | tail -1 || true)"
  if [ -n "$psql_bin" ] && [ ${#schemas[@]} -gt 0 ]; then
    # Npgsql's Host=…;Port=…;Username=…;Database=… as libpq keywords.
    conn="$(echo "$cs" | tr ';' '\n' | sed -n 's/^Host=/host=/p; s/^Port=/port=/p; s/^Username=/user=/p; s/^Database=/dbname=/p; s/^Password=/password=/p' | tr '\n' ' ')"
    for s in "${schemas[@]}"; do "$psql_bin" "$conn" -qc "DROP SCHEMA IF EXISTS $s CASCADE" >/dev/null 2>&1 || true; done
  fi
  rm -rf "$work"
}
trap cleanup EXIT

echo "population: $pop ($(ls "$pop" | wc -l) EMRs, $(find "$pop" -name '*.json' | wc -l) files); $(nproc) cores; load: $(uptime | sed 's/.*load average: //')"
for n in "${counts[@]}"; do
  schema="shards_${n}_$$"; schemas+=("$schema")
  store="postgres:$cs;Search Path=$schema"
  # The workers create the schema themselves (the first save migrates it, once, under an advisory lock).
  start=$(date +%s.%N)
  pids=()
  for i in $(seq 1 "$n"); do
    /usr/bin/time -f "%e %M" -o "$work/time-$n-$i" dotnet "$cli" aggregate "${sources[@]}" --store "$store" --shard "$i/$n" > "$work/out-$n-$i" 2>&1 &
    pids+=($!)
  done
  status=0; for p in "${pids[@]}"; do wait "$p" || status=1; done
  wall=$(echo "$(date +%s.%N) - $start" | bc)
  saved=$(cat "$work"/out-"$n"-* | grep -c '^saved: person ' || true)
  distinct=$(cat "$work"/out-"$n"-* | grep '^saved: person ' | awk '{print $3}' | sort -u | wc -l)
  persons=$(dotnet "$cli" history --store "$store" | grep -oE '^[0-9]+ persons\.' | grep -oE '[0-9]+' || echo "?")
  per=$(for i in $(seq 1 "$n"); do read -r t m < "$work/time-$n-$i"; printf '%s s/%d MB ' "$t" $((m / 1024)); done)
  printf '%d worker(s): wall %.1f s (slowest worker); workers: %s; saved %d persons (%d distinct), store holds %s persons; exit %s; load after: %s\n' \
    "$n" "$wall" "$per" "$saved" "$distinct" "$persons" "$status" "$(uptime | sed 's/.*load average: //')"
  [ "$status" -eq 0 ] || { tail -20 "$work"/out-"$n"-*; }
done
