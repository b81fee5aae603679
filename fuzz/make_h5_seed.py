#!/usr/bin/env python3
"""Writes the `h5` fuzz target's seed: a tiny synthetic Keras HDF5 file (a model config and one
1x4x2 convolution of ones), made here rather than committed so that no weight file of any kind
is kept in the repository (SpliceAI's own weights are CC BY-NC 4.0 and are only ever fetched).

    make_h5_seed.py OUT.h5 [--claim N]   (needs h5py and numpy: the project's .venv has them)

With --claim N the kernel is a chunked dataset claiming N values with none written (a file of
kilobytes): the hostile case of tests/limits.rs.
"""

import json
import sys

import h5py
import numpy as np


def main(out, claim=None):
    layers = [
        {"name": "input_1", "class_name": "InputLayer",
         "config": {"batch_input_shape": [None, None, 4], "dtype": "float32"}, "inbound_nodes": []},
        {"name": "conv1d_1", "class_name": "Conv1D",
         "config": {"filters": 2, "kernel_size": [1], "dilation_rate": [1], "activation": "linear",
                    "padding": "valid", "use_bias": True},
         "inbound_nodes": [[["input_1", 0, 0, {}]]]},
    ]
    cfg = {"class_name": "Model", "config": {"name": "m", "layers": layers,
                                             "input_layers": [["input_1", 0, 0]],
                                             "output_layers": [["conv1d_1", 0, 0]]}}
    with h5py.File(out, "w") as f:
        f.attrs["model_config"] = json.dumps(cfg).encode()
        f.attrs["keras_version"] = b"2.2.4"
        g = f.create_group("model_weights")
        g.attrs["layer_names"] = np.array([b"conv1d_1"])
        c = g.create_group("conv1d_1")
        c.attrs["weight_names"] = np.array([b"conv1d_1/kernel:0", b"conv1d_1/bias:0"])
        w = c.create_group("conv1d_1")
        if claim is None:
            w.create_dataset("kernel:0", data=np.ones((1, 4, 2), np.float32))
        else:
            w.create_dataset("kernel:0", shape=(1, 4, claim // 4), dtype=np.float32,
                             chunks=(1, 4, 1024))
        w.create_dataset("bias:0", data=np.zeros(2, np.float32))


if __name__ == "__main__":
    if len(sys.argv) == 2:
        main(sys.argv[1])
    elif len(sys.argv) == 4 and sys.argv[2] == "--claim":
        main(sys.argv[1], int(sys.argv[3]))
    else:
        sys.exit(__doc__)
