#!/bin/sh
# The synth command: `npm run synth` and cdktf.json's app (`npx cdktf synth`, with --main).
# It starts Node from the startup snapshot when there is one (bin/snapshot.cjs: the program
# loaded and warmed up, about 0.2 s less per synth); the snapshot itself checks that it was built
# from the sources as they are, and runs bin/synth.cjs (the program from .build/synth/) when not.
# Without a snapshot, with a source newer than it, with PLATFORM_SYNTH_SNAPSHOT=0 or CI, or with
# NODE_OPTIONS set (V8 flags there do not match the snapshot's), bin/synth.cjs runs directly.
bin=${0%/*}
root="$bin/.."
# Node 20 parses every certificate of NODE_EXTRA_CA_CERTS as it starts (80 ms for Debian's bundle
# on our 2-core machine), whether or not the process opens a TLS connection. A synth never does
# (test/unit/synth-snapshot.test.ts checks that it loads no TLS module), so it starts without.
unset NODE_EXTRA_CA_CERTS
# cdktf's CLI sets NODE_OPTIONS to this when it is empty, for ts-node; this program runs no ts-node
# and needs well under 1 GB (npm run bench), and the V8 flag would keep the snapshot from loading
if [ "${NODE_OPTIONS:-}" = "--max-old-space-size=4096" ]; then unset NODE_OPTIONS; fi
blob="$root/.build/synth/snapshot/synth.blob"
# a source (bin/program.cjs SOURCES, and bin/) newer than the snapshot: a cheap first test, the
# snapshot itself compares every file's stamp
if [ -f "$blob" ] && [ "${PLATFORM_SYNTH_SNAPSHOT:-1}" != 0 ] && [ -z "${CI:-}" ] &&
  [ -z "${NODE_OPTIONS:-}" ] &&
  [ -z "$(cd "$root" && find main.ts version.ts config constructs policy stacks scripts bin \
    -newer .build/synth/snapshot/synth.blob -print -quit 2>/dev/null)" ]; then
  node --snapshot-blob "$blob" "$bin/synth.cjs" "$@"
  status=$?
  # 14: Node could not load the snapshot (built by another Node version); nothing ran yet
  [ "$status" -ne 14 ] && exit "$status"
fi
exec node "$bin/synth.cjs" "$@"
