"""Where students can reach this machine: its LAN addresses, found without a packet."""

import socket
import struct
import sys

SIOCGIFADDR = 0x8915  # Linux: read an interface's IPv4 address


def lan_addresses() -> list[str]:
    """IPv4 addresses of this machine other than loopback, best first."""
    found = _interface_addresses() if sys.platform.startswith("linux") else []
    found += _resolver_addresses()
    found.append(_default_route_address())
    unique = []
    for address in found:
        if address and not address.startswith("127.") and address not in unique:
            unique.append(address)
    return unique


def _interface_addresses() -> list[str]:
    import fcntl  # Linux only, hence here
    addresses = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        for _, name in socket.if_nameindex():
            request = struct.pack("256s", name.encode()[:15])
            try:
                reply = fcntl.ioctl(probe.fileno(), SIOCGIFADDR, request)
            except OSError:
                continue  # an interface without an IPv4 address
            addresses.append(socket.inet_ntoa(reply[20:24]))
    return addresses


def _resolver_addresses() -> list[str]:
    try:
        infos = socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)
    except OSError:
        return []
    return [info[4][0] for info in infos]


def _default_route_address() -> str | None:
    # Connecting a UDP socket only picks a route and a source address; nothing is sent.
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("10.255.255.255", 1))
            return probe.getsockname()[0]
    except OSError:
        return None
