-- Loaded into mpv by libs/testing/src/mpv-play.ts (mpv --script=...): reports how far playback
-- got and the longest wall-clock time playback-time stood still after it first moved (a stall),
-- in one line on the "mpv_probe" message channel when mpv shuts down.
local last_pos = nil
local last_move = nil
local first_move = nil
local max_stall = 0

mp.add_periodic_timer(0.02, function()
  local pos = mp.get_property_number("playback-time")
  local now = mp.get_time()
  if pos == nil then return end
  if last_pos == nil or pos ~= last_pos then
    if last_move ~= nil then
      local stall = now - last_move
      if stall > max_stall then max_stall = stall end
    end
    if first_move == nil then first_move = now end
    last_move = now
    last_pos = pos
  end
end)

mp.register_event("shutdown", function()
  mp.msg.info(string.format("REPORT playback_time=%s max_stall_ms=%d", tostring(last_pos), math.floor(max_stall * 1000)))
end)
