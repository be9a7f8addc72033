#!/bin/bash
# The default pack's training run on a many-core machine with a CUDA GPU (an H200 with 16 cores,
# lent for one session, ran it in 8 minutes: models/expotion-small/README.md, "Retrained on a
# GPU"): the data in PARTS parallel parts, the base, then the adaptor, each fitted into a wall-time
# budget, and the weights written in float16 (all the export keeps) to OUT, small enough to copy back.
#
#   NODE=node BUNDLE=dist/scripts/dataSymbolic.js tools/train_on_gpu.sh OUT
#   /usr/bin/python3 tools/export_default_pack.py --run OUT --data data/symbolic --text-ids ...
#
# NODE runs the data generator (a bundle of scripts/dataSymbolic.ts works where the project's
# node_modules are absent: npx esbuild dist/scripts/dataSymbolic.js --bundle --platform=node
# --format=esm --outfile=BUNDLE). PYTHON must have torch with CUDA.
set -euo pipefail
out=${1:?usage: tools/train_on_gpu.sh OUT}
NODE=${NODE:-node} BUNDLE=${BUNDLE:-dist/scripts/dataSymbolic.js} PYTHON=${PYTHON:-python3}
PARTS=${PARTS:-16} HOURS=${HOURS:-400} DEVICE=${DEVICE:-cuda} DATA=${DATA:-/tmp/symbolic} RUN=${RUN:-/tmp/run}
BASE_MINUTES=${BASE_MINUTES:-4.5} ADAPTOR_MINUTES=${ADAPTOR_MINUTES:-2.5} BATCH=${BATCH:-128}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out" "$DATA" "$RUN"

# Data: the same bytes as `npm run data:symbolic -- --hours 400 --seed 1 --steps 320` in one process.
start=$(date +%s)
pids=()
for ((i = 0; i < PARTS; i++)); do
  "$NODE" "$BUNDLE" --hours "$HOURS" --seed 1 --steps 320 --out "$DATA/part$i" --part "$i/$PARTS" > "$DATA/part$i.log" 2>&1 &
  pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid"; done
for split in train valid test; do
  for ext in tokens.u8 controls.f32 text.i32 jsonl; do
    for ((i = 0; i < PARTS; i++)); do cat "$DATA/part$i/$split.$ext"; done > "$DATA/$split.$ext"
  done
done
cp "$DATA/part0/tokenizer.json" "$DATA/"
"$PYTHON" - "$DATA" "$PARTS" <<'PY'
import json, sys
root, parts = sys.argv[1], int(sys.argv[2])
metas = [json.load(open(f"{root}/part{i}/meta.json")) for i in range(parts)]
meta = dict(metas[0])
meta.pop("part")
meta["command"] = meta["command"].rsplit(" --part", 1)[0].replace("/part0", "")
meta["clips"] = {k: sum(m["clips"][k] for m in metas) for k in meta["clips"]}
meta["trainHours"] = round(sum(m["trainHours"] for m in metas), 1)
json.dump(meta, open(f"{root}/meta.json", "w"), indent=2)
print("data:", meta["clips"], meta["trainHours"], "hours")
PY
cp "$DATA/meta.json" "$out/data-meta.json"
echo "data in $(($(date +%s) - start)) s"

train() {
  "$PYTHON" "$here/train_default_pack.py" --data "$DATA" --out "$RUN" --device "$DEVICE" --threads 4 --batch "$BATCH" \
    --save-every 1000 --eval-every 500 "$@"
}
train --stage base --steps 12000 --minutes "$BASE_MINUTES"
train --stage adaptor --steps 5000 --minutes "$ADAPTOR_MINUTES"

"$PYTHON" - "$RUN" "$out" <<'PY'
import sys, torch
run, out = sys.argv[1:]
for stage in ("base", "adaptor"):
    ck = torch.load(f"{run}/{stage}.pt", map_location="cpu", weights_only=False)
    half = lambda sd: {k: v.half() if v.is_floating_point() else v for k, v in sd.items()}
    torch.save({"config": ck["config"], "step": ck["step"], "schedule": ck.get("schedule"), "stage": stage,
                "text": half(ck["text"]), "decoder": half(ck["decoder"])}, f"{out}/{stage}.pt")
PY
cp "$RUN"/base.log "$RUN"/adaptor.log "$out/"
echo "done in $(($(date +%s) - start)) s"
