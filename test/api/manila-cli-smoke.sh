#!/usr/bin/env bash
# Runs the unmodified `manila` CLI (python3-manilaclient) against the API in front of the in-memory
# services. A development check, not part of `vitest run`: needs python3-manilaclient installed.
#   test/api/manila-cli-smoke.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$PWD/node_modules/.bin:$PATH"

log=$(mktemp)
node test/api/serve-in-memory.ts 0 >"$log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; rm -f "$log"' EXIT
for _ in $(seq 50); do grep -q '^http' "$log" && break; sleep 0.1; done
url=$(grep -m1 '^http' "$log")
echo "API at $url"

m() { echo "+ manila $*" >&2; manila --os-token T --bypass-url "$url/v2" --os-share-api-version 2.72 "$@"; }

m type-create default false
m type-list
m type-show default
m type-key default set snapshot_support=False
m extra-specs-list
m create NFS 1 --share-type default --name smoke
uuid() { grep -oE '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}' | head -1; }
id=$(m list --columns id | uuid)
echo "share $id"
m list
m show "$id"
m share-export-location-list "$id"
el=$(m share-export-location-list "$id" --columns id | uuid)
m share-export-location-show "$id" "$el"
m access-allow "$id" ip 10.0.0.0/24
m access-list "$id"
rule=$(m access-list "$id" --columns id | uuid)
m access-show "$rule"
m pool-list
m pool-list --detail
m migration-start "$id" local@beta#default --writable False --preserve-metadata False --preserve-snapshots False --nondisruptive False
m migration-get-progress "$id"
m migration-complete "$id"
m migration-get-progress "$id"
m show "$id"
m reset-task-state "$id" --task-state None
m access-deny "$id" "$rule"
m delete "$id"
m create NFS 1 --name second
second=$(m list --columns id | uuid)
m migration-start "$second" local@beta#default --writable False --preserve-metadata False --preserve-snapshots False --nondisruptive False --force-host-assisted-migration True
m migration-cancel "$second"
m migration-get-progress "$second"
m delete "$second"
m list
m type-delete default
echo "all commands succeeded"
