-- Integer-keyed map (Wren's map_numeric.wren): insert N int keys, read them all
-- back and sum, then remove them. The keys are i * 7 rather than i so that Lua
-- stores them in its hash part (dense 1..N keys would go to the array part).
-- Same algorithm and parameters as map_numeric.newt and map_numeric.py.

local n = 2000000

local start = os.clock()

local map = {}
for i = 1, n do
  map[i * 7] = i
end

local sum = 0
for i = 1, n do
  sum = sum + map[i * 7]
end
print(sum)

for i = 1, n do
  map[i * 7] = nil
end

print(string.format("elapsed: %.6f", os.clock() - start))
