# time: the built-in module, with the tick and sleep functions on the simulated board's clock.
#
# ticks_ms/ticks_us/ticks_cpu count from boot and wrap like on a board; sleep_* let time pass
# on that clock (and fire the button edges and timers due meanwhile). time(), localtime() and
# the rest are the built-in ones.

import firmware

firmware.extend(globals(), "time")  # the built-in module's other functions

import simboard as _sb

ticks_ms = _sb.ticks_ms
ticks_us = _sb.ticks_us
ticks_cpu = _sb.ticks_us
ticks_diff = _sb.ticks_diff
ticks_add = _sb.ticks_add
sleep_us = _sb.sleep_us


def sleep_ms(ms):
    _sb.sleep_us(int(ms) * 1000)


def sleep(s):
    _sb.sleep_us(int(s * 1000000))
