#!/usr/bin/python3
"""Constant Reshape targets for an exported decoder graph: PyTorch's tracer builds every reshape's
target from Shape -> Gather -> Unsqueeze -> Concat chains (about ten nodes per reshape), and
onnxruntime runs each of them on every step; for a decoder this small, per-node overhead is most
of a step. Each target found, by running the graph on three sets of dynamic sizes, to be made of
the input's own dimensions at the same axes (Reshape's 0), fixed numbers and at most one
remainder (-1) becomes a constant, and the chains nothing else reads are removed.

The default pack's cached step, guidance batch 2, past 200: 1.84-2.07 -> 1.69-1.85 ms (interleaved
runs); its full pass over 192 positions is bound by its MatMuls and does not change (41.5 ms);
every output identical. Used by tools/split_decoder.py.

Needs Debian's python3-onnx and node with this repository's node_modules (tools/probe_shapes.mjs
runs the graph in onnxruntime-node).
"""
import json
import os
import subprocess
import tempfile

import numpy as np
import onnx
from onnx import helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))


def needed_nodes(nodes, outputs):
    """The nodes `outputs` depend on, in their order, and every name they read."""
    needed = set(outputs)
    kept = []
    for n in reversed(list(nodes)):
        if any(o in needed for o in n.output):
            kept.append(n)
            needed.update(i for i in n.input if i)
            for a in n.attribute:  # names a nested graph reads from this scope
                if a.type == onnx.AttributeProto.GRAPH:
                    needed.update(i for sub in a.g.node for i in sub.input)
    kept.reverse()
    return kept, needed


def _probe(model, reshapes, codebooks):
    """Each reshape's target and its input's shape, per probed size set."""
    probe = onnx.ModelProto()
    probe.CopyFrom(model)
    g = probe.graph
    for i, n in enumerate(reshapes):
        g.node.append(helper.make_node("Identity", [n.input[1]], [f"probe/target_{i}"]))
        g.node.append(helper.make_node("Shape", [n.input[0]], [f"probe/input_{i}"]))
        for name in (f"probe/target_{i}", f"probe/input_{i}"):
            g.output.append(helper.make_tensor_value_info(name, onnx.TensorProto.INT64, None))
    with tempfile.TemporaryDirectory() as work:
        path = os.path.join(work, "probe.onnx")
        onnx.save(probe, path)
        run = subprocess.run(["node", os.path.join(HERE, "probe_shapes.mjs"), path, str(codebooks)], check=True, capture_output=True, text=True)
    return json.loads(run.stdout)


def _static_target(targets, inputs):
    """The constant target that gives every probed target, or None."""
    new = []
    for j in range(len(targets[0])):
        column = [t[j] for t in targets]
        if j < len(inputs[0]) and all(t[j] == d[j] for t, d in zip(targets, inputs)):
            new.append(0)
        elif len(set(column)) == 1:
            new.append(column[0])
        else:
            new.append(-1)
    if new.count(-1) > 1:
        return None
    for t, d in zip(targets, inputs):
        out = [d[j] if x == 0 else x for j, x in enumerate(new)]
        if -1 in out:
            known = int(np.prod([x for x in out if x != -1]))
            out[out.index(-1)] = int(np.prod(d)) // known if known else -1
        if out != t:
            return None
    return new


def static_reshapes(model, codebooks):
    """Rewrites `model` (an onnx.ModelProto with its weights inside) in place; returns how many reshapes became static."""
    g = model.graph
    reshapes = [n for n in g.node if n.op_type == "Reshape" and not any(a.name == "allowzero" and a.i for a in n.attribute)]
    probed = _probe(model, reshapes, codebooks)
    changed = 0
    for i, n in enumerate(reshapes):
        target = _static_target(probed[f"probe/target_{i}"], probed[f"probe/input_{i}"])
        if target is None:
            continue
        name = f"{n.name or n.output[0]}/static_target"
        g.initializer.append(numpy_helper.from_array(np.array(target, dtype=np.int64), name))
        n.input[1] = name
        changed += 1
    kept, needed = needed_nodes(g.node, [o.name for o in g.output])
    del g.node[:]
    g.node.extend(kept)
    initializers = [t for t in g.initializer if t.name in needed]
    del g.initializer[:]
    g.initializer.extend(initializers)
    return changed
