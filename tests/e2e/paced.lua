-- wrk script: each connection waits 1 ms between requests, so
-- `wrk -c N` offers about N * 1000 requests per second.
wrk.path = "/a"
function delay()
  return 1
end
