#!/usr/bin/env bash
# The whole benchmark comparison with PyTorch, as reported in docs/benchmarks.md:
# a clean release build, then pytorch_ref.py's workloads and the tensor micro-benchmarks, both sides
# alternating, at 1 and 2 threads, median of ROUNDS runs per side.
#
#   TORCH_PYTHON=/tmp/torchenv/bin/python ROUNDS=5 scripts/run_benchmarks.sh | tee /tmp/bench.txt
set -euo pipefail
cd "$(dirname "$0")/.."
TORCH_PYTHON=${TORCH_PYTHON:-/tmp/torchenv/bin/python}
ROUNDS=${ROUNDS:-5}
swift build -c release --product gradus-bench >/dev/null
echo "# machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/{print $2}') GiB"
echo "# torch: $($TORCH_PYTHON -c 'import torch; print(torch.__version__)'), gradus: $(.build/release/gradus-bench --threads 1 small_op_fwd 2>&1 >/dev/null | sed 's/^# gradus-bench: //')"
python3 scripts/compare_pytorch.py --torch-python "$TORCH_PYTHON" --rounds "$ROUNDS" --threads 1,2
python3 scripts/compare_pytorch.py --torch-python "$TORCH_PYTHON" --rounds "$ROUNDS" --threads 1,2 \
  --reference scripts/pytorch_micro.py relu_16m axpb_16m small_op_fwd small_op_fwdbwd
# Issue 15: large products, the image-scale CNN, int8 and bf16 beside PyTorch; inference beside ONNX Runtime.
python3 scripts/compare_pytorch.py --torch-python "$TORCH_PYTHON" --rounds "$ROUNDS" --threads 1,2 \
  --reference scripts/pytorch_micro.py sgemm_4096 cnn_c3_b64 cnn_infer_b1 cnn_infer_b1_plan cnn_infer_b64 \
  cnn_infer_b64_plan mlp_infer_b1_plan mlp_infer_b1_int8 mlp_infer_b1_int8_plan \
  sgemm_1024_bf16 sgemm_2048_bf16 mlp_sgd_b64_bf16 lenet_sgd_b64_bf16 cnn_c3_b64_bf16 transformer_l128_bf16
# Image models' training steps and one-image inference (grouped and transposed convolutions, batch
# normalization fused with ReLU).
python3 scripts/compare_pytorch.py --torch-python "$TORCH_PYTHON" --rounds "$ROUNDS" --threads 1,2 \
  --reference scripts/pytorch_micro.py bn_relu_b64 bn_relu_b64_separate mobilenet_b64 dcgan_b64 cnn3d_b8 \
  mobilenet_infer_b1 mobilenet_infer_b1_plan dcgan_infer_b1 dcgan_infer_b1_plan
# Sequence models: recurrent layers (each sequence one fused operation), Transformers, generation.
python3 scripts/compare_pytorch.py --torch-python "$TORCH_PYTHON" --rounds "$ROUNDS" --threads 1,2 \
  --reference scripts/pytorch_micro.py lstm_b32 gru_b32 rnn_b32 transformer_b32 transformer_l128 gpt_generate \
  seq2seq_generate lstm_generate gru_generate
python3 scripts/compare_pytorch.py --torch-python "$TORCH_PYTHON" --rounds "$ROUNDS" --threads 1,2 \
  --reference scripts/onnxruntime_ref.py mlp_infer_b1 mlp_infer_b1_int8 cnn_infer_b1 mlp_infer_b1_plan cnn_infer_b1_plan \
  mlp_infer_b1_int8_plan
echo "# sgemm through OpenBLAS directly (the ceiling for sgemm_N through Gradus)"
for t in 1 2; do .build/release/gradus-bench --threads $t sgemm_1024_openblas sgemm_2048_openblas 2>/dev/null; done
echo "# evaluation through an InferencePlan (Trainer.evaluate on 1,024 images; Gradus only)"
for t in 1 2; do .build/release/gradus-bench --threads $t cnn_evaluate_1k 2>/dev/null; done
