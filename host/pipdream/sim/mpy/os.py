# os: the built-in module; urandom is seeded when the simulated world has a seed.
#
# A board's os.urandom is its hardware entropy. `pipdream demo --seed S` wants the same rolls
# every time, so with a seed in the world urandom comes from xorshift32 seeded with it;
# without one it is the host's real urandom.

import firmware

_host_urandom = firmware.extend(globals(), "os").urandom  # the built-in module's functions

import simboard as _sb

_seed = _sb.world.get("seed")

if _sb.world["board"].get("urandom") == "fails":  # a port whose os.urandom raises (tests)

    def urandom(n):
        raise OSError(19)

elif _seed is None:
    urandom = _host_urandom
else:
    import xorshift as _xs

    _state = _xs.seed_state(_seed)

    def urandom(n):
        global _state
        out, _state = _xs.draw(_state, n)
        return out
