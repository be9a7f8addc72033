#!/usr/bin/python3
"""Give a merged new-K/V decoder (tools/export_default_pack.py's decoder_model_merged.onnx) a
per-row past length, so that the cached steps of sessions with different cache lengths can run
as one batch (server/generation/lm/stepBatcher.ts).

Needs Debian's python3-onnx only (apt-get install -y python3-onnx), no torch, no onnxruntime:

    /usr/bin/python3 tools/per_row_past_length.py models/expotion-small [models/expotion-small-base ...]

Graph surgery on the shipped file (the PyTorch checkpoints are not kept). The cached branch of the
`If` read `past_sequence_length` int64 [1] as one scalar (Gather index 0) for two things:

- the sinusoidal positions of the new positions: arange(s) + past  ->  [s, d], added to x [T, s, d];
- the past bias: (arange(capacity) >= past) * -1e9  ->  [capacity], added to every layer's
  self-attention scores [T, H, s, capacity].

After the rewrite `past_sequence_length` is int64 [R] with R = T (one length per batch row) or 1
(all rows, as before: everything broadcasts), and

- positions = past[:, None] + arange(s)  ->  [R, s], sinusoids [R, s, d];
- past bias = (arange(capacity)[None, :] >= past[:, None]) * -1e9 -> [R, 1, 1, capacity].

Nothing else changes: the weights (float16 initializers behind top-level Cast nodes) and every
other node are kept as they are, so a batch of one gives bit-identical logits. The manifest gets
`decoder.pastLength: "per-row"`. A file already rewritten is left alone.
"""
import json
import os
import sys

import onnx
from onnx import helper

PAST = "past_sequence_length"


def rewrite(model):
    g = model.graph
    branch = None
    for node in g.node:
        if node.op_type == "If":
            for a in node.attribute:
                if a.name == "then_branch":
                    branch = a.g
    if branch is None:
        raise SystemExit("no If with a then_branch: not a merged decoder")
    consumers = [n for n in branch.node if PAST in n.input]
    if len(consumers) != 1 or consumers[0].op_type != "Gather":
        if any(n.op_type == "Unsqueeze" and n.name == "per_row/past_column" for n in branch.node):
            return False
        raise SystemExit(f"expected one Gather of {PAST} in the cached branch, found {[(n.op_type, n.name) for n in consumers]}")
    gather = consumers[0]
    scalar = gather.output[0]
    users = [n for n in branch.node if scalar in n.input]
    by_op = {n.op_type: n for n in users}
    if sorted(n.op_type for n in users) != ["Add", "GreaterOrEqual"]:
        raise SystemExit(f"unexpected users of the past length: {[(n.op_type, n.name) for n in users]}")
    producer = {o: n for n in branch.node for o in n.output}
    consumer = {}
    for n in branch.node:
        for i in n.input:
            consumer.setdefault(i, []).append(n)

    def only_user(name, op):
        users = consumer.get(name, [])
        if len(users) != 1 or users[0].op_type != op:
            raise SystemExit(f"{name}: expected one {op} user, found {[(n.op_type, n.name) for n in users]}")
        return users[0]

    new_nodes = []

    def const(name, values):
        new_nodes.append(helper.make_node("Constant", [], [name], name=name, value=helper.make_tensor(name + "_value", onnx.TensorProto.INT64, [len(values)], values)))
        return name

    # past [R] -> [R, 1]: replaces the scalar everywhere it was used.
    column = "per_row/past_column_output"
    gather_index = list(branch.node).index(gather)
    branch.node.remove(gather)
    branch.node.insert(gather_index, helper.make_node("Unsqueeze", [PAST, const("per_row/axis_1", [1])], [column], name="per_row/past_column"))
    for n in users:
        for j, i in enumerate(n.input):
            if i == scalar:
                n.input[j] = column

    # Positions: Add(arange(s), past) [R, s] -> Cast -> Unsqueeze(axes 1 => -1) [R, s, 1] -> Mul(freq [1, half]) ->
    # Cos, Sin -> Concat(axis 1 => -1) [R, s, d] -> Unsqueeze(axes 0) becomes Identity.
    cast = only_user(by_op["Add"].output[0], "Cast")
    unsq = only_user(cast.output[0], "Unsqueeze")
    unsq.input[1] = const("per_row/axis_last", [-1])
    mul = only_user(unsq.output[0], "Mul")
    trig = consumer[mul.output[0]]
    if sorted(n.op_type for n in trig) != ["Cos", "Sin"]:
        raise SystemExit(f"expected Cos and Sin after {mul.name}")
    concat = only_user(trig[0].output[0], "Concat")
    for a in concat.attribute:
        if a.name == "axis":
            a.i = -1
    batch_axis = only_user(concat.output[0], "Unsqueeze")
    batch_axis.op_type = "Identity"
    del batch_axis.input[1:]

    # Past bias: GreaterOrEqual(arange(cap), past) [R, cap] -> Cast -> Mul(-1e9) -> Unsqueeze(axes 1, 2) [R, 1, 1, cap].
    cast_b = only_user(by_op["GreaterOrEqual"].output[0], "Cast")
    bias = only_user(cast_b.output[0], "Mul")
    bias4 = "per_row/past_bias_output"
    for n in consumer[bias.output[0]]:
        for j, i in enumerate(n.input):
            if i == bias.output[0]:
                n.input[j] = bias4
    at = list(branch.node).index(bias) + 1
    branch.node.insert(at, helper.make_node("Unsqueeze", [bias.output[0], const("per_row/axes_1_2", [1, 2])], [bias4], name="per_row/past_bias"))
    for n in reversed(new_nodes):
        branch.node.insert(0, n)

    # Shapes recorded for the rewritten tensors no longer hold.
    changed = {scalar, column, by_op["Add"].output[0], cast.output[0], unsq.output[0], mul.output[0], concat.output[0], batch_axis.output[0],
               by_op["GreaterOrEqual"].output[0], cast_b.output[0], bias.output[0], bias4} | {t.output[0] for t in trig}
    keep = [v for v in branch.value_info if v.name not in changed]
    del branch.value_info[:]
    branch.value_info.extend(keep)

    for inp in g.input:
        if inp.name == PAST:
            dim = inp.type.tensor_type.shape.dim[0]
            dim.Clear()
            dim.dim_param = "past_length_rows"
    onnx.checker.check_model(model)
    return True


def main():
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    for pack in sys.argv[1:]:
        manifest_path = os.path.join(pack, "manifest.json")
        with open(manifest_path) as f:
            m = json.load(f)
        dec = m["decoder"]
        if dec.get("layout") != "merged" or dec.get("kvOutputs") != "new":
            raise SystemExit(f"{pack}: needs a merged decoder with kvOutputs \"new\"")
        path = os.path.join(pack, m["files"]["decoderMerged"])
        model = onnx.load(path)
        changed = rewrite(model)
        if changed:
            onnx.save(model, path)
        if dec.get("pastLength") != "per-row":
            dec["pastLength"] = "per-row"
            with open(manifest_path, "w") as f:
                json.dump(m, f, indent=2)
                f.write("\n")
        print(f"{path}: {'rewritten' if changed else 'already per-row'}, {os.path.getsize(path) / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
