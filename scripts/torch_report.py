"""What a `pip install --dry-run --report FILE torch==...` would install, in one line for setup.sh.

    python scripts/torch_report.py REPORT      # -> "2.13.0+cpu|CPU|PyTorch's CPU index|0|0"

Fields, "|"-separated: torch's version; its build (CPU, or CUDA when the set pulls nvidia-*
packages or the version says +cuNNN); where the torch wheel comes from (PyTorch's CPU index, a
local wheel folder, the package index); the megabytes to download (HEAD requests for the
files' lengths, 0 when nothing is downloaded or the sizes cannot be had) and how many packages come along.
An empty line when the report installs no torch (it is there already).
"""

from __future__ import annotations

import json
import sys
import urllib.request

CPU_INDEX_HOST = "download.pytorch.org"


def _size(url: str) -> int:
    """The file's size (Content-Length of a HEAD request); 0 when it cannot be had (offline)."""
    if not url.startswith("https://"):
        return 0
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=10) as r:
            return int(r.headers.get("Content-Length") or 0)
    except (OSError, ValueError):
        return 0


def summary(report: dict) -> str:
    items = [(i["metadata"]["name"], i["metadata"]["version"], i["download_info"]["url"])
             for i in report.get("install", [])]
    torch = next((it for it in items if it[0].lower() == "torch"), None)
    if torch is None:
        return ""
    cuda = "+cu" in torch[1] or any(n.lower().startswith("nvidia-") for n, _, _ in items)
    url = torch[2]
    source = ("PyTorch's CPU index" if CPU_INDEX_HOST in url else
              "a local wheel folder" if url.startswith("file:") else "the package index")
    mb = round(sum(_size(u) for _, _, u in items) / 1e6) if cuda else 0
    return "|".join([torch[1], "CUDA" if cuda else "CPU", source, str(mb), str(len(items))])


if __name__ == "__main__":
    try:
        print(summary(json.loads(open(sys.argv[1]).read())))
    except (OSError, ValueError, KeyError):
        print("")
