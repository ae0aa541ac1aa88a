"""Where webhooks may go: the destination policy. Pure: no Django, no I/O.

A receiver must be a public address. Loopback, private, link-local,
unique-local, site-local, shared (carrier NAT), reserved and other non-global
addresses are refused unless the operator allows their network; cloud
metadata services, the unspecified address and multicast are refused always.
The policy is applied to the literal host of a URL when a subscription is
saved, and to every address the name resolves to when a delivery is made."""

import ipaddress
import socket
from collections.abc import Iterable

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# Instance metadata services answer unauthenticated requests with
# credentials; no allow-list entry opens them.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(address)
    for address in (
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack, DigitalOcean
        "169.254.170.2",  # AWS ECS task metadata
        "fd00:ec2::254",  # AWS over IPv6
        "100.100.100.200",  # Alibaba Cloud
        "192.0.0.192",  # Oracle Cloud
    )
)
METADATA_HOSTNAMES = frozenset(
    {
        "metadata",
        "metadata.google.internal",
        "metadata.goog",
        "instance-data",
        "instance-data.ec2.internal",
    }
)

_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_UNIQUE_LOCAL = ipaddress.IPv6Network("fc00::/7")
_SHARED = ipaddress.IPv4Network("100.64.0.0/10")


def parse_networks(values: Iterable[str]) -> tuple[Network, ...]:
    """The allow-list's networks (CIDRs or single addresses); blank entries
    are skipped, a malformed one raises ValueError naming it."""
    networks = []
    for value in values:
        if not value.strip():
            continue
        try:
            networks.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError:
            raise ValueError(
                f"WEBHOOK_ALLOWED_NETWORKS: {value!r} is not a network "
                "(write a CIDR such as 10.20.0.0/16, or one address)."
            ) from None
    return tuple(networks)


def _embedded(address: Address) -> Address:
    """The IPv4 address an IPv6 address carries (IPv4-mapped, 6to4, NAT64),
    which is where a packet to it ends up."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address.sixtofour is not None:
            return address.sixtofour
        if address in _NAT64:
            return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address


def _internal_class(address: Address) -> str | None:
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if isinstance(address, ipaddress.IPv6Address):
        if address in _UNIQUE_LOCAL:
            return "a unique-local address"
        if address.is_site_local:
            return "a site-local address"
    if address.is_reserved:
        return "a reserved address"
    if isinstance(address, ipaddress.IPv4Address) and address in _SHARED:
        return "a shared (carrier NAT) address"
    if address.is_private:
        return "a private address"
    if not address.is_global:
        return "not a public address"
    return None


def address_refusal(
    address: str | Address, allowed: Iterable[Network] = ()
) -> str | None:
    """Why `address` may not receive webhooks, or None when it may."""
    if isinstance(address, str):
        address = ipaddress.ip_address(address)
    address = _embedded(address)
    if address in METADATA_ADDRESSES:
        return "a cloud metadata address"
    if address.is_unspecified:
        return "the unspecified address"
    if address.is_multicast:
        return "a multicast address"
    if any(address in network for network in allowed):
        return None
    return _internal_class(address)


def literal_address(host: str) -> Address | None:
    """The address a host names without asking DNS: an IP literal, or one of
    the older IPv4 spellings resolvers still read (127.1, 0x7f.0.0.1,
    2130706433); None for a name."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None


def host_refusal(host: str, allowed: Iterable[Network] = ()) -> str | None:
    """Why a URL's host is refused by what the URL alone shows (an address,
    localhost, a metadata name), or None; other names are checked on the
    addresses they resolve to, when delivering."""
    name = host.lower().rstrip(".")
    if name in METADATA_HOSTNAMES:
        return "a cloud metadata name"
    if name == "localhost" or name.endswith(".localhost"):
        # RFC 6761: localhost is loopback whatever DNS says.
        return address_refusal("127.0.0.1", allowed)
    address = literal_address(name)
    if address is None:
        return None
    return address_refusal(address, allowed)
