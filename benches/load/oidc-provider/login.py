"""Logs in to oidc-provider once through its development form and prints
the session cookie (`Cookie:` header value) that benches/load/oidc_peer
sends with every authorization. Standard library only.

    python3 login.py ISSUER AUTHORIZE_QUERY
"""
import http.cookiejar
import re
import sys
import urllib.error
import urllib.parse
import urllib.request

issuer, query = sys.argv[1], sys.argv[2]
jar = http.cookiejar.CookieJar()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)


def fetch(url, data=None):
    try:
        answer = opener.open(urllib.request.Request(url, data=data), timeout=10)
        return answer.status, answer.headers, answer.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode()


url = f"{issuer}/auth?{query}"
for _ in range(10):
    status, headers, body = fetch(url)
    if status in (302, 303):
        location = urllib.parse.urljoin(url, headers["Location"])
        if "code=" in location:
            break
        url = location
        continue
    form = re.search(r'action="([^"]+)"', body)
    assert status == 200 and form, (status, body[:500])
    action = urllib.parse.urljoin(url, form.group(1))
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', body))
    fields.update(login="jdoe@example.edu", password="any")
    status, headers, body = fetch(action, urllib.parse.urlencode(fields).encode())
    assert status in (302, 303), (status, body[:500])
    url = urllib.parse.urljoin(action, headers["Location"])
else:
    raise SystemExit("no code after 10 hops")
print("; ".join(f"{c.name}={c.value}" for c in jar))
