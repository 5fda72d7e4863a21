# firmware: the port's own module behind one of our stand-ins of the same name.
#
#   _rt = firmware.module("time")       # the built-in time, not simboard's time.py
#   firmware.extend(globals(), "os")    # a stand-in starts with every name of the built-in os
#
# MicroPython lets a .py file on the path extend a built-in module ("extensible" modules:
# machine, time, os); importing with the path emptied finds the built-in one.

import sys


def module(name):
    saved = sys.path
    sys.path = ()
    try:
        return __import__(name)
    finally:
        sys.path = saved


def extend(namespace, name):
    """Copy the built-in module's public names into a stand-in's globals; returns the module."""
    m = module(name)
    for key in dir(m):
        if not key.startswith("_"):
            namespace[key] = getattr(m, key)
    return m
