"""Put the die app on a MicroPython board: what goes there, how it is built, and how it gets there.

    items = build_plan(board_module("pico"), arch="armv6m")   # files, compiled with mpy-cross
    write_stage(items, Path("out/pico"))                        # ... into a folder (or a CIRCUITPY drive)
    deploy(board_module("pico"), "/dev/ttyACM0")               # ... onto a board, with mpremote

- plan.py: what goes where for a board (board modules, the file list, the model check);
- compile.py: how each file is built (mpy-cross, the natmod for the architecture, .mpy ABIs);
- transport.py: how the files get there (a folder, mpremote with verified atomic copies);
- mip.py: the mip package files (package-<board>.json, package.json) for `mpremote mip install`.

The names below are the package's API (the CLI's `pipdream deploy`, the simulation's stage, the
tests); each lives in one of the three modules.
"""

from pipdream.deploy.compile import (
    ARCH_NAMES,
    NATMOD,
    NATMOD_NAME,
    MpyAbi,
    compile_mpy,
    ensure_natmod,
    mpy_cross_binary,
    natmod_artifact,
)
from pipdream.deploy.mip import (
    PACKAGE_JSON,
    mip_boards,
    mip_package,
    mip_package_any,
    mip_packages,
    package_file,
    write_mip_package,
    write_mip_packages,
)
from pipdream.deploy.plan import (
    BOARD_MODULE_NAME,
    BOARDS,
    DEFAULT_MODEL,
    DEVICE,
    KEEP_SOURCE,
    BoardModule,
    Item,
    board_module,
    build_plan,
    check_model,
    device_setting,
    known_boards,
    plan_for,
)
from pipdream.deploy.transport import (
    CONTACT_TIMEOUT_S,
    TMP_SUFFIX,
    BoardInfo,
    Connection,
    DeployReport,
    deploy,
    write_stage,
)

__all__ = [
    "ARCH_NAMES", "BOARDS", "BOARD_MODULE_NAME", "CONTACT_TIMEOUT_S", "DEFAULT_MODEL", "DEVICE",
    "KEEP_SOURCE", "NATMOD", "NATMOD_NAME", "PACKAGE_JSON", "TMP_SUFFIX", "BoardInfo", "BoardModule",
    "Connection", "DeployReport", "Item", "MpyAbi", "board_module", "build_plan", "check_model",
    "compile_mpy", "deploy", "device_setting", "ensure_natmod", "known_boards", "mip_boards", "mip_package",
    "mip_package_any", "mip_packages", "mpy_cross_binary", "natmod_artifact", "package_file", "plan_for",
    "write_mip_package", "write_mip_packages", "write_stage",
]
