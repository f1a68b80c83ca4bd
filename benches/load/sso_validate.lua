-- Alternates a single sign-on login (GET /cas/login with the TGT cookie,
-- answered 302 with an ST) and the validation of the ST it got.
local tgt = os.getenv("TGT")
local service = "http%3A%2F%2Fapp.example.edu%2Flogin"
local pending = {}

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
  end
end

done = function(summary, latency, requests)
  io.write(string.format("p50 %.0f us, p99 %.0f us\n", latency:percentile(50), latency:percentile(99)))
end
