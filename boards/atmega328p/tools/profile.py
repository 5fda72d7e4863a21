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


def after_calls(elf: str) -> set[int]:
    """Addresses right after a call instruction: what a return address can be."""
    out = subprocess.run(["avr-objdump", "-d", elf], check=True, capture_output=True, text=True).stdout
    rets = set()
    for line in out.splitlines():
        parts = line.split("\t")
        is_call = len(parts) >= 3 and parts[2].strip() in ("call", "rcall", "icall")
        if is_call and parts[0].strip().endswith(":"):
            addr = int(parts[0].strip()[:-1], 16)
            nbytes = len(parts[1].split())
            rets.add(addr + nbytes)
    return rets


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
        if line.startswith("#stack"):
            raw = bytes.fromhex(line.split()[1]) if len(line.split()) > 1 else b""
            # return addresses: 2 bytes, high byte first, word address into .text
            print("return addresses on the deepest roll-time stack (deepest first):")
            rets = after_calls(args.elf)
            for i in range(len(raw) - 1):
                a = (raw[i] << 8 | raw[i + 1]) * 2
                if a in rets:
                    j = bisect.bisect_right(addrs, a) - 1
                    print(f"  +{i:3d} 0x{a:04x} {syms[j][1]}")
            continue
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
