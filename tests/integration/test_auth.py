"""Accounts and IP security over HTTP (docs/API.md "Login sessions", "Users", "API tokens",
"Security"): login sessions that survive a restart, cookie attributes, CSRF, roles, API tokens,
brute-force and 404-scan lockouts and their expiry, bans enforced at accept(), trusted reverse
proxies, and encoders that never count as failed logins.

Several client addresses on one machine: every 127.x.y.z address is loopback on Linux, so a
client binds 127.0.0.2 (or .3, ...) as its source address to be somebody else."""

import base64
import json
import socket
import time

from harness import (ADMIN_PASSWORD, SOURCE_PASSWORD, StreamReader, TinyIce, parse_response,
                     run_tests, wait_until)

# Short lockouts (fractions of a minute) so that their expiry can be watched.
SECURITY = {"login_failures": 3, "login_window_s": 60, "lockout_minutes": 0.05,
            "scan_404s": 4, "scan_window_s": 60, "scan_lockout_minutes": 0.05}


def raw(srv, method, path, source="127.0.0.1", headers=None, body=b"", auth=None, timeout=10):
    """One HTTP/1.0 request from `source`: (status, headers, body), status 0 when the server
    closed the connection without answering (refused at accept)."""
    hdrs = {"Host": f"127.0.0.1:{srv.port}"}
    if auth:
        hdrs["Authorization"] = "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
    if body:
        hdrs["Content-Length"] = str(len(body))
    hdrs.update(headers or {})
    data = f"{method} {path} HTTP/1.0\r\n".encode()
    data += "".join(f"{k}: {v}\r\n" for k, v in hdrs.items()).encode() + b"\r\n" + body
    got = b""
    try:
        with socket.create_connection(("127.0.0.1", srv.port), timeout=timeout,
                                      source_address=(source, 0)) as s:
            s.sendall(data)
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                got += chunk
    except (ConnectionResetError, BrokenPipeError):
        pass
    if not got:
        return 0, {}, b""
    return parse_response(got)


def jcall(srv, method, path, body=None, cookie=None, csrf=None, source="127.0.0.1", auth=None,
          headers=None):
    hdrs = dict(headers or {})
    payload = json.dumps(body).encode() if body is not None else b""
    if body is not None:
        hdrs["Content-Type"] = "application/json"
    if cookie:
        hdrs["Cookie"] = f"tinyice_session={cookie}"
    if csrf:
        hdrs["X-CSRF-Token"] = csrf
    status, h, data = raw(srv, method, path, source=source, headers=hdrs, body=payload, auth=auth)
    doc = json.loads(data) if h.get("content-type", "").startswith("application/json") else data
    return status, h, doc


def login(srv, user, password, source="127.0.0.1", headers=None):
    """POST /api/session: (status, session cookie value or None, document, Set-Cookie)."""
    status, h, doc = jcall(srv, "POST", "/api/session", {"username": user, "password": password},
                           source=source, headers=headers)
    cookie = None
    set_cookie = h.get("set-cookie", "")
    if set_cookie.startswith("tinyice_session="):
        cookie = set_cookie.split(";", 1)[0].split("=", 1)[1]
    return status, cookie, doc, set_cookie


def make_user(srv, name, role, mounts=()):
    password = f"{name}-long-password"
    status, doc = srv.api("POST", "/api/users", {"username": name, "password": password,
                                                 "role": role, "mounts": list(mounts)})
    assert status == 201, (status, doc)
    return name, password


def test_login_session_survives_restart_and_logout_ends_it():
    with TinyIce() as srv:
        name, password = make_user(srv, "carol", "admin")
        status, cookie, doc, set_cookie = login(srv, name, password)
        assert status == 200 and cookie, (status, doc)
        assert doc["user"]["username"] == "carol" and doc["user"]["role"] == "admin", doc
        attrs = [a.strip().lower() for a in set_cookie.split(";")]
        assert "httponly" in attrs and "path=/" in attrs, set_cookie
        assert any(a.startswith("samesite=") for a in attrs), set_cookie
        assert "secure" not in attrs, "plain HTTP from a direct client: no Secure flag"
        csrf = doc["csrf"]

        status, _, me = jcall(srv, "GET", "/api/session", cookie=cookie)
        assert status == 200 and me["user"]["username"] == "carol", me
        assert jcall(srv, "GET", "/api/session", cookie="not-a-session")[0] == 401

        # Sessions live in the database: the cookie still works after a restart.
        srv.restart()
        status, _, me = jcall(srv, "GET", "/api/session", cookie=cookie)
        assert status == 200 and me["user"]["username"] == "carol" and me["csrf"] == csrf, me
        assert jcall(srv, "GET", "/api/mounts", cookie=cookie)[0] == 200

        status, h, _ = jcall(srv, "DELETE", "/api/session", cookie=cookie, csrf=csrf)
        assert status in (200, 204), status
        assert "max-age=0" in h.get("set-cookie", "").lower(), h
        assert jcall(srv, "GET", "/api/session", cookie=cookie)[0] == 401

        # Wrong passwords and unknown users look the same.
        assert login(srv, "carol", "wrong-password")[0] == 401
        assert login(srv, "nobody", "wrong-password")[0] == 401


def test_csrf_is_required_for_cookie_sessions_only():
    with TinyIce() as srv:
        name, password = make_user(srv, "dave", "admin")
        status, cookie, doc, _ = login(srv, name, password)
        assert status == 200
        csrf = doc["csrf"]
        body = {"name": "/csrf-test"}
        # No token, a wrong token, a foreign Origin: refused, nothing created.
        assert jcall(srv, "POST", "/api/mounts", body, cookie=cookie)[0] == 403
        assert jcall(srv, "POST", "/api/mounts", body, cookie=cookie, csrf="x" * 32)[0] == 403
        assert jcall(srv, "POST", "/api/mounts", body, cookie=cookie, csrf=csrf,
                     headers={"Origin": "https://evil.example"})[0] == 403
        assert srv.api("GET", "/api/mounts/csrf-test")[0] == 404
        # With the session's token it goes through.
        status, _, doc = jcall(srv, "POST", "/api/mounts", body, cookie=cookie, csrf=csrf,
                               headers={"Origin": f"http://127.0.0.1:{srv.port}"})
        assert status == 201, (status, doc)
        # Reads need no token.
        assert jcall(srv, "GET", "/api/mounts", cookie=cookie)[0] == 200
        # Browsers also replay cached HTTP Basic credentials to cross-site requests: those are
        # refused when the browser says where they come from; scripts (no such headers) and
        # API tokens are not affected.
        for cross in ({"Sec-Fetch-Site": "cross-site"}, {"Origin": "https://evil.example"}):
            status, doc = srv.api("POST", "/api/mounts", {"name": "/basic-csrf"}, headers=cross)
            assert status == 403, (cross, status, doc)
        assert srv.api("GET", "/api/mounts/basic-csrf")[0] == 404
        assert srv.api("DELETE", "/api/mounts/csrf-test",
                       headers={"Sec-Fetch-Site": "same-origin"})[0] == 204


def test_roles_djs_admins_and_superadmins():
    with TinyIce(extra={"autodj": []}) as srv:
        assert srv.api("POST", "/api/mounts", {"name": "/dj1"})[0] == 201
        assert srv.api("POST", "/api/mounts", {"name": "/dj2"})[0] == 201
        dj1 = make_user(srv, "dj1", "dj", ["/dj1"])
        dj2 = make_user(srv, "dj2", "dj", ["/dj2"])
        admin = make_user(srv, "eve", "admin")

        # A DJ manages their own mount, never another DJ's.
        assert srv.api("POST", "/api/mounts/dj1/metadata", {"title": "mine"}, auth=dj1)[0] == 200
        assert srv.api("POST", "/api/mounts/dj2/metadata", {"title": "x"}, auth=dj1)[0] == 403
        assert srv.api("GET", "/api/mounts/dj2/listeners", auth=dj1)[0] == 403
        assert srv.api("POST", "/api/mounts/dj1/metadata", {"title": "x"}, auth=dj2)[0] == 403
        status, doc = srv.api("GET", "/api/mounts", auth=dj2)
        assert status == 200 and [m["name"] for m in doc["mounts"]] == ["/dj2"], doc
        # ... and the Icecast admin commands follow the same rule.
        assert srv.admin("/admin/metadata?mount=/dj1&mode=updinfo&song=a", auth=dj1)[0] == 200
        assert srv.admin("/admin/metadata?mount=/dj2&mode=updinfo&song=a", auth=dj1)[0] == 401
        assert srv.admin("/admin/stats", auth=dj1)[0] == 401
        assert srv.admin("/admin/stats", auth=admin)[0] == 200

        # AutoDJ: a DJ sees only the stations of their mounts (none here), and cannot define one.
        status, doc = srv.api("GET", "/api/autodj", auth=dj1)
        assert status == 200 and doc["stations"] == [], doc
        assert srv.api("POST", "/api/autodj", {"name": "x", "mount": "/dj1"}, auth=dj1)[0] == 403

        # Administration is for admins; users for the superadmin only.
        for who in (dj1, dj2):
            assert srv.api("GET", "/api/security/rules", auth=who)[0] == 403
            assert srv.api("GET", "/api/transcoders", auth=who)[0] == 403
            assert srv.api("GET", "/api/users", auth=who)[0] == 403
        assert srv.api("GET", "/api/security/rules", auth=admin)[0] == 200
        assert srv.api("GET", "/api/users", auth=admin)[0] == 403
        assert srv.api("POST", "/api/users", {"username": "x", "password": "long-enough-pw",
                                              "role": "superadmin"}, auth=admin)[0] == 403
        # Nothing privileged answers without credentials.
        for path in ("/api/mounts", "/api/users", "/api/security/rules", "/api/audit",
                     "/api/autodj", "/api/tokens", "/metrics", "/admin/stats"):
            assert srv.request("GET", path)[0] == 401, path

        # "source" is the encoders' user name (its failures never count): no account may have it.
        status, doc = srv.api("POST", "/api/users", {"username": "source",
                                                     "password": "long-enough-pw", "role": "dj"})
        assert status == 400 and "reserved" in doc["error"], doc

        # Disabling a user ends their access at once.
        status, users = srv.api("GET", "/api/users")
        uid = next(u["id"] for u in users["users"] if u["username"] == "dj1")
        assert srv.api("PATCH", f"/api/users/{uid}", {"disabled": True})[0] == 200
        assert srv.api("GET", "/api/mounts", auth=dj1)[0] == 401

        # The audit log recorded who did what.
        status, audit = srv.api("GET", "/api/audit?limit=100")
        assert status == 200
        actions = {(e["username"], e["category"]) for e in audit["entries"]}
        assert ("admin", "users") in actions, audit["entries"][:5]


def test_api_tokens_shown_once_hashed_and_revocable():
    with TinyIce() as srv:
        status, doc = srv.api("POST", "/api/tokens", {"name": "ci", "expires_days": 30})
        assert status == 201, (status, doc)
        token, token_id = doc["token"], doc["id"]
        assert token.startswith("tki_") and len(token) > 30, token
        bearer = {"Authorization": f"Bearer {token}"}
        status, mounts = srv.api("GET", "/api/mounts", auth=None, headers=bearer)
        assert status == 200, mounts
        # A token is not a cookie: state changes need no CSRF token.
        status, doc = srv.api("POST", "/api/mounts", {"name": "/tok"}, auth=None, headers=bearer)
        assert status == 201, (status, doc)
        # /metrics takes tokens too.
        assert srv.request("GET", "/metrics", headers=bearer)[0] == 200
        # Listed without the secret; the database holds only its hash.
        status, listing = srv.api("GET", "/api/tokens")
        assert status == 200 and token not in json.dumps(listing), listing
        entry = next(t for t in listing["tokens"] if t["id"] == token_id)
        assert entry["last_used_at"], entry
        with open(f"{srv.dir}/tinyice.db", "rb") as f:
            assert token.encode() not in f.read()
        # Revoked: refused from then on; a wrong token is refused too.
        assert srv.api("DELETE", f"/api/tokens/{token_id}")[0] == 204
        assert srv.api("GET", "/api/mounts", auth=None, headers=bearer)[0] == 401
        assert srv.api("GET", "/api/mounts", auth=None,
                       headers={"Authorization": "Bearer tki_" + "A" * 40})[0] == 401


def test_login_lockout_and_its_expiry():
    with TinyIce(extra={"security": SECURITY}) as srv:
        attacker = "127.0.0.2"
        for _ in range(SECURITY["login_failures"]):
            assert login(srv, "admin", "guess-guess", source=attacker)[0] == 401
        # Locked out: even the right password and even the public pages are refused now, at
        # accept() (the connection closes without an answer).
        assert login(srv, "admin", ADMIN_PASSWORD, source=attacker)[0] == 0
        assert raw(srv, "GET", "/status-json.xsl", source=attacker)[0] == 0
        # Other addresses are not affected, and the lockout is visible to admins.
        status, doc = srv.api("GET", "/api/security/lockouts")
        assert status == 200, doc
        locked = [r for r in doc["lockouts"] if r["network"].startswith(attacker)]
        assert locked and locked[0]["source"] == "login_lockout", doc
        assert locked[0]["expires_at"] > 0
        status, audit = srv.api("GET", "/api/audit?category=security")
        assert status == 200 and audit["entries"], audit

        # It expires by itself.
        wait_until(lambda: raw(srv, "GET", "/status-json.xsl", source=attacker)[0] == 200,
                   timeout=15, interval=0.25, what="the lockout to expire")
        assert login(srv, "admin", ADMIN_PASSWORD, source=attacker)[0] == 200

        # Basic auth failures on the admin commands count as well.
        other = "127.0.0.3"
        for _ in range(SECURITY["login_failures"]):
            assert raw(srv, "GET", "/admin/stats", source=other, auth=("admin", "nope"))[0] == 401
        assert raw(srv, "GET", "/status-json.xsl", source=other)[0] == 0
        # An admin lifts a lockout early.
        status, doc = srv.api("GET", "/api/security/lockouts")
        rule = next(r for r in doc["lockouts"] if r["network"].startswith(other))
        assert srv.api("DELETE", f"/api/security/rules/{rule['id']}")[0] == 204
        assert raw(srv, "GET", "/status-json.xsl", source=other)[0] == 200


def test_encoders_with_source_credentials_never_lock_themselves_out():
    with TinyIce(extra={"security": SECURITY}) as srv:
        encoder = "127.0.0.4"
        for _ in range(SECURITY["login_failures"] * 3):
            status = raw(srv, "GET", "/admin/metadata?mount=/live&mode=updinfo&song=x",
                         source=encoder, auth=("source", "wrong-source-password"))[0]
            assert status == 401, status
        status = raw(srv, "GET", "/admin/metadata?mount=/live&mode=updinfo&song=x",
                     source=encoder, auth=("source", SOURCE_PASSWORD))[0]
        assert status in (200, 400, 404), status  # answered, not refused
        status, doc = srv.api("GET", "/api/security/lockouts")
        assert not [r for r in doc["lockouts"] if r["network"].startswith(encoder)], doc


def test_404_scan_lockout_and_expiry():
    with TinyIce(extra={"security": SECURITY}) as srv:
        scanner = "127.0.0.5"
        # One dead URL retried by a player is not a scan.
        for _ in range(SECURITY["scan_404s"] * 2):
            assert raw(srv, "GET", "/gone.mp3", source=scanner)[0] == 404
        assert raw(srv, "GET", "/status-json.xsl", source=scanner)[0] == 200
        # Unknown URLs a page on another site makes a browser fetch do not count.
        for i in range(SECURITY["scan_404s"] * 2):
            headers = {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Dest": "image"}
            assert raw(srv, "GET", f"/pixel-{i}.png", source=scanner, headers=headers)[0] == 404
        assert raw(srv, "GET", "/status-json.xsl", source=scanner)[0] == 200
        # Many different unknown paths are.
        for path in ("/wp-login.php", "/.env", "/phpmyadmin/", "/.git/config", "/backup.zip"):
            raw(srv, "GET", path, source=scanner)
        assert raw(srv, "GET", "/status-json.xsl", source=scanner)[0] == 0
        status, doc = srv.api("GET", "/api/security/lockouts")
        locked = [r for r in doc["lockouts"] if r["network"].startswith(scanner)]
        assert locked and locked[0]["source"] == "scan_lockout", doc
        wait_until(lambda: raw(srv, "GET", "/status-json.xsl", source=scanner)[0] == 200,
                   timeout=15, interval=0.25, what="the scan lockout to expire")


def test_bans_apply_at_accept_and_drop_open_connections():
    with TinyIce(extra={"security": {"banned": ["127.0.0.9"]}}) as srv:
        # From the config file.
        assert raw(srv, "GET", "/status-json.xsl", source="127.0.0.9")[0] == 0
        status, doc = srv.api("GET", "/api/security/rules")
        assert any(r["network"].startswith("127.0.0.9") and r["source"] == "config"
                   for r in doc["rules"]), doc

        # A listener from 127.0.0.18 is connected when an admin bans its network.
        srv.ffmpeg_source("/live", "mp3")
        srv.wait_for_source("/live")
        sock = socket.create_connection(("127.0.0.1", srv.port), timeout=10,
                                        source_address=("127.0.0.18", 0))
        sock.sendall(f"GET /live HTTP/1.0\r\nHost: 127.0.0.1:{srv.port}\r\n\r\n".encode())
        assert sock.recv(4096).startswith(b"HTTP/1.0 200")
        wait_until(lambda: srv.mount_stats("/live").get("listeners") == "1", timeout=10,
                   what="the listener")
        status, doc = srv.api("POST", "/api/security/rules",
                              {"kind": "ban", "network": "127.0.0.16/29", "reason": "test"})
        assert status == 201, (status, doc)
        rule_id = doc["id"]

        def dropped():
            try:
                return sock.recv(65536) == b""
            except (ConnectionResetError, socket.timeout):
                return True
        wait_until(dropped, timeout=10, what="the banned listener to be dropped")
        sock.close()
        # New connections from the network are refused at accept; others still get in.
        assert raw(srv, "GET", "/status-json.xsl", source="127.0.0.18")[0] == 0
        assert raw(srv, "GET", "/status-json.xsl", source="127.0.0.30")[0] == 200
        # Lifted live.
        assert srv.api("DELETE", f"/api/security/rules/{rule_id}")[0] == 204
        assert raw(srv, "GET", "/status-json.xsl", source="127.0.0.18")[0] == 200
        # Malformed networks are refused with a clear error.
        status, doc = srv.api("POST", "/api/security/rules", {"kind": "ban", "network": "1.2.3"})
        assert status == 400 and "network" in doc["error"], doc


def test_allow_list_keeps_an_address_from_lockouts():
    sec = dict(SECURITY, allowed=["127.0.0.7"])
    with TinyIce(extra={"security": sec}) as srv:
        for _ in range(SECURITY["login_failures"] * 2):
            assert login(srv, "admin", "guess-guess", source="127.0.0.7")[0] == 401
        assert login(srv, "admin", ADMIN_PASSWORD, source="127.0.0.7")[0] == 200


def test_trusted_proxy_forwarded_address_is_the_client():
    extra = {"security": SECURITY, "http": {"trusted_proxies": ["127.0.0.8"]}}
    with TinyIce(extra=extra) as srv:
        proxy = "127.0.0.8"
        fwd = {"X-Forwarded-For": "203.0.113.50", "X-Forwarded-Proto": "https"}
        # Behind the proxy the session cookie is Secure (the visitor used HTTPS).
        status, cookie, doc, set_cookie = login(srv, "admin", ADMIN_PASSWORD, source=proxy,
                                                headers=fwd)
        assert status == 200, doc
        assert "secure" in [a.strip().lower() for a in set_cookie.split(";")], set_cookie
        # Failed logins count against the forwarded visitor, not the proxy.
        for _ in range(SECURITY["login_failures"]):
            assert login(srv, "admin", "nope-nope", source=proxy, headers=fwd)[0] == 401
        status, doc = srv.api("GET", "/api/security/lockouts")
        nets = [r["network"] for r in doc["lockouts"]]
        assert any(n.startswith("203.0.113.50") for n in nets), nets
        assert not any(n.startswith(proxy) for n in nets), nets
        # The visitor is refused; other visitors through the same proxy are not.
        assert raw(srv, "GET", "/status-json.xsl", source=proxy, headers=fwd)[0] == 403
        assert raw(srv, "GET", "/status-json.xsl", source=proxy,
                   headers={"X-Forwarded-For": "203.0.113.51"})[0] == 200
        # The access log shows the visitor's address.
        wait_until(lambda: "203.0.113.51" in open(f"{srv.dir}/access.log").read(), timeout=5,
                   what="the forwarded address in the access log")

        # An untrusted client cannot pretend to be someone else.
        liar = "127.0.0.11"
        for _ in range(SECURITY["login_failures"]):
            assert login(srv, "admin", "nope-nope", source=liar,
                         headers={"X-Forwarded-For": "198.51.100.1"})[0] == 401
        status, doc = srv.api("GET", "/api/security/lockouts")
        nets = [r["network"] for r in doc["lockouts"]]
        assert any(n.startswith(liar) for n in nets), nets
        assert not any(n.startswith("198.51.100.1") for n in nets), nets


if __name__ == "__main__":
    run_tests([test_login_session_survives_restart_and_logout_ends_it,
               test_csrf_is_required_for_cookie_sessions_only,
               test_roles_djs_admins_and_superadmins,
               test_api_tokens_shown_once_hashed_and_revocable,
               test_login_lockout_and_its_expiry,
               test_encoders_with_source_credentials_never_lock_themselves_out,
               test_404_scan_lockout_and_expiry,
               test_bans_apply_at_accept_and_drop_open_connections,
               test_allow_list_keeps_an_address_from_lockouts,
               test_trusted_proxy_forwarded_address_is_the_client])
