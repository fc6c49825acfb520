-- wrk script for scripts/flood.sh: with FORGED=half every other request carries the valid
-- token $VALID_TOKEN (cached after the first) and the others a forgery of it never sent before,
-- so that no cache can answer it (five characters in the middle of the signature replaced by a
-- counter); with FORGED=all every request is such a forgery.
local valid = os.getenv("VALID_TOKEN")
local every = os.getenv("FORGED") == "all" and 1 or 2
local alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
local signature = valid:match("^.*()%.") + 1
local middle = signature + math.floor((#valid - signature) / 2)
local threads = {}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

sent = 0
ok = 0
refused = 0
other = 0

local function forged(k)
  local chars = {}
  for at = middle, middle + 4 do
    local old = alphabet:find(valid:sub(at, at), 1, true) - 1
    local digit = k % 64
    k = math.floor(k / 64)
    chars[#chars + 1] = alphabet:sub((old + digit) % 64 + 1, (old + digit) % 64 + 1)
  end
  return valid:sub(1, middle - 1) .. table.concat(chars) .. valid:sub(middle + 5)
end

function request()
  sent = sent + 1
  local token = valid
  if sent % every == 0 then
    -- Distinct across threads and never zero, so the signature always changes.
    token = forged((sent * 64 + id) + 1)
  end
  return wrk.format("GET", "/auth", { Authorization = "Bearer " .. token })
end

function response(status)
  if status == 200 then
    ok = ok + 1
  elseif status == 401 then
    refused = refused + 1
  else
    other = other + 1
  end
end

function done(summary)
  local accepted, rejected, unexpected = 0, 0, 0
  for _, thread in ipairs(threads) do
    accepted = accepted + thread:get("ok")
    rejected = rejected + thread:get("refused")
    unexpected = unexpected + thread:get("other")
  end
  local seconds = summary.duration / 1e6
  io.write(string.format("flood: accepted %d %.0f refused %d %.0f other %d\n",
    accepted, accepted / seconds, rejected, rejected / seconds, unexpected))
end
