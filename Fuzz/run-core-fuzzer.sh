#!/usr/bin/env bash
# Builds a decoder of BridgeCore with libFuzzer + AddressSanitizer and runs it:
#   Fuzz/run-core-fuzzer.sh journal                   # the journal line reader, one million inputs
#   Fuzz/run-core-fuzzer.sh console                   # the console protocol decoder, one million inputs
#   Fuzz/run-core-fuzzer.sh journal -runs=10000000    # any libFuzzer flags
# These decoders use much of BridgeCore, so the module is built whole, less the config loader (Yams) and heartbeat
# authentication (swift-crypto), which CoreShim.swift stands in for.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:-}
case "$target" in
  journal) entry=Fuzz/JournalLineFuzzer.swift; docs=docs/JOURNAL.md; max_len=4096 ;;
  console) entry=Fuzz/ConsoleFuzzer.swift; docs=docs/CONSOLE-PROTOCOL.md; max_len=4096 ;;
  *) echo "usage: $0 journal|console [libFuzzer flags]" >&2; exit 2 ;;
esac
shift
out=.build-fuzz
corpus="$out/corpus-$target"
mkdir -p "$corpus"
sources=$(ls Sources/BridgeCore/*.swift | grep -v -e /ConfigLoader.swift -e /HeartbeatAuthenticator.swift \
  -e /KeyedHMAC.swift -e /YAMLAliasGuard.swift)
# shellcheck disable=SC2086
swiftc -swift-version 6 -O -sanitize=fuzzer,address -parse-as-library -module-name BridgeCore \
  $sources Fuzz/CoreShim.swift "$entry" -o "$out/$target-fuzzer"
# Seeds: every example line of the format's document.
n=0
grep -o '{"t\?y\?p\?e\?[^`]*}' "$docs" | grep -v '…' | while IFS= read -r line; do
  n=$((n + 1))
  printf '%s' "$line" > "$corpus/doc-$n"
done
if [ $# -eq 0 ]; then set -- -runs=1000000; fi
exec "$out/$target-fuzzer" -max_len=$max_len -dict=Fuzz/json.dict "$@" "$corpus"
