"""Write a default-architecture blob with random (untrained) weights.

    python boards/atmega328p/tools/synthetic_blob.py OUT.blob [--seed N]

Used by the firmware build when models/default.blob does not exist yet: same
layer shapes as the shipped model (pipdream.decoder.layer_specs), so memory,
cycles and bit-exactness are measured on the real workload.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from pipdream.avr import synthetic_default_blob


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("out", type=Path)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(synthetic_default_blob(args.seed))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
