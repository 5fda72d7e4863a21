# Inference backend selection for the device app.
#
#   import pdinfer
#   model, name = pdinfer.load(blob)             # the best available backend
#   model, name = pdinfer.load(blob, "viper")    # a named one (ImportError if unavailable)
#   out = bytearray(32 * 32)
#   model.generate(face, angle_code, out)        # same API and bytes on every backend
#
# Order of preference: the pipnet natmod (the .mpy for this board's architecture,
# copied next to the app), else the viper kernels (native code with no
# toolchain; MicroPython only), else pure Python (CircuitPython, CPython).
BACKENDS = ("natmod", "viper", "python")
PLANS = ("stream", "full")  # natmod plans; the fallbacks always run row by row

# name -> why it is unavailable, filled by select() for the console.
unavailable = {}


def _model_class(name):
    import gc

    gc.collect()  # compiling a backend's source (a mip install has no .mpy) needs room
    if name == "natmod":
        import pipnet  # ImportError if absent, ValueError for another architecture's .mpy

        return pipnet.Model
    if name == "viper":
        import pdinfer_viper  # fails where @micropython.viper does not exist

        return pdinfer_viper.Model
    import pdinfer_py

    return pdinfer_py.Model


def select(name=None):
    """(name, Model class): `name` itself, or the first backend of BACKENDS that imports."""
    if name is not None:
        if name not in BACKENDS:
            raise ValueError("unknown backend {!r}; choose from {}".format(name, ", ".join(BACKENDS)))
        try:
            return name, _model_class(name)
        except Exception as e:  # noqa: BLE001 - ImportError, SyntaxError, ValueError by port
            raise ImportError("backend {} is unavailable: {}: {}".format(name, type(e).__name__, e))
    for candidate in BACKENDS:
        try:
            return candidate, _model_class(candidate)
        except Exception as e:  # noqa: BLE001 - any failure means "use the next one"
            unavailable[candidate] = "{}: {}".format(type(e).__name__, e)
    raise ImportError("no inference backend: " + repr(unavailable))


def load(blob, name=None, plan=None, budget=None):
    """(model, backend name) for a blob; the blob's defects raise ValueError.

    plan: "stream" (least RAM) or "full" (fastest) for the natmod; None: "full" when
    its scratch fits `budget` bytes (the board's SCRATCH_BUDGET), else "stream".
    The fallbacks take None or either name and always run row by row."""
    if plan is not None and plan not in PLANS:
        raise ValueError("unknown plan {!r}; choose from {}".format(plan, ", ".join(PLANS)))
    name, cls = select(name)
    if name != "natmod":
        return cls(blob), name
    if plan is not None or budget is None:
        return cls(blob, cls.FULL if plan == "full" else cls.STREAM), name
    try:  # the blob parsed once: the full plan when its scratch fits the budget, else the stream one
        return cls(blob, cls.FULL, budget), name
    except MemoryError:  # the heap is smaller or more fragmented than the budget says
        return cls(blob, cls.STREAM), name
