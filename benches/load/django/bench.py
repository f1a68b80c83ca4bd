#!/usr/bin/env python3
"""What benches/load/peer needs of django-cas-server besides serving it.
Run with Debian's python3 (the one that has python3-django-cas-server),
PEER_DJANGO_DB and PEER_DJANGO_SECRET set as for gunicorn.

  bench.py setup USER PASSWORD     the Django user and a ServicePattern that
                                   lets http://app.example.edu/.* have tickets
  bench.py login BASE USER PASSWORD SERVICE
                                   logs in through the login form (login
                                   ticket and CSRF token included), checks
                                   that the ST it gets validates, and prints
                                   the session cookie "sessionid=…"
  bench.py mint USER N FILE SERVICE
                                   N service tickets for SERVICE in the
                                   database (as User.get_ticket, what
                                   /login does after a sign-on, makes
                                   them), one a line in FILE
"""

import http.cookiejar
import os
import re
import sys
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))


def django_setup():
    sys.path.insert(0, HERE)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings")
    import django

    django.setup()


def setup(user, password):
    django_setup()
    from django.contrib.auth.models import User
    from cas_server.models import ServicePattern

    account, _ = User.objects.get_or_create(username=user, defaults={"email": user})
    account.set_password(password)
    account.save()
    ServicePattern.objects.update_or_create(
        name="App",
        defaults={"pos": 100, "pattern": r"^http://app\.example\.edu/.*$"},
    )


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def login(base, user, password, service):
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)
    url = base + "/cas/login?" + urllib.parse.urlencode({"service": service})
    with opener.open(url, timeout=10) as page:
        html = page.read().decode()
    fields = {}
    for tag in re.findall(r"<input[^>]*>", html):
        name = re.search(r'name="([^"]*)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name and value:
            fields[name.group(1)] = value.group(1)
    if "csrfmiddlewaretoken" not in fields or "lt" not in fields:
        sys.exit("bench.py login: no CSRF token or login ticket in the login form")
    fields.update(username=user, password=password, service=service)
    body = urllib.parse.urlencode(fields).encode()
    try:
        opener.open(urllib.request.Request(url, data=body, headers={"Referer": url}), timeout=10)
        sys.exit("bench.py login: the form's POST was not answered with a redirect")
    except urllib.error.HTTPError as answer:
        if answer.code != 302:
            sys.exit(f"bench.py login: the form's POST was answered {answer.code}")
        location = answer.headers["Location"]
    ticket = urllib.parse.parse_qs(urllib.parse.urlsplit(location).query)["ticket"][0]
    check = base + "/cas/serviceValidate?" + urllib.parse.urlencode({"service": service, "ticket": ticket})
    with opener.open(check, timeout=10) as answer:
        xml = answer.read().decode()
    if "authenticationSuccess" not in xml or user not in xml:
        sys.exit("bench.py login: the ST of the login did not validate:\n" + xml)
    session = [c for c in jar if c.name == "sessionid"]
    if not session:
        sys.exit("bench.py login: no sessionid cookie")
    print(f"sessionid={session[0].value}")


def mint(user, count, path, service):
    django_setup()
    from django.db import transaction
    from cas_server.models import ServicePattern, ServiceTicket, User

    # The cas_server User of the session bench.py login opened. The first
    # ticket is what /login makes (User.get_ticket); the others copy its
    # fields with a fresh value each, in one bulk insert (get_ticket one by
    # one would take minutes).
    account = User.objects.filter(username=user).latest("date")
    pattern = ServicePattern.validate(service)
    first = account.get_ticket(ServiceTicket, service, pattern, False)
    rest = [
        ServiceTicket(
            user=account,
            attributs=first.attributs,
            service=service,
            renew=False,
            service_pattern=pattern,
            single_log_out=pattern.single_log_out,
        )
        for _ in range(count - 1)
    ]
    with transaction.atomic():
        ServiceTicket.objects.bulk_create(rest, batch_size=5000)
    with open(path, "w") as out:
        for ticket in [first] + rest:
            out.write(ticket.value + "\n")


if __name__ == "__main__":
    command, args = sys.argv[1], sys.argv[2:]
    if command == "setup":
        setup(*args)
    elif command == "login":
        login(*args)
    elif command == "mint":
        mint(args[0], int(args[1]), args[2], args[3])
    else:
        sys.exit(__doc__)
