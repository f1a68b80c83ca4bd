-- Alternates a single sign-on login (GET /cas/login with the TGT cookie,
-- answered 302 with an ST) and the validation of the ST it got. Counts the
-- validations that succeeded and failed, so that a run that only measured
-- refusals shows.
local tgt = os.getenv("TGT")
local service = "http%3A%2F%2Fapp.example.edu%2Flogin"
local pending = {}
local threads = {}
validated, refused, other = 0, 0, 0

setup = function(thread)
  table.insert(threads, thread)
end

request = function()
  local st = table.remove(pending)
  if st then
    return wrk.format("GET", "/cas/serviceValidate?service=" .. service .. "&ticket=" .. st)
  end
  return wrk.format("GET", "/cas/login?service=" .. service, { ["Cookie"] = "CASTGC=" .. tgt })
end

response = function(status, headers, body)
  if status == 302 then
    local st = (headers["Location"] or headers["location"] or ""):match("ticket=([%w%-]+)")
    if st then table.insert(pending, st) end
  elseif body:find("authenticationSuccess", 1, true) then
    validated = validated + 1
  elseif body:find("authenticationFailure", 1, true) then
    refused = refused + 1
  else
    other = other + 1
  end
end

done = function(summary, latency, requests)
  local v, r, o = 0, 0, 0
  for _, t in ipairs(threads) do
    v, r, o = v + t:get("validated"), r + t:get("refused"), o + t:get("other")
  end
  io.write(string.format("p50 %.0f us, p99 %.0f us; STs validated %d, refused %d, other answers %d\n",
    latency:percentile(50), latency:percentile(99), v, r, o))
end
