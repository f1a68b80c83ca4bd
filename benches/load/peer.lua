-- The wrk script of benches/load/peer, the same for every server it drives,
-- so that the client does the same work against each. PEER_MODE says what
-- a connection sends:
--   pair      a single sign-on login (GET /cas/login?service=… with the
--             session cookie PEER_COOKIE, "NAME=VALUE"), answered 302 with
--             an ST, then the validation of that ST (GET PEER_VALIDATE,
--             /cas/serviceValidate by default). Every login and every
--             validation is one request to wrk; a pair is two.
--   validate  validations alone: GET PEER_VALIDATE of the tickets in the
--             file PEER_TICKETS, one a line, each sent once (with
--             PEER_THREADS threads, a thread takes every n-th line); or, with PEER_TICKET, that one ticket again
--             and again.
--   plain     GET / (the floor server), counted OK on 200.
-- The done hook prints one line, "PEER key=value …", that the bash script
-- reads: requests, duration, latency percentiles, and how many answers
-- were what the test wanted (ok: validations that said
-- authenticationSuccess; plain 200s) and how many were not.
local mode = os.getenv("PEER_MODE") or "pair"
local cookie = os.getenv("PEER_COOKIE") or ""
local validate_path = os.getenv("PEER_VALIDATE") or "/cas/serviceValidate"
local service = os.getenv("PEER_SERVICE") or "http%3A%2F%2Fapp.example.edu%2Flogin"
local threads = {}
local counter = 0

ok, failed, other, logins, exhausted = 0, 0, 0, 0, 0

setup = function(thread)
  thread:set("thread_index", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local pending = {}
local tickets = {}
local next_ticket = 1

init = function(args)
  if mode == "validate" then
    local file = os.getenv("PEER_TICKETS")
    if file then
      -- wrk runs a thread's init before the next thread's setup: the
      -- thread count comes from PEER_THREADS (wrk -t, 1 by default).
      local n, i = tonumber(os.getenv("PEER_THREADS") or "1"), 0
      for line in io.lines(file) do
        if line ~= "" then
          if i % n == thread_index then table.insert(tickets, line) end
          i = i + 1
        end
      end
    end
  end
end

local function validation(st)
  return wrk.format("GET", validate_path .. "?service=" .. service .. "&ticket=" .. st)
end

request = function()
  if mode == "plain" then
    return wrk.format("GET", "/")
  elseif mode == "validate" then
    local single = os.getenv("PEER_TICKET")
    if single then return validation(single) end
    local st = tickets[next_ticket]
    if not st then
      -- Out of tickets: ask for one that cannot exist, counted apart.
      exhausted = exhausted + 1
      return validation("ST-exhausted")
    end
    next_ticket = next_ticket + 1
    return validation(st)
  end
  local st = table.remove(pending)
  if st then return validation(st) end
  return wrk.format("GET", "/cas/login?service=" .. service, { ["Cookie"] = cookie })
end

response = function(status, headers, body)
  if mode == "plain" then
    if status == 200 then ok = ok + 1 else other = other + 1 end
    return
  end
  if status == 302 then
    logins = logins + 1
    local st = (headers["Location"] or headers["location"] or ""):match("ticket=([%w%-_%.]+)")
    if st then table.insert(pending, st) else other = other + 1 end
  elseif body:find("authenticationSuccess", 1, true) then
    ok = ok + 1
  elseif body:find("authenticationFailure", 1, true) then
    failed = failed + 1
  else
    other = other + 1
  end
end

done = function(summary, latency, requests)
  local o, f, x, l, e = 0, 0, 0, 0, 0
  for _, t in ipairs(threads) do
    o, f, x = o + t:get("ok"), f + t:get("failed"), x + t:get("other")
    l, e = l + t:get("logins"), e + t:get("exhausted")
  end
  local errors = summary.errors
  io.write(string.format(
    "PEER requests=%d duration_us=%d p50_us=%.0f p99_us=%.0f ok=%d failed=%d other=%d logins=%d exhausted=%d " ..
    "socket_errors=%d status_errors=%d timeouts=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), o, f, x, l, e,
    errors.connect + errors.read + errors.write, errors.status, errors.timeout))
end
