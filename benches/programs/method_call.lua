-- Method calls (Wren's method_call.wren): dynamic dispatch, an overriding method
-- and a super call, methods returning self.
-- Same algorithm and parameters as method_call.newt and method_call.py.

local Toggle = {}
Toggle.__index = Toggle

function Toggle.new(start_state)
  return setmetatable({ state = start_state }, Toggle)
end

function Toggle:value()
  return self.state
end

function Toggle:activate()
  self.state = not self.state
  return self
end

local NthToggle = setmetatable({}, { __index = Toggle })
NthToggle.__index = NthToggle

function NthToggle.new(start_state, max_counter)
  return setmetatable({ state = start_state, count_max = max_counter, count = 0 }, NthToggle)
end

function NthToggle:activate()
  self.count = self.count + 1
  if self.count >= self.count_max then
    Toggle.activate(self) -- super.activate()
    self.count = 0
  end
  return self
end

local start = os.clock()
local n = 400000
local val = true
local toggle = Toggle.new(val)

for _ = 1, n do
  val = toggle:activate():value()
  val = toggle:activate():value()
  val = toggle:activate():value()
  val = toggle:activate():value()
  val = toggle:activate():value()
  val = toggle:activate():value()
  val = toggle:activate():value()
  val = toggle:activate():value()
  val = toggle:activate():value()
  val = toggle:activate():value()
end

print(toggle:value())

val = true
local ntoggle = NthToggle.new(val, 3)

for _ = 1, n do
  val = ntoggle:activate():value()
  val = ntoggle:activate():value()
  val = ntoggle:activate():value()
  val = ntoggle:activate():value()
  val = ntoggle:activate():value()
  val = ntoggle:activate():value()
  val = ntoggle:activate():value()
  val = ntoggle:activate():value()
  val = ntoggle:activate():value()
  val = ntoggle:activate():value()
end

print(ntoggle:value())
print(string.format("elapsed: %.6f", os.clock() - start))
