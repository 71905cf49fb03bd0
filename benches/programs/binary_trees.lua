-- Binary trees (the Benchmarks Game, in the shape of Wren's binary_trees.wren):
-- allocation of many small objects, recursion, field access.
-- Same algorithm and parameters as binary_trees.newt and binary_trees.py.

local Tree = {}
Tree.__index = Tree

local function new_tree(item, depth)
  if depth > 0 then
    local item2 = item + item
    depth = depth - 1
    return setmetatable({ item = item, left = new_tree(item2 - 1, depth), right = new_tree(item2, depth) }, Tree)
  end
  return setmetatable({ item = item }, Tree)
end

function Tree:check()
  if self.left == nil then
    return self.item
  end
  return self.item + self.left:check() - self.right:check()
end

local min_depth = 4
local max_depth = 13
local stretch_depth = max_depth + 1

local start = os.clock()

print("stretch tree of depth " .. stretch_depth .. " check: " .. new_tree(0, stretch_depth):check())

local long_lived_tree = new_tree(0, max_depth)

local iterations = 1
for _ = 1, max_depth do
  iterations = iterations * 2
end

local depth = min_depth
while depth < stretch_depth do
  local check = 0
  for i = 1, iterations do
    check = check + new_tree(i, depth):check() + new_tree(-i, depth):check()
  end
  print((iterations * 2) .. " trees of depth " .. depth .. " check: " .. check)
  iterations = iterations // 4
  depth = depth + 2
end

print("long lived tree of depth " .. max_depth .. " check: " .. long_lived_tree:check())
print(string.format("elapsed: %.6f", os.clock() - start))
