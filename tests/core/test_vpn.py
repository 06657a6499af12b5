"""VPN guard with an injected interface view."""

from __future__ import annotations

from dataclasses import dataclass, field

from core.vpn import Interface, SystemInterfaces, check_vpn


@dataclass
class View:
    ifaces: list[Interface]
    routes: list[str] = field(default_factory=list)
    fail: bool = False

    def interfaces(self) -> list[Interface]:
        if self.fail:
            raise OSError("no /proc")
        return self.ifaces

    def default_route_interfaces(self) -> list[str]:
        return self.routes


ETH = Interface("eth0", True, ("10.0.0.2",))
WG = Interface("wg0", True, ("10.8.0.2",))


def test_not_required_is_ok_without_a_vpn() -> None:
    state = check_vpn(View([ETH], ["eth0"]), required=False)
    assert state.ok and state.interface is None


def test_required_and_default_route_via_wireguard_is_ok() -> None:
    state = check_vpn(View([ETH, WG], ["wg0"]), required=True)
    assert state.ok and state.interface == "wg0"


def test_required_without_any_vpn_interface_refuses() -> None:
    state = check_vpn(View([ETH], ["eth0"]), required=True)
    assert not state.ok and "not up" in state.reason


def test_vpn_up_but_traffic_leaving_elsewhere_refuses() -> None:
    state = check_vpn(View([ETH, WG], ["eth0"]), required=True)
    assert not state.ok and "eth0" in state.reason


def test_down_or_addressless_vpn_does_not_count() -> None:
    assert not check_vpn(
        View([Interface("tun0", False, ("10.1.1.1",))], ["tun0"]), required=True
    ).ok
    assert not check_vpn(View([Interface("tun0", True, ())], ["tun0"]), required=True).ok


def test_configured_interface_name_is_the_only_one_accepted() -> None:
    view = View([ETH, WG, Interface("corp", True, ("10.9.9.9",))], ["corp"])
    assert check_vpn(view, required=True, configured="corp").interface == "corp"
    assert not check_vpn(View([ETH, WG], ["wg0"]), required=True, configured="corp").ok


def test_unreadable_interfaces_refuse_when_required() -> None:
    assert not check_vpn(View([], fail=True), required=True).ok
    assert check_vpn(View([], fail=True), required=False).ok


def test_the_real_machine_view_lists_loopback() -> None:
    names = {i.name for i in SystemInterfaces().interfaces()}
    assert "lo" in names
    assert isinstance(SystemInterfaces().default_route_interfaces(), list)
