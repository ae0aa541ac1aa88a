"""The destination policy, a pure function: which addresses and hosts a
webhook may be sent to, with and without an operator's allow-list."""

import pytest

from integrations.destinations import address_refusal, host_refusal, parse_networks

LOOPBACK = parse_networks(["127.0.0.0/8", "::1/128"])


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("127.255.0.9", "loopback"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("169.254.169.254", "metadata"),
        ("169.254.170.2", "metadata"),
        ("fd00:ec2::254", "metadata"),
        ("100.100.100.200", "metadata"),
        ("192.0.0.192", "metadata"),
        ("169.254.1.1", "link-local"),
        ("fe80::1", "link-local"),
        ("10.0.0.1", "private"),
        ("172.16.5.4", "private"),
        ("192.168.0.1", "private"),
        ("::ffff:10.0.0.1", "private"),
        ("fd00::1", "unique-local"),
        ("fec0::1", "site-local"),
        ("100.64.0.1", "shared"),
        ("224.0.0.1", "multicast"),
        ("239.1.2.3", "multicast"),
        ("ff02::1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("255.255.255.255", "reserved"),
        ("64:ff9b::7f00:1", "loopback"),
        ("2002:7f00:1::", "loopback"),
        ("::7f00:1", "reserved"),
        ("198.18.0.1", "private"),  # benchmarking
        ("2001:db8::1", "private"),  # documentation
    ],
)
def test_every_internal_address_class_is_refused_by_default(address, reason):
    refusal = address_refusal(address)

    assert refusal is not None
    assert reason in refusal


@pytest.mark.parametrize(
    "address", ["93.184.215.14", "8.8.8.8", "2606:4700::1", "::ffff:8.8.8.8"]
)
def test_public_addresses_are_allowed(address):
    assert address_refusal(address) is None


@pytest.mark.parametrize("address", ["127.0.0.1", "::1", "::ffff:127.0.0.1"])
def test_the_allow_list_admits_an_internal_receiver(address):
    assert address_refusal(address, LOOPBACK) is None
    assert address_refusal("10.0.0.1", LOOPBACK) is not None


@pytest.mark.parametrize(
    "address", ["169.254.169.254", "fd00:ec2::254", "0.0.0.0", "224.0.0.1"]
)
def test_metadata_unspecified_and_multicast_stay_refused_whatever_is_allowed(
    address,
):
    everything = parse_networks(["0.0.0.0/0", "::/0"])

    assert address_refusal(address, everything) is not None


@pytest.mark.parametrize(
    ("host", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("localhost", "loopback"),
        ("api.localhost", "loopback"),
        ("LOCALHOST.", "loopback"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),
        ("0.0.0.0", "unspecified"),
        ("169.254.169.254", "metadata"),
        ("metadata.google.internal", "metadata"),
        ("Metadata.Google.Internal.", "metadata"),
        ("metadata", "metadata"),
        ("10.0.0.1", "private"),
        ("192.168.0.1", "private"),
        ("fd00::1", "unique-local"),
        # Numeric forms the resolver reads as IPv4 addresses.
        ("127.1", "loopback"),
        ("2130706433", "loopback"),
        ("0x7f.0.0.1", "loopback"),
        ("0", "unspecified"),
    ],
)
def test_a_url_naming_an_internal_host_is_refused_without_resolving(host, reason):
    refusal = host_refusal(host)

    assert refusal is not None
    assert reason in refusal


def test_names_are_left_to_the_check_at_delivery():
    assert host_refusal("hooks.example.com") is None
    assert host_refusal("127.0.0.1.example.com") is None


def test_the_allow_list_admits_localhost_but_never_a_metadata_name():
    assert host_refusal("localhost", LOOPBACK) is None
    assert host_refusal("metadata.google.internal", LOOPBACK) is not None


@pytest.mark.parametrize("value", ["10.0.0.0/33", "not-a-network", "10.0.0.0/8x"])
def test_a_malformed_allow_list_entry_is_named(value):
    with pytest.raises(ValueError, match="WEBHOOK_ALLOWED_NETWORKS"):
        parse_networks([value])


def test_allow_list_entries_may_be_hosts_or_networks():
    networks = parse_networks([" 10.1.2.3 ", "fd00::/8", ""])

    assert [str(n) for n in networks] == ["10.1.2.3/32", "fd00::/8"]
