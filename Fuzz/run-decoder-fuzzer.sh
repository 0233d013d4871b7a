#!/usr/bin/env bash
# Builds the BW1 decoder with libFuzzer + AddressSanitizer and runs it.
#   Fuzz/run-decoder-fuzzer.sh                 # one million inputs
#   Fuzz/run-decoder-fuzzer.sh -runs=10000000  # any libFuzzer flags
set -euo pipefail
cd "$(dirname "$0")/.."
out=.build-fuzz
mkdir -p "$out/corpus"
swiftc -O -sanitize=fuzzer,address -parse-as-library -module-name BridgeCore \
  Sources/BridgeCore/Wire/HeartbeatCodec.swift Sources/BridgeCore/Model/SiteID.swift \
  Fuzz/DecoderFuzzer.swift -o "$out/decoder-fuzzer"
# Seeds: valid and nearly valid heartbeats.
printf 'BW1 site=HB-TU seq=42 count=148 ts=1763800000 state=ok\n' > "$out/corpus/seed-1"
printf 'BW1 site=HB-TU seq=42 count=148 ts=1763800000 state=ok mac=a34a0549ae24f4e0c725e91c63f0b71e46fbda69b462ecefbf95638858054be0\r\n' > "$out/corpus/seed-2"
printf 'BW1 site=A seq=1 rtt=35 note=x\n' > "$out/corpus/seed-3"
if [ $# -eq 0 ]; then set -- -runs=1000000; fi
exec "$out/decoder-fuzzer" -max_len=1400 -dict=Fuzz/bw1.dict "$@" "$out/corpus"
