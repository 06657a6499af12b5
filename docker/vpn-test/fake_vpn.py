"""A stand-in VPN sidecar for scripts/container-test.sh: what a VPN client does to the
network namespace it shares with the engine, minus the remote end.

It creates ``tun0`` (``/dev/net/tun``, needs ``NET_ADMIN``), gives it an address, brings it
up and points the default route at it, then reads and counts the packets the namespace
sends into the tunnel (a real client would encrypt and forward them). Standard library only:
the Miauflix image carries no ``ip`` tool.
"""

from __future__ import annotations

import ctypes
import fcntl
import os
import signal
import socket
import struct
import sys
import time

TUNSETIFF = 0x400454CA
IFF_TUN, IFF_NO_PI = 0x0001, 0x1000
SIOCGIFFLAGS, SIOCSIFFLAGS = 0x8913, 0x8914
SIOCSIFADDR, SIOCSIFNETMASK, SIOCADDRT = 0x8916, 0x891C, 0x890B
IFF_UP, IFF_RUNNING = 0x1, 0x40
RTF_UP = 0x1


class SockaddrIn(ctypes.Structure):
    _fields_ = [
        ("family", ctypes.c_ushort),
        ("port", ctypes.c_ushort),
        ("addr", ctypes.c_uint8 * 4),
        ("zero", ctypes.c_uint8 * 8),
    ]


class RtEntry(ctypes.Structure):  # struct rtentry, <net/route.h>
    _fields_ = [
        ("pad1", ctypes.c_ulong),
        ("dst", SockaddrIn),
        ("gateway", SockaddrIn),
        ("genmask", SockaddrIn),
        ("flags", ctypes.c_ushort),
        ("pad2", ctypes.c_short),
        ("pad3", ctypes.c_ulong),
        ("pad4", ctypes.c_void_p),
        ("metric", ctypes.c_short),
        ("dev", ctypes.c_char_p),
        ("mtu", ctypes.c_ulong),
        ("window", ctypes.c_ulong),
        ("irtt", ctypes.c_ushort),
    ]


def _ifreq_addr(name: bytes, address: str) -> bytes:
    sockaddr = struct.pack("HH4s8x", socket.AF_INET, 0, socket.inet_aton(address))
    return struct.pack("16s16s", name, sockaddr)


def open_tunnel(
    name: str = "tun0", address: str = "10.66.0.2", netmask: str = "255.255.255.0"
) -> int:
    tun = os.open("/dev/net/tun", os.O_RDWR)
    ifname = name.encode()
    fcntl.ioctl(tun, TUNSETIFF, struct.pack("16sH22x", ifname, IFF_TUN | IFF_NO_PI))
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as control:
        fcntl.ioctl(control, SIOCSIFADDR, _ifreq_addr(ifname, address))
        fcntl.ioctl(control, SIOCSIFNETMASK, _ifreq_addr(ifname, netmask))
        flags = struct.unpack(
            "16sH22x", fcntl.ioctl(control, SIOCGIFFLAGS, struct.pack("16s24x", ifname))
        )[1]
        fcntl.ioctl(
            control, SIOCSIFFLAGS, struct.pack("16sH22x", ifname, flags | IFF_UP | IFF_RUNNING)
        )
        route = RtEntry()
        for field in (route.dst, route.genmask):
            field.family = socket.AF_INET
        route.flags = RTF_UP
        route.dev = ifname
        fcntl.ioctl(control, SIOCADDRT, bytes(memoryview(route).cast("B")))
    return tun


def main() -> int:
    tun = open_tunnel()
    print("fake-vpn: tun0 up, default route via tun0", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    os.set_blocking(tun, False)
    packets, reported = 0, time.monotonic()
    while True:
        try:
            while os.read(tun, 65536):
                packets += 1
        except BlockingIOError:
            pass
        if time.monotonic() - reported >= 1:
            print(f"fake-vpn: {packets} packets into the tunnel", flush=True)
            reported = time.monotonic()
        time.sleep(0.1)


if __name__ == "__main__":
    raise SystemExit(main())
