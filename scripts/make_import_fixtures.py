#!/usr/bin/env python3
"""Writes Tests/Fixtures/import/torch_mlp.safetensors and torch_lenet.safetensors (PyTorch state_dicts of
torch.nn.Sequential models) with torch_import_outputs.json (inputs and PyTorch's outputs), for the test of
`gradus import`. Run with a Python that has torch and safetensors:

    /tmp/torchenv/bin/python scripts/make_import_fixtures.py
"""
import json, os
import torch
from safetensors.torch import save_file

torch.manual_seed(11)
out = os.path.join(os.path.dirname(__file__), "..", "Tests", "Fixtures", "import")
os.makedirs(out, exist_ok=True)
mlp = torch.nn.Sequential(torch.nn.Linear(12, 16), torch.nn.ReLU(), torch.nn.Linear(16, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
lenet = torch.nn.Sequential(
    torch.nn.Conv2d(1, 6, 5, padding=2), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
    torch.nn.Conv2d(6, 16, 5), torch.nn.ReLU(), torch.nn.MaxPool2d(2), torch.nn.Flatten(),
    torch.nn.Linear(16 * 2 * 2, 120), torch.nn.ReLU(), torch.nn.Linear(120, 84), torch.nn.ReLU(), torch.nn.Linear(84, 4))
save_file({k: v.contiguous() for k, v in mlp.state_dict().items()}, os.path.join(out, "torch_mlp.safetensors"))
# Saved with a prefix, as a wrapped model's state_dict would be.
save_file({"model." + k: v.contiguous() for k, v in lenet.state_dict().items()}, os.path.join(out, "torch_lenet.safetensors"))
x_mlp = torch.randn(5, 12)
x_lenet = torch.rand(3, 1, 16, 16)
with torch.no_grad():
    record = {
        "torch": torch.__version__,
        "mlp": {"input": x_mlp.flatten().tolist(), "shape": list(x_mlp.shape), "output": mlp(x_mlp).flatten().tolist()},
        "lenet": {"input": x_lenet.flatten().tolist(), "shape": list(x_lenet.shape), "output": lenet(x_lenet).flatten().tolist()},
    }
with open(os.path.join(out, "torch_import_outputs.json"), "w") as f:
    json.dump(record, f)
print("wrote torch_mlp.safetensors, torch_lenet.safetensors, torch_import_outputs.json")
