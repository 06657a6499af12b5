"""VPN guard: with ``MIAUFLIX_REQUIRE_VPN`` the engine starts no torrent unless traffic leaves
through a VPN interface (``tun*``, ``wg*``, ``ppp*``, ``tap*``, or ``MIAUFLIX_VPN_INTERFACE``).

"Leaves through" means: the interface is up, has an address, and carries the default
route. The machine is seen through an :class:`InterfaceView` so tests inject one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import psutil

VPN_PREFIXES = ("tun", "wg", "ppp", "tap", "utun", "ipsec")


@dataclass(frozen=True)
class Interface:
    name: str
    up: bool
    addresses: tuple[str, ...] = ()


class InterfaceView(Protocol):
    def interfaces(self) -> list[Interface]: ...
    def default_route_interfaces(self) -> list[str]: ...


class SystemInterfaces:
    """The real machine: psutil for interfaces, /proc/net/route (+ipv6_route) for routes."""

    def interfaces(self) -> list[Interface]:
        stats = psutil.net_if_stats()
        addrs = psutil.net_if_addrs()
        return [
            Interface(
                name,
                bool(stats[name].isup) if name in stats else False,
                tuple(
                    a.address
                    for a in addrs.get(name, [])
                    if a.family.name in ("AF_INET", "AF_INET6")
                ),
            )
            for name in sorted(set(stats) | set(addrs))
        ]

    def default_route_interfaces(self) -> list[str]:
        names: list[str] = []
        route4 = Path("/proc/net/route")
        if route4.exists():
            for line in route4.read_text().splitlines()[1:]:
                cols = line.split()
                if len(cols) > 7 and cols[1] == "00000000" and cols[7] == "00000000":
                    names.append(cols[0])
        route6 = Path("/proc/net/ipv6_route")
        if route6.exists():
            for line in route6.read_text().splitlines():
                cols = line.split()
                default = len(cols) == 10 and cols[0] == "0" * 32 and cols[1] == "00"
                if default and cols[9] != "lo":
                    names.append(cols[9])
        return names


@dataclass(frozen=True)
class VpnState:
    required: bool
    ok: bool
    interface: str | None
    reason: str
    default_routes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "required": self.required,
            "ok": self.ok,
            "interface": self.interface,
            "reason": self.reason,
            "default_routes": self.default_routes,
        }


def is_vpn_name(name: str, configured: str = "") -> bool:
    if configured:
        return name == configured
    return name.lower().startswith(VPN_PREFIXES)


def check_vpn(view: InterfaceView, *, required: bool, configured: str = "") -> VpnState:
    """Where traffic leaves, and whether that satisfies the requirement."""
    try:
        interfaces = {i.name: i for i in view.interfaces()}
        routes = view.default_route_interfaces()
    except OSError as exc:
        return VpnState(required, not required, None, f"cannot inspect interfaces: {exc}")
    vpn_up = [
        i.name
        for i in interfaces.values()
        if is_vpn_name(i.name, configured) and i.up and i.addresses
    ]
    routed = [name for name in routes if name in vpn_up]
    if routed:
        return VpnState(required, True, routed[0], f"default route via {routed[0]}", routes)
    if not required:
        return VpnState(False, True, None, "VPN not required", routes)
    wanted = repr(configured) if configured else "a tun/wg/ppp/tap interface"
    if not vpn_up:
        reason = f"MIAUFLIX_REQUIRE_VPN is on but {wanted} is not up with an address"
    else:
        shown = ", ".join(routes) or "none"
        reason = (
            f"MIAUFLIX_REQUIRE_VPN is on; {', '.join(vpn_up)} is up but the default route "
            f"goes via {shown}"
        )
    return VpnState(True, False, None, reason, routes)
