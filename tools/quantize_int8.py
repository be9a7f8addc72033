#!/usr/bin/python3
"""int8 weight quantisation of an ONNX model by graph rewrite, without the Python onnxruntime
package (Debian python3-onnx only; see ../shared/design/MUSICGEN-ONNX.md):

    /usr/bin/python3 tools/quantize_int8.py model.onnx model_quantized.onnx

Every MatMul whose second input is a constant 2-D float weight W [K, N] becomes

    x -> DynamicQuantizeLinear -> (x_q uint8, x_scale, x_zero)
    MatMulInteger(x_q, W_q int8 [K, N], x_zero) -> Cast(float) -> Mul(x_scale * w_scale[N])

with symmetric per-column int8 weights (w_scale[n] = max|W[:, n]| / 127). onnxruntime fuses
the chain into DynamicQuantizeMatMul. The same rewrite as onnxruntime's dynamic quantiser
(MatMulInteger flavour); embeddings (Gather), attention and norms stay float32. Subgraphs (the
branches of a merged decoder's `If`) are rewritten too; their weights live in the outer graph,
as float32 initializers or float16 ones behind a Cast (the default pack's storage).
Deterministic: the same input gives the same bytes.
"""
import argparse
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def _subgraphs(node):
    for attr in node.attribute:
        if attr.type == onnx.AttributeProto.GRAPH:
            yield attr.g
        elif attr.type == onnx.AttributeProto.GRAPHS:
            yield from attr.graphs


def quantize_model(model, min_elements=1):
    """Rewrites `model` in place; returns the number of MatMuls rewritten."""
    top = model.graph
    inits = {i.name: i for i in top.initializer}
    # Weights stored as float16 behind a top-level Cast to float (tools/export_default_pack.py's
    # store_fp16) are constant weights too: the Cast's output stands for the initializer.
    for node in top.node:
        src = inits.get(node.input[0]) if node.op_type == "Cast" and len(node.input) == 1 else None
        if src is not None and src.data_type == TensorProto.FLOAT16 and node.attribute[0].i == TensorProto.FLOAT:
            inits[node.output[0]] = src
    quantized = {}  # weight name -> (int8 name, scale name)
    new_inits = []
    count = 0

    def weight(name):
        if name in quantized:
            return quantized[name]
        w = numpy_helper.to_array(inits[name]).astype(np.float32)
        scale = np.abs(w).max(axis=0) / 127.0
        scale[scale == 0] = 1.0
        q = np.clip(np.rint(w / scale), -127, 127).astype(np.int8)
        qn, sn = name + "_int8", name + "_scale"
        new_inits.append(numpy_helper.from_array(q, qn))
        new_inits.append(numpy_helper.from_array(scale.astype(np.float32), sn))
        quantized[name] = (qn, sn)
        return quantized[name]

    def rewrite(graph):
        nonlocal count
        nodes = []
        for node in graph.node:
            for g in _subgraphs(node):
                rewrite(g)
            w = inits.get(node.input[1]) if node.op_type == "MatMul" and len(node.input) == 2 else None
            if w is None or w.data_type not in (TensorProto.FLOAT, TensorProto.FLOAT16) or len(w.dims) != 2 or w.dims[0] * w.dims[1] < min_elements:
                nodes.append(node)
                continue
            qn, sn = weight(node.input[1])
            y = node.output[0]
            p = f"q8_{count}_"
            nodes += [
                helper.make_node("DynamicQuantizeLinear", [node.input[0]], [p + "x", p + "x_scale", p + "x_zero"], name=p + "dql"),
                helper.make_node("MatMulInteger", [p + "x", qn, p + "x_zero"], [p + "acc"], name=p + "matmul"),
                helper.make_node("Cast", [p + "acc"], [p + "accf"], to=TensorProto.FLOAT, name=p + "cast"),
                helper.make_node("Mul", [p + "x_scale", sn], [p + "scale"], name=p + "scale"),
                helper.make_node("Mul", [p + "accf", p + "scale"], [y], name=p + "rescale"),
            ]
            count += 1
        del graph.node[:]
        graph.node.extend(nodes)

    rewrite(top)
    used = set()

    def collect(graph):
        for node in graph.node:
            used.update(node.input)
            for g in _subgraphs(node):
                collect(g)
        used.update(o.name for o in graph.output)

    collect(top)
    # A float16 weight's Cast that only the rewritten MatMuls read goes with them.
    for node in [n for n in top.node if n.op_type == "Cast" and n.output[0] in quantized and n.output[0] not in used]:
        top.node.remove(node)
    used.clear()
    collect(top)
    kept = [i for i in top.initializer if i.name in used] + new_inits
    del top.initializer[:]
    top.initializer.extend(kept)
    return count


def quantize_file(src, dst, min_elements=1):
    model = onnx.load(src)
    n = quantize_model(model, min_elements)
    onnx.checker.check_model(model)
    onnx.save(model, dst)
    return n


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("src")
    p.add_argument("dst")
    p.add_argument("--min-elements", type=int, default=1, help="leave smaller weights in float32")
    a = p.parse_args()
    n = quantize_file(a.src, a.dst, a.min_elements)
    print(f"{a.dst}: {n} MatMuls rewritten to int8 weights")


if __name__ == "__main__":
    sys.exit(main())
