-- wrk script of bench/run. POSTs form bodies to the URL's path:
--   BODIES=FILE  the bodies of FILE (one per line), in turn; of two threads, one starts at line
--                START + 1, the other half the file further on.
--   DIDS=PREFIX  plus `&did=PREFIX<thread><counter>`: a new DID number on every request.
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("id", threads)
end

local requests, next_index, did_prefix, counter = {}, 1, nil, 0
local headers = { ["Content-Type"] = "application/x-www-form-urlencoded" }

function init(args)
  local path = wrk.path
  local bodies = {}
  for line in io.lines(os.getenv("BODIES")) do
    bodies[#bodies + 1] = line
  end
  did_prefix = os.getenv("DIDS")
  if did_prefix then
    did_prefix = did_prefix .. id
    requests = bodies
  else
    for i, body in ipairs(bodies) do
      requests[i] = wrk.format("POST", path, headers, body)
    end
  end
  next_index = (tonumber(os.getenv("START") or "0") + (id - 1) * math.floor(#requests / 2)) % #requests + 1
end

function request()
  local index = next_index
  next_index = index % #requests + 1
  if did_prefix then
    counter = counter + 1
    return wrk.format("POST", nil, headers, requests[index] .. "&did=" .. did_prefix .. string.format("%09d", counter))
  end
  return requests[index]
end
