-- wrk script: every write sends `depth` GET requests back to back (HTTP/1.1
-- pipelining), so nginx answers as fast as it can parse; `wrk -c N` keeps
-- N connections doing that. The default depth is 16: wrk ... -- 16
local req
function init(args)
  local depth = tonumber(args[1]) or 16
  local one = wrk.format("GET", "/a")
  req = string.rep(one, depth)
end
function request()
  return req
end
