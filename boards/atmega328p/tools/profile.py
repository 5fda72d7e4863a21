"""Cycles per function from a pd_sim --profile histogram.

    python boards/atmega328p/tools/profile.py build/pipdream.elf PROFILE.txt [--top 25]
"""

from __future__ import annotations

import argparse
import bisect
import subprocess


def symbols(elf: str) -> list[tuple[int, str]]:
    out = subprocess.run(["avr-nm", "-n", elf], check=True, capture_output=True, text=True).stdout
    syms = []
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in "tTW":
            syms.append((int(parts[0], 16), parts[2]))
    return syms


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("elf")
    p.add_argument("profile")
    p.add_argument("--top", type=int, default=25)
    args = p.parse_args()
    syms = symbols(args.elf)
    addrs = [a for a, _ in syms]
    per: dict[str, int] = {}
    total = 0
    for line in open(args.profile):
        if line.startswith("#"):
            _, what, sp, _, pc = line.split()
            i = bisect.bisect_right(addrs, int(pc, 16)) - 1
            print(f"{what} 0x{sp} in {syms[i][1] if i >= 0 else '?'} (pc 0x{pc})")
            continue
        pc, cycles = line.split()
        i = bisect.bisect_right(addrs, int(pc, 16)) - 1
        name = syms[i][1] if i >= 0 else "?"
        per[name] = per.get(name, 0) + int(cycles)
        total += int(cycles)
    print(f"total {total:,} cycles")
    for name, c in sorted(per.items(), key=lambda kv: -kv[1])[: args.top]:
        print(f"{c:>12,} {100 * c / total:5.1f}%  {name}")


if __name__ == "__main__":
    main()
