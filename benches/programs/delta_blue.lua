-- DeltaBlue (the Octane / Wren port of John Maloney and Mario Wolczko's
-- benchmark): an incremental one-way constraint solver with a class hierarchy of
-- constraints, virtual calls and super calls, lists and object identity.
-- Same algorithm and parameters as delta_blue.newt and delta_blue.py. Values are
-- integers (the scale constraint's backward direction divides exactly).
--
-- "The DeltaBlue Algorithm: An Incremental Constraint Hierarchy Solver",
-- Bjorn N. Freeman-Benson and John Maloney, CACM, January 1990.

-- A small class helper: class(parent) returns a table whose instances look
-- methods up in it and then in the parent.
local function class(parent)
  local c = {}
  c.__index = c
  if parent then setmetatable(c, { __index = parent }) end
  return c
end

-- Strengths: the relative importance of constraints. Lower value is stronger.
local Strength = class()

function Strength.new(value, name)
  return setmetatable({ value = value, name = name }, Strength)
end

local REQUIRED = Strength.new(0, "required")
local STRONG_PREFERRED = Strength.new(1, "strongPreferred")
local PREFERRED = Strength.new(2, "preferred")
local STRONG_DEFAULT = Strength.new(3, "strongDefault")
local NORMAL = Strength.new(4, "normal")
local WEAK_DEFAULT = Strength.new(5, "weakDefault")
local WEAKEST = Strength.new(6, "weakest")

-- ORDERED[value] is the next weaker strength (Lua lists start at 1).
local ORDERED = { WEAK_DEFAULT, NORMAL, STRONG_DEFAULT, PREFERRED, STRONG_PREFERRED }
ORDERED[0] = WEAKEST

function Strength:next_weaker()
  return ORDERED[self.value]
end

local function stronger(s1, s2) return s1.value < s2.value end
local function weaker(s1, s2) return s1.value > s2.value end
local function weakest_of(s1, s2)
  if weaker(s1, s2) then return s1 end
  return s2
end

local planner -- the current Planner

-- Constraint: the abstract base class.
local Constraint = class()

function Constraint:add_constraint()
  self:add_to_graph()
  planner:incremental_add(self)
end

-- Attempt to find a way to enforce this constraint. Answer the constraint that
-- this one overrides, or nil. Assume: not already satisfied.
function Constraint:satisfy(mark)
  self:choose_method(mark)
  if not self:is_satisfied() then
    if self.strength == REQUIRED then
      print("Could not satisfy a required constraint!")
    end
    return nil
  end
  self:mark_inputs(mark)
  local out = self:output()
  local overridden = out.determined_by
  if overridden ~= nil then overridden:mark_unsatisfied() end
  out.determined_by = self
  if not planner:add_propagate(self, mark) then print("Cycle encountered") end
  out.mark = mark
  return overridden
end

function Constraint:destroy_constraint()
  if self:is_satisfied() then planner:incremental_remove(self) end
  self:remove_from_graph()
end

function Constraint:is_input() return false end

-- UnaryConstraint: a single possible output variable.
local UnaryConstraint = class(Constraint)

function UnaryConstraint:init(my_output, strength)
  self.strength = strength
  self.my_output = my_output
  self.satisfied = false
  self:add_constraint()
  return self
end

function UnaryConstraint:add_to_graph()
  self.my_output:add_constraint(self)
  self.satisfied = false
end

function UnaryConstraint:choose_method(mark)
  self.satisfied = self.my_output.mark ~= mark and stronger(self.strength, self.my_output.walk_strength)
end

function UnaryConstraint:is_satisfied() return self.satisfied end

function UnaryConstraint:mark_inputs(mark) end -- no inputs

function UnaryConstraint:output() return self.my_output end

function UnaryConstraint:recalculate()
  self.my_output.walk_strength = self.strength
  self.my_output.stay = not self:is_input()
  if self.my_output.stay then self:execute() end -- stay optimization
end

function UnaryConstraint:mark_unsatisfied() self.satisfied = false end

function UnaryConstraint:inputs_known(mark) return true end

function UnaryConstraint:remove_from_graph()
  self.my_output:remove_constraint(self)
  self.satisfied = false
end

-- StayConstraint: a variable that should, with some preference, stay the same.
local StayConstraint = class(UnaryConstraint)

function StayConstraint.new(v, strength)
  return setmetatable({}, StayConstraint):init(v, strength)
end

function StayConstraint:execute() end -- stay constraints do nothing

-- EditConstraint: a variable that the client wishes to change.
local EditConstraint = class(UnaryConstraint)

function EditConstraint.new(v, strength)
  return setmetatable({}, EditConstraint):init(v, strength)
end

function EditConstraint:is_input() return true end

function EditConstraint:execute() end -- edit constraints do nothing

-- Directions of a binary constraint.
local NONE = 1
local FORWARD = 2
local BACKWARD = 0

-- BinaryConstraint: two possible output variables.
local BinaryConstraint = class(Constraint)

function BinaryConstraint:init(v1, v2, strength)
  self.strength = strength
  self.v1 = v1
  self.v2 = v2
  self.direction = NONE
  self:add_constraint()
  return self
end

-- Decide if this constraint can be satisfied and which way it should flow.
-- (The first two tests are overwritten by the third, as in the original.)
function BinaryConstraint:choose_method(mark)
  if self.v1.mark == mark then
    if self.v2.mark ~= mark and stronger(self.strength, self.v2.walk_strength) then
      self.direction = FORWARD
    else
      self.direction = NONE
    end
  end
  if self.v2.mark == mark then
    if self.v1.mark ~= mark and stronger(self.strength, self.v1.walk_strength) then
      self.direction = BACKWARD
    else
      self.direction = NONE
    end
  end
  if weaker(self.v1.walk_strength, self.v2.walk_strength) then
    if stronger(self.strength, self.v1.walk_strength) then
      self.direction = BACKWARD
    else
      self.direction = NONE
    end
  else
    if stronger(self.strength, self.v2.walk_strength) then
      self.direction = FORWARD
    else
      self.direction = BACKWARD
    end
  end
end

function BinaryConstraint:add_to_graph()
  self.v1:add_constraint(self)
  self.v2:add_constraint(self)
  self.direction = NONE
end

function BinaryConstraint:is_satisfied() return self.direction ~= NONE end

function BinaryConstraint:mark_inputs(mark)
  self:input().mark = mark
end

function BinaryConstraint:input()
  if self.direction == FORWARD then return self.v1 end
  return self.v2
end

function BinaryConstraint:output()
  if self.direction == FORWARD then return self.v2 end
  return self.v1
end

function BinaryConstraint:recalculate()
  local ihn = self:input()
  local out = self:output()
  out.walk_strength = weakest_of(self.strength, ihn.walk_strength)
  out.stay = ihn.stay
  if out.stay then self:execute() end
end

function BinaryConstraint:mark_unsatisfied() self.direction = NONE end

function BinaryConstraint:inputs_known(mark)
  local i = self:input()
  return i.mark == mark or i.stay or i.determined_by == nil
end

function BinaryConstraint:remove_from_graph()
  self.v1:remove_constraint(self)
  self.v2:remove_constraint(self)
  self.direction = NONE
end

-- ScaleConstraint: v2 = v1 * scale + offset, in either direction.
local ScaleConstraint = class(BinaryConstraint)

function ScaleConstraint.new(src, scale, offset, dest, strength)
  local c = setmetatable({}, ScaleConstraint)
  c.scale = scale
  c.offset = offset
  return c:init(src, dest, strength)
end

function ScaleConstraint:add_to_graph()
  BinaryConstraint.add_to_graph(self)
  self.scale:add_constraint(self)
  self.offset:add_constraint(self)
end

function ScaleConstraint:remove_from_graph()
  BinaryConstraint.remove_from_graph(self)
  self.scale:remove_constraint(self)
  self.offset:remove_constraint(self)
end

function ScaleConstraint:mark_inputs(mark)
  BinaryConstraint.mark_inputs(self, mark)
  self.scale.mark = mark
  self.offset.mark = mark
end

function ScaleConstraint:execute()
  if self.direction == FORWARD then
    self.v2.value = self.v1.value * self.scale.value + self.offset.value
  else
    self.v1.value = (self.v2.value - self.offset.value) // self.scale.value
  end
end

function ScaleConstraint:recalculate()
  local ihn = self:input()
  local out = self:output()
  out.walk_strength = weakest_of(self.strength, ihn.walk_strength)
  out.stay = ihn.stay and self.scale.stay and self.offset.stay
  if out.stay then self:execute() end
end

-- EqualityConstraint: two variables have the same value.
local EqualityConstraint = class(BinaryConstraint)

function EqualityConstraint.new(v1, v2, strength)
  return setmetatable({}, EqualityConstraint):init(v1, v2, strength)
end

function EqualityConstraint:execute()
  self:output().value = self:input().value
end

-- Variable: a constrained variable and its place in the constraint graph.
local Variable = class()

function Variable.new(name, value)
  return setmetatable({
    constraints = {},
    determined_by = nil,
    mark = 0,
    walk_strength = WEAKEST,
    stay = true,
    name = name,
    value = value,
  }, Variable)
end

function Variable:add_constraint(c)
  local cs = self.constraints
  cs[#cs + 1] = c
end

-- Removes all traces of c from this variable.
function Variable:remove_constraint(c)
  local kept = {}
  for _, x in ipairs(self.constraints) do
    if x ~= c then kept[#kept + 1] = x end
  end
  self.constraints = kept
  if self.determined_by == c then self.determined_by = nil end
end

-- Plan: an ordered list of constraints to execute in sequence.
local Plan = class()

function Plan.new()
  return setmetatable({ list = {} }, Plan)
end

function Plan:add_constraint(c)
  local l = self.list
  l[#l + 1] = c
end

function Plan:size() return #self.list end

function Plan:execute()
  for _, c in ipairs(self.list) do
    c:execute()
  end
end

-- Planner: the incremental solver.
local Planner = class()

function Planner.new()
  return setmetatable({ current_mark = 0 }, Planner)
end

-- Attempt to satisfy c and, if successful, incrementally update the dataflow graph.
function Planner:incremental_add(c)
  local mark = self:new_mark()
  local overridden = c:satisfy(mark)
  while overridden ~= nil do
    overridden = overridden:satisfy(mark)
  end
end

-- Retract c and resatisfy the constraints downstream of it, strongest first.
function Planner:incremental_remove(c)
  local out = c:output()
  c:mark_unsatisfied()
  c:remove_from_graph()
  local unsatisfied = self:remove_propagate_from(out)
  local strength = REQUIRED
  while true do
    for _, u in ipairs(unsatisfied) do
      if u.strength == strength then self:incremental_add(u) end
    end
    strength = strength:next_weaker()
    if strength == WEAKEST then break end
  end
end

function Planner:new_mark()
  self.current_mark = self.current_mark + 1
  return self.current_mark
end

-- Extract a plan for resatisfaction starting from the given source constraints.
function Planner:make_plan(sources)
  local mark = self:new_mark()
  local plan = Plan.new()
  local todo = sources
  while #todo > 0 do
    local c = table.remove(todo)
    if c:output().mark ~= mark and c:inputs_known(mark) then
      plan:add_constraint(c)
      c:output().mark = mark
      self:add_constraints_consuming_to(c:output(), todo)
    end
  end
  return plan
end

-- Extract a plan for resatisfying starting from the outputs of the given constraints.
function Planner:extract_plan_from_constraints(constraints)
  local sources = {}
  for _, c in ipairs(constraints) do
    if c:is_input() and c:is_satisfied() then sources[#sources + 1] = c end
  end
  return self:make_plan(sources)
end

-- Recompute walkabout strengths and stay flags downstream of c. Answer false
-- (after removing c) when a cycle is found.
function Planner:add_propagate(c, mark)
  local todo = { c }
  while #todo > 0 do
    local d = table.remove(todo)
    if d:output().mark == mark then
      self:incremental_remove(c)
      return false
    end
    d:recalculate()
    self:add_constraints_consuming_to(d:output(), todo)
  end
  return true
end

-- Update walkabout strengths and stay flags downstream of out; answer the
-- unsatisfied constraints found.
function Planner:remove_propagate_from(out)
  out.determined_by = nil
  out.walk_strength = WEAKEST
  out.stay = true
  local unsatisfied = {}
  local todo = { out }
  while #todo > 0 do
    local v = table.remove(todo)
    for _, c in ipairs(v.constraints) do
      if not c:is_satisfied() then unsatisfied[#unsatisfied + 1] = c end
    end
    local determining = v.determined_by
    for _, nxt in ipairs(v.constraints) do
      if nxt ~= determining and nxt:is_satisfied() then
        nxt:recalculate()
        todo[#todo + 1] = nxt:output()
      end
    end
  end
  return unsatisfied
end

function Planner:add_constraints_consuming_to(v, coll)
  local determining = v.determined_by
  for _, c in ipairs(v.constraints) do
    if c ~= determining and c:is_satisfied() then
      coll[#coll + 1] = c
    end
  end
end

local total = 0

-- A long chain of equality constraints with a stay constraint on one end and an
-- edit constraint on the other; values propagate down the whole chain.
local function chain_test(n)
  planner = Planner.new()
  local prev = nil
  local first = nil
  local last = nil
  for i = 0, n do
    local v = Variable.new("v", 0)
    if prev ~= nil then EqualityConstraint.new(prev, v, REQUIRED) end
    if i == 0 then first = v end
    if i == n then last = v end
    prev = v
  end
  StayConstraint.new(last, STRONG_DEFAULT)
  local edit = EditConstraint.new(first, PREFERRED)
  local plan = planner:extract_plan_from_constraints({ edit })
  for i = 0, 99 do
    first.value = i
    plan:execute()
    total = total + last.value
  end
end

local function change(v, new_value)
  local edit = EditConstraint.new(v, PREFERRED)
  local plan = planner:extract_plan_from_constraints({ edit })
  for _ = 1, 10 do
    v.value = new_value
    plan:execute()
  end
  edit:destroy_constraint()
end

-- Two sets of variables related by a linear transformation (scale and offset);
-- change a variable on either side and the scale and offset.
local function projection_test(n)
  planner = Planner.new()
  local scale = Variable.new("scale", 10)
  local offset = Variable.new("offset", 1000)
  local src = nil
  local dst = nil
  local dests = {}
  for i = 0, n - 1 do
    src = Variable.new("src", i)
    dst = Variable.new("dst", i)
    dests[#dests + 1] = dst
    StayConstraint.new(src, NORMAL)
    ScaleConstraint.new(src, scale, offset, dst, REQUIRED)
  end

  change(src, 17)
  total = total + dst.value
  if dst.value ~= 1170 then print("Projection 1 failed") end

  change(dst, 1050)
  total = total + src.value
  if src.value ~= 5 then print("Projection 2 failed") end

  change(scale, 5)
  for i = 0, n - 2 do
    total = total + dests[i + 1].value
    if dests[i + 1].value ~= i * 5 + 1000 then print("Projection 3 failed") end
  end

  change(offset, 2000)
  for i = 0, n - 2 do
    total = total + dests[i + 1].value
    if dests[i + 1].value ~= i * 5 + 2000 then print("Projection 4 failed") end
  end
end

local iterations = 200

local start = os.clock()
for _ = 1, iterations do
  chain_test(100)
  projection_test(100)
end

print(total)
print(string.format("elapsed: %.6f", os.clock() - start))
