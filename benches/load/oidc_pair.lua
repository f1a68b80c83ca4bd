-- The wrk script of benches/load/oidc_peer, the same for both providers:
-- authorize+token pairs. A connection sends the authorization request
-- OIDC_AUTHORIZE (a path and query: the code flow with PKCE S256) with the
-- session cookie OIDC_COOKIE, which answers 302 or 303 with a code; then
-- any connection redeems that code at OIDC_TOKEN with client_secret_basic
-- (OIDC_BASIC, the Authorization header), the redirect URI
-- (OIDC_REDIRECT, form-encoded) and the verifier (OIDC_VERIFIER). Every
-- authorization and every token request is one request to wrk; a pair is
-- two. The done hook prints one line, "PEER key=value …", as peer.lua's.
local authorize = os.getenv("OIDC_AUTHORIZE")
local cookie = os.getenv("OIDC_COOKIE")
local token = os.getenv("OIDC_TOKEN")
local basic = os.getenv("OIDC_BASIC")
local redirect = os.getenv("OIDC_REDIRECT")
local verifier = os.getenv("OIDC_VERIFIER")
local threads = {}

ok, failed, other, logins, exhausted = 0, 0, 0, 0, 0

setup = function(thread)
  table.insert(threads, thread)
end

local pending = {}

request = function()
  local code = table.remove(pending)
  if code then
    local body = "grant_type=authorization_code&code=" .. code .. "&redirect_uri=" .. redirect ..
      "&code_verifier=" .. verifier
    return wrk.format("POST", token, {
      ["Authorization"] = basic,
      ["Content-Type"] = "application/x-www-form-urlencoded",
    }, body)
  end
  return wrk.format("GET", authorize, { ["Cookie"] = cookie })
end

response = function(status, headers, body)
  if status == 302 or status == 303 then
    logins = logins + 1
    local code = (headers["Location"] or headers["location"] or ""):match("[?&]code=([^&]+)")
    if code then table.insert(pending, code) else other = other + 1 end
  elseif status == 200 and body:find('"access_token"', 1, true) and body:find('"id_token"', 1, true) then
    ok = ok + 1
  elseif status == 400 then
    failed = failed + 1
  else
    other = other + 1
  end
end

done = function(summary, latency, requests)
  local o, f, x, l = 0, 0, 0, 0
  for _, t in ipairs(threads) do
    o, f, x, l = o + t:get("ok"), f + t:get("failed"), x + t:get("other"), l + t:get("logins")
  end
  local errors = summary.errors
  io.write(string.format(
    "PEER requests=%d duration_us=%d p50_us=%.0f p99_us=%.0f ok=%d failed=%d other=%d logins=%d exhausted=0 " ..
    "socket_errors=%d status_errors=%d timeouts=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), o, f, x, l,
    errors.connect + errors.read + errors.write, errors.status, errors.timeout))
end
