"""The shared outgoing HTTP client: one per process, pooled, and it keeps no cookies."""

import os

import httpx
import pytest

from core import http_client


def test_every_caller_gets_the_same_client():
    assert http_client.http_client_shared() is http_client.http_client_shared()


def test_a_cookie_set_by_one_server_is_not_kept():
    client = http_client.http_client_shared()
    request = httpx.Request("GET", "https://subscriber.example.com/hook")
    response = httpx.Response(200, headers={"Set-Cookie": "session=abc; Path=/"}, request=request)

    client.cookies.extract_cookies(response)

    assert len(client.cookies.jar) == 0


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_builds_its_own_client():
    parent = http_client.http_client_shared()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report whether it got a different client, then leave at once
        os.close(read)
        os.write(write, b"1" if http_client.http_client_shared() is not parent else b"0")
        os._exit(0)
    os.close(write)
    answer = os.read(read, 1)
    os.waitpid(pid, 0)
    os.close(read)

    assert answer == b"1"
    assert http_client.http_client_shared() is parent


def test_each_key_has_a_pool_of_its_own_and_the_number_of_pools_is_bounded(monkeypatch):
    monkeypatch.setattr(http_client, "MAX_POOLS", 2)
    monkeypatch.setattr(http_client, "_clients", http_client.OrderedDict())
    first = http_client.http_client_shared(key="a.example.com")

    assert http_client.http_client_shared(key="b.example.com") is not first
    assert http_client.http_client_shared(key="a.example.com") is first
    http_client.http_client_shared(key="c.example.com")  # b is the least recently used

    assert list(http_client._clients)[-2:] == ["a.example.com", "c.example.com"]
    assert "b.example.com" not in http_client._clients
