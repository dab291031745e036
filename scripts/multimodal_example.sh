#!/usr/bin/env bash
# The two-modality example of docs/multimodal.md: each fusion of the digit image (pixels) and its
# outline's Fourier coefficients (fourier), and each input alone (the ablations), trained with the same
# recipe and several seeds; prints the test accuracy of each run and the mean per configuration.
#   scripts/multimodal_example.sh [seeds=3] [epochs=30]
set -euo pipefail
cd "$(dirname "$0")/.."
seeds=${1:-3}
epochs=${2:-30}
data=/tmp/mfeat.npz
[ -f "$data" ] || "${PYTHON:-python3}" scripts/make_mfeat_npz.py --out "$data"   # needs numpy
swift build -c release --product gradus >/dev/null
gradus=.build/release/gradus
run() {  # name, then gradus arguments
  local name=$1; shift
  local sum=0
  for seed in $(seq 0 $((seeds - 1))); do
    acc=$($gradus train --data "$data" --model fusion --epochs "$epochs" --embedding 64 --hidden 64 --dropout 0.2 \
          --seed "$seed" --quiet --out "/tmp/mfeat-runs/$name-$seed" "$@" | sed -n 's/^test accuracy: \(.*\)%$/\1/p')
    echo "$name seed $seed: $acc%"
    sum=$(python3 -c "print($sum + $acc)")
  done
  python3 -c "print('$name mean over $seeds seeds: %.2f%%' % ($sum / $seeds))"
}
run pixels-only --inputs pixels
run fourier-only --inputs fourier
run concat --inputs pixels,fourier --fusion concat
run gated --inputs pixels,fourier --fusion gated
run attention --inputs pixels,fourier --fusion attention
