#!/usr/bin/env bash
# Installs what Gradus needs on a fresh Debian machine, when it is missing:
# oneDNN (Float32 matrix products), OpenBLAS (Float64 and small products), zlib (gzip data files), Open MPI (data-parallel training: the library
# GradusDistributed and the `mpirun` launcher), pkg-config (to find them) and python3 (the hostile-input
# runner of the test command, standard library only).
# Safe to run again: it does nothing when everything is present.
set -euo pipefail
need=()
command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
command -v python3 >/dev/null 2>&1 || need+=(python3)
command -v mpirun >/dev/null 2>&1 || need+=(openmpi-bin)
if command -v pkg-config >/dev/null 2>&1; then
  pkg-config --exists openblas || need+=(libopenblas-dev)
  pkg-config --exists zlib || need+=(zlib1g-dev)
  pkg-config --exists ompi-c || need+=(libopenmpi-dev)
else
  need+=(libopenblas-dev zlib1g-dev libopenmpi-dev)
fi
# libdnnl-dev ships no pkg-config file: look for its header.
[ -f /usr/include/oneapi/dnnl/dnnl.h ] || need+=(libdnnl-dev)
if [ ${#need[@]} -gt 0 ]; then
  echo "bootstrap: installing ${need[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
